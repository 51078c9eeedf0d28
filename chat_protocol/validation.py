"""Checks that depend on a configurable limit, shared by the server and the composer."""

from chat_protocol import limits


def body_problem(body: str, body_max: int = limits.BODY_MAX) -> str | None:
    """Say what is wrong with a message body in plain words, or None when it may be sent."""
    if not body.strip():
        return "A message cannot be empty or only whitespace."
    if len(body) > body_max:
        return f"A message can be at most {body_max} characters; this one has {len(body)}."
    return None
