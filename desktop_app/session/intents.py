"""The user's v2 intents (edit, delete, react, rename, remove member) as outbox items."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop_app.session.session import Session


class Intents:
    """Turns each intent into an outbox item with its client_event_id chosen now, and shows
    its effect at once where the user expects it (the edited text, a reaction)."""

    def __init__(self, session: Session) -> None:
        self._s = session

    def edit(
        self, group_id: int, message_id: int | None, body: str, *, client_msg_id: str = ""
    ) -> str | None:
        raise NotImplementedError

    def delete(
        self, group_id: int, message_id: int | None, *, client_msg_id: str = ""
    ) -> str | None:
        raise NotImplementedError

    def react(self, group_id: int, message_id: int, emoji: str, add: bool) -> str | None:
        raise NotImplementedError

    def rename(self, group_id: int, name: str) -> str | None:
        raise NotImplementedError

    def remove_member(self, group_id: int, user_id: int) -> str | None:
        raise NotImplementedError
