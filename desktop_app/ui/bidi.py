"""Text direction of a message: right-to-left when its first strong character is (as Qt decides)."""

from __future__ import annotations

import unicodedata

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextOption
from PySide6.QtWidgets import QPlainTextEdit

# Bidi classes of the strong characters (UAX #9): left-to-right, right-to-left, Arabic letter.
_LTR = "L"
_RTL = ("R", "AL")
# Text between an isolate initiator and its PDI does not decide the paragraph's direction.
_ISOLATE_OPENERS = ("LRI", "RLI", "FSI")
_ISOLATE_CLOSER = "PDI"


def is_right_to_left(text: str) -> bool:
    """Whether the first strong character (outside isolates) is right-to-left; False for none.

    The same rule as QString::isRightToLeft (rule P2 of the Unicode bidi algorithm)."""
    depth = 0
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in _ISOLATE_OPENERS:
            depth += 1
        elif kind == _ISOLATE_CLOSER:
            depth = max(0, depth - 1)
        elif depth == 0:
            if kind == _LTR:
                return False
            if kind in _RTL:
                return True
    return False


def text_direction(text: str) -> Qt.LayoutDirection:
    """The layout direction a message's text is laid out and aligned in."""
    if is_right_to_left(text):
        return Qt.LayoutDirection.RightToLeft
    return Qt.LayoutDirection.LeftToRight


def text_alignment(direction: Qt.LayoutDirection) -> Qt.AlignmentFlag:
    """Lines start at the right for right-to-left text, at the left otherwise (absolute: Qt's
    plain-text editor does not mirror a leading alignment by itself)."""
    side = (
        Qt.AlignmentFlag.AlignRight
        if direction == Qt.LayoutDirection.RightToLeft
        else Qt.AlignmentFlag.AlignLeft
    )
    return side | Qt.AlignmentFlag.AlignAbsolute


def apply_direction(option: QTextOption, text: str) -> bool:
    """Set `option`'s direction and alignment for `text`; True when they changed."""
    direction = text_direction(text)
    alignment = text_alignment(direction)
    if option.textDirection() == direction and option.alignment() == alignment:
        return False
    option.setTextDirection(direction)
    option.setAlignment(alignment)
    return True


def follow_text_direction(edit: QPlainTextEdit) -> None:
    """Lay out and align an editor's text by its own first strong character, as it is typed
    (the composer: a message in Hebrew is written from the right)."""
    document = edit.document()

    def update() -> None:
        option = document.defaultTextOption()
        if apply_direction(option, document.toPlainText()):
            document.setDefaultTextOption(option)

    document.contentsChanged.connect(update)
    update()
