"""What a v2 message row carries beyond its text: reply quote, reactions, system line, ticks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

# The quote of a reply shows this many code points of the original (the server's excerpt).
EXCERPT_CHARS = 100


@dataclass(slots=True)
class ReplyQuote:
    """What a reply quotes; `excerpt` follows the original's edits and is "" once deleted."""

    message_id: int
    seq: int
    sender_id: int
    sender_name: str
    excerpt: str


@dataclass(frozen=True, slots=True)
class ReactionChip:
    """One emoji under a message: who reacted (ids ascending, names in that order), and
    whether the signed-in user is among them (the chip is highlighted and a click removes).
    A toggle of one's own still in the outbox is shown already (`pending`)."""

    emoji: str
    user_ids: tuple[int, ...]
    names: tuple[str, ...]
    mine: bool
    pending: bool = False  # the user's own toggle of it is still in the outbox

    @property
    def count(self) -> int:
        return len(self.user_ids)


@dataclass(frozen=True, slots=True)
class SystemLine:
    """A membership or rename event shown in the timeline between messages."""

    kind: str  # an EventKind value: member.added, member.left, member.removed, group.renamed
    actor_id: int
    subject_id: int | None  # the member added/left/removed; None for a rename
    text: str  # "alice added dave", "bob left", "carol renamed the group to …"


class Ticks(IntEnum):
    """Seen-by state of one's own message: NONE for others' rows and pending/failed ones,
    ONE once stored, TWO once every other current member has read it."""

    NONE = 0
    ONE = 1
    TWO = 2
