"""New passwords checked against common passwords and the account's own names (NIST SP 800-63B).

zxcvbn (Dropbox's estimator, Python port) ships ranked lists of the most common passwords,
English words, names and surnames, and spots the patterns NIST lists beside them: repeats
("aaaaaaaa", eight spaces), sequences ("12345678", "abcdefgh"), keyboard walks, dates,
l33t spellings, and context words such as the username. It is used instead of a list of
our own because it also catches the near misses of a list ("Passw0rd!") and keeps the
lists up to date with its releases; there are no composition rules, as NIST advises.
"""

from __future__ import annotations

import asyncio

from zxcvbn import zxcvbn

from chat_server import errors

# Fewer estimated guesses than this is refused: one million is the line zxcvbn draws
# between "very guessable" and "somewhat guessable", beyond reach of a throttled online
# attack (10 failed logins per minute per username makes it about 70 days per account).
MIN_GUESSES = 10**6
# zxcvbn's time grows steeply with length (a random 256-character password takes ~25 s),
# so only the first characters are estimated; a password whose first 64 are strong is.
CHECKED_CHARS = 64


def password_problem(password: str, username: str, display_name: str | None = None) -> str | None:
    """Why `password` may not be used by this user, in plain words; None when it may."""
    if password.strip().casefold() in {username.casefold(), (display_name or "").casefold()}:
        return "The password must not be your username or your name."
    names = [username] + ([display_name] if display_name else [])
    checked = password[:CHECKED_CHARS]
    result = zxcvbn(checked, user_inputs=names, max_length=CHECKED_CHARS)
    if result["guesses"] >= MIN_GUESSES:
        return None
    feedback = result["feedback"]
    reasons = [feedback["warning"], *feedback["suggestions"][:1]]
    detail = " ".join(r for r in reasons if r)
    return "This password is too easy to guess." + (f" {detail}" if detail else "")


async def check_new_password(password: str, username: str, display_name: str | None) -> None:
    """Raise WeakPassword (422 `weak_password`) for a password NIST says to refuse.

    Off the event loop: a long password costs zxcvbn up to ~80 ms."""
    problem = await asyncio.to_thread(password_problem, password, username, display_name)
    if problem is not None:
        raise errors.WeakPassword(problem)
