"""The question asked before signing out while messages are still waiting to be sent."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMessageBox, QWidget


def unsent_text(waiting: int, username: str) -> str:
    """The question's text, with one message or several in the words that fit each."""
    if waiting == 1:
        return (
            "1 message hasn't been sent yet. It stays on this computer and goes out the next "
            f"time you sign in as {username} here. Sign out anyway?"
        )
    return (
        f"{waiting} messages haven't been sent yet. They stay on this computer and go out "
        f"the next time you sign in as {username} here. Sign out anyway?"
    )


def ask_sign_out(
    parent: QWidget, waiting: int, username: str, sign_out: Callable[[], None]
) -> QMessageBox:
    """Open (non-modal) "Sign out?"; `sign_out` runs only if the user confirms. Cancel is the
    default, so Enter never signs out by accident."""
    box = QMessageBox(
        QMessageBox.Icon.Warning,
        "Sign out?",
        unsent_text(waiting, username),
        QMessageBox.StandardButton.Cancel,
        parent,
    )
    confirm = box.addButton("Sign Out", QMessageBox.ButtonRole.DestructiveRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)

    def finished(_result: int) -> None:
        if box.clickedButton() is confirm:
            sign_out()

    box.finished.connect(finished)
    box.open()
    return box
