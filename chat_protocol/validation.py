"""Text checks shared by the wire models, the server and the composer."""

import unicodedata

from chat_protocol import limits

NUL = "\x00"


def is_blank(text: str) -> bool:
    """True when nothing would show: only whitespace and invisible format characters
    (zero-width space and joiners, word joiner, byte order mark; Unicode category Cf)."""
    return all(ch.isspace() or unicodedata.category(ch) == "Cf" for ch in text)


def body_problem(body: str, body_max: int = limits.BODY_MAX) -> str | None:
    """Say what is wrong with a message body in plain words, or None when it may be sent."""
    if is_blank(body):
        return "A message cannot be empty or only whitespace."
    if NUL in body:
        return "A message cannot contain the NUL character (U+0000)."
    if len(body) > body_max:
        return f"A message can be at most {body_max} characters; this one has {len(body)}."
    return None
