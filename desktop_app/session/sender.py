"""The one sender task: drains the outbox in order over REST, retrying until the server answers."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any, Protocol

from chat_protocol.models import Event, Message
from desktop_app.net.errors import BAD_RESPONSE, ApiError, AuthError, NotFoundError, RateLimited
from desktop_app.net.rest import RestClient
from desktop_app.session.attachments import attachment_specs
from desktop_app.session.journal import Journal
from desktop_app.session.outbox import Outbox, OutboxItem
from desktop_app.session.uploader import Uploader

log = logging.getLogger(__name__)

RETRY_DELAY_MIN = 0.5
RETRY_DELAY_MAX = 30.0
RETRY_JITTER = 0.2
# A success status whose body is not a message (a proxy's login page, a different server):
# retried this many times (the send is idempotent), then shown failed so the user sees it.
UNREADABLE_ANSWER_LIMIT = 3
# The server's 422 for an attachment id that is no pending upload of the sender's (issue 12):
# after a long time offline the uploads were swept, so they are uploaded again (once).
UNPROCESSABLE = 422
UPLOAD_GONE_PREFIX = "attachment_ids:"
UPLOAD_GONE_WORDS = "is not an upload of yours"


class SendOutcome(Protocol):
    """Where the sender reports what happened to each item."""

    def on_delivered(self, item: OutboxItem, message: Message) -> None: ...
    def on_event_delivered(self, item: OutboxItem, answer: Event | Message) -> None: ...
    def event_data(self, item: OutboxItem) -> dict[str, Any] | None: ...
    def on_rejected(self, item: OutboxItem, reason: str, *, not_member: bool = False) -> None: ...
    def on_auth_failed(self) -> None: ...


class Sender:
    """REST is the send path of record: one request at a time, in typed order, so a group's
    messages get their seqs in the order the user typed them. A request whose answer was not
    seen is repeated with the same client_msg_id, which the server makes idempotent."""

    def __init__(
        self,
        rest: RestClient,
        outbox: Outbox,
        outcome: SendOutcome,
        journal: Journal,
        *,
        retry_delay_min: float = RETRY_DELAY_MIN,
        retry_delay_max: float = RETRY_DELAY_MAX,
        held: bool = False,
        uploader: Uploader | None = None,
    ) -> None:
        self._rest = rest
        self._uploader = uploader
        self._outbox = outbox
        self._outcome = outcome
        self._journal = journal
        self._delay_min = retry_delay_min
        self._delay_max = retry_delay_max
        self._wake = asyncio.Event()
        self._paused = False
        # Held until the server is confirmed to be the one the outbox was typed for (a
        # `ready` of that instance, its groups checked): a message is never sent to a server
        # that merely answers at the same address.
        self._held = held
        self._stopped = False
        self.in_flight: str | None = None
        self._unreadable: dict[str, int] = {}

    def wake(self) -> None:
        """Something changed (new item, retry, connection back): look at the outbox now."""
        self._wake.set()

    def pause(self) -> None:
        """Stop sending (the token was refused) until `resume`."""
        self._paused = True

    def resume(self) -> None:
        self._paused = False
        self.wake()

    def hold(self) -> None:
        """Send nothing until `confirm` (the connection dropped: the server must be
        confirmed again, it may have been replaced meanwhile)."""
        self._held = True

    def confirm(self) -> None:
        """The server is the outbox's: send."""
        self._held = False
        self.wake()

    @property
    def held(self) -> bool:
        return self._held

    def stop(self) -> None:
        self._stopped = True
        self.wake()

    async def run(self) -> None:
        delay = self._delay_min
        while not self._stopped:
            # Cleared before looking, so a wake() during the request below is not lost.
            self._wake.clear()
            item = None if self._paused or self._held else self._outbox.next_pending()
            if item is None:
                await self._wait(None)
                continue
            try:
                outcome = await self._send(item)
            except Exception:  # a bug must not end the one sender: the outbox would stall
                log.exception("sending %s failed unexpectedly", item.client_msg_id)
                outcome = -1
            if outcome is None:
                delay = self._delay_min
            elif outcome > 0:
                await self._wait(outcome, interruptible=False)
            else:
                await self._wait(delay)
                delay = min(delay * 2, self._delay_max)

    async def _send(self, item: OutboxItem) -> float | None:
        """Try one item. None: settled (delivered or rejected for good); a positive number:
        wait that long (Retry-After); -1: transient failure, back off."""
        self.in_flight = item.client_msg_id
        self._outbox.count_attempt(item.client_msg_id)
        try:
            if item.is_message:
                reply_to = (item.data or {}).get("reply_to_message_id")
                files = None
                if self._uploader is not None and attachment_specs(item.data):
                    files = await self._uploader.ensure(item)  # before the message, each once
                message = await self._rest.send(
                    item.group_id, item.client_msg_id, item.body, reply_to, files
                )
            else:
                data = self._outcome.event_data(item)
                if data is None:
                    self._outcome.on_rejected(item, "the message it refers to was not sent")
                    return None
                answer = await self._rest.post_event(
                    item.group_id, item.client_msg_id, item.kind, data
                )
                self._outcome.on_event_delivered(item, answer)
                return None
        except RateLimited as exc:
            self._journal.record(
                "rate_limited",
                f"The server asked to slow down; sending resumes in {exc.retry_after:.1f} s.",
                item.group_id,
            )
            return max(exc.retry_after, 0.05)
        except AuthError:
            self._paused = True
            self._outcome.on_auth_failed()
            return -1
        except ApiError as exc:
            if self._uploads_gone(item, exc):
                self._journal.record(
                    "send_retry",
                    "The server no longer holds this message's uploaded files (kept too long "
                    "unsent); uploading them again.",
                    item.group_id,
                )
                return -1
            if exc.permanent:
                not_member = isinstance(exc, NotFoundError)
                self._outcome.on_rejected(item, exc.message or exc.code, not_member=not_member)
                return None
            if exc.code == BAD_RESPONSE and 200 <= exc.status < 300:
                return self._unreadable_answer(item, exc)
            self._journal.record(
                "send_retry",
                f"Sending a message failed ({exc.message}); it stays queued and will be retried.",
                item.group_id,
            )
            return -1
        finally:
            self.in_flight = None
        self._unreadable.pop(item.client_msg_id, None)
        self._outcome.on_delivered(item, message)
        return None

    def _uploads_gone(self, item: OutboxItem, exc: ApiError) -> bool:
        """A 422 naming one of the message's uploads as unknown: renew them (once)."""
        return (
            self._uploader is not None
            and item.is_message
            and exc.status == UNPROCESSABLE
            and exc.message.startswith(UPLOAD_GONE_PREFIX)
            and UPLOAD_GONE_WORDS in exc.message
            and bool(attachment_specs(item.data))
            and self._uploader.renew(item)
        )

    def _unreadable_answer(self, item: OutboxItem, exc: ApiError) -> float | None:
        """The server said yes in a form we cannot read: retry a few times, then fail the
        message visibly (it stays in the outbox; Retry sends it again with the same id)."""
        seen = self._unreadable.get(item.client_msg_id, 0) + 1
        if seen < UNREADABLE_ANSWER_LIMIT:
            self._unreadable[item.client_msg_id] = seen
            self._journal.record(
                "send_retry",
                f"The server's answer to a send could not be read ({exc.message[:120]}); "
                f"retrying ({seen} of {UNREADABLE_ANSWER_LIMIT}).",
                item.group_id,
            )
            return -1
        self._unreadable.pop(item.client_msg_id, None)
        self._outcome.on_rejected(
            item,
            f"The server's answer could not be read {UNREADABLE_ANSWER_LIMIT} times in a row "
            "(is the address a chat server of this version?)",
        )
        return None

    async def _wait(self, seconds: float | None, *, interruptible: bool = True) -> None:
        if seconds is not None:
            seconds *= 1 + random.uniform(-RETRY_JITTER, RETRY_JITTER)
        if not interruptible and seconds is not None:
            await asyncio.sleep(seconds)
            return
        try:
            await asyncio.wait_for(self._wake.wait(), seconds)
        except TimeoutError:
            pass
