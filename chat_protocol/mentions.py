"""`@username` mentions in a message body: where they are and whom they name.

Shared by the server (which stores the mentioned ids) and the desktop app (which highlights
the same spans), so both read a body the same way. The rule (docs/protocol.md, Mentions): an
`@` at the start of the body or after a character that is not a letter, digit or `_`,
followed by a username; usernames are lowercase, so `@Bob` names `bob`. A sentence's full
stop or dash after the name is not part of it (`ask @bob.` names `bob`), unless a user has
exactly that name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from chat_protocol import limits

# The `@`, not after a word character (so `alice@example.com` mentions nobody), then the
# longest run of username characters, not followed by a letter or digit of another script.
_TOKEN = re.compile(r"(?<![\w])@([A-Za-z0-9_.\-]+)(?![^\W_])")
# Characters a sentence may put right after a name.
_TRAILING = ".-"


@dataclass(frozen=True, slots=True)
class Token:
    """A candidate mention: `body[start:end]` is `@` plus the name (lowercase)."""

    start: int
    end: int
    name: str


def tokens(body: str) -> Iterator[Token]:
    """Every `@name` in the body that could be a username (nothing is looked up here)."""
    if "@" not in body:
        return
    for match in _TOKEN.finditer(body):
        name = match.group(1).lower()
        if len(name) > limits.USERNAME_MAX:
            continue
        yield Token(match.start(), match.end(), name)


def candidate_names(body: str) -> set[str]:
    """The usernames a body might mention: ask the store about these only."""
    names: set[str] = set()
    for token in tokens(body):
        names.add(token.name)
        names.add(token.name.rstrip(_TRAILING))
    names.discard("")
    return names


def resolve(body: str, lookup: Callable[[str], int | None]) -> list[Token]:
    """The mentions of a body, `lookup` giving a username's user id (None: not a mention).
    Each token's `name` is the username it matched and `end` excludes trailing punctuation."""
    found: list[Token] = []
    for token in tokens(body):
        if lookup(token.name) is not None:
            found.append(token)
            continue
        short = token.name.rstrip(_TRAILING)
        if short and short != token.name and lookup(short) is not None:
            found.append(Token(token.start, token.start + 1 + len(short), short))
    return found


def mentioned_ids(body: str, members: dict[str, int]) -> list[int]:
    """The ids of the members (username → id) a body mentions, each once, in body order."""
    ids: list[int] = []
    for token in resolve(body, members.get):
        user_id = members[token.name]
        if user_id not in ids:
            ids.append(user_id)
    return ids
