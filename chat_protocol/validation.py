"""Text checks shared by the wire models, the server and the composer."""

import functools
import itertools
import unicodedata

from chat_protocol import limits

NUL = "\x00"
# JSON-schema patterns (ECMA-262 and Python `re` read them alike) of the rules below.
NO_NUL_PATTERN = r"^[^\x00]*$"


def _invisible(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) == "Cf"


def is_blank(text: str) -> bool:
    """True when nothing would show: only whitespace and invisible format characters
    (zero-width space and joiners, word joiner, byte order mark; Unicode category Cf)."""
    return all(_invisible(ch) for ch in text)


def _escaped(ch: str) -> str:
    # BMP characters as \uXXXX; others literally (ECMA-262 has no \U escape).
    return f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else ch


# Planes 4-13 are unassigned and 15-16 private use (never whitespace or format characters):
# scanning only the others keeps this under 0.1 s.
_SCANNED_PLANES = (range(0x40000), range(0xE0000, 0xF0000))


@functools.cache
def visible_pattern() -> str:
    """A pattern matching text without NUL that `is_blank` does not call blank (built on
    first use: it looks at every code point once)."""
    ranges: list[tuple[int, int]] = []
    for code in itertools.chain(*_SCANNED_PLANES):
        if code == 0 or _invisible(chr(code)):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    invisible = "".join(
        _escaped(chr(a)) if a == b else f"{_escaped(chr(a))}-{_escaped(chr(b))}" for a, b in ranges
    )
    return f"^[^\\x00]*[^{invisible}][^\\x00]*$"


def body_problem(body: str, body_max: int = limits.BODY_MAX) -> str | None:
    """Say what is wrong with a message body in plain words, or None when it may be sent."""
    if is_blank(body):
        return "A message cannot be empty or only whitespace."
    if NUL in body:
        return "A message cannot contain the NUL character (U+0000)."
    if len(body) > body_max:
        return f"A message can be at most {body_max} characters; this one has {len(body)}."
    return None
