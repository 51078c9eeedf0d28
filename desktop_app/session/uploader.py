"""Uploads the staged files of an outbox message before the sender posts it (issue 12).

Each file goes up under the upload id chosen when the message was queued. A message that was
tried before (the app quit or the connection dropped mid-upload) first asks the server
whether each upload finished (`GET /api/uploads/{id}`), so nothing is sent twice; an upload
that did not finish is restarted from byte 0 (the protocol has no resume). The attachment
ids learnt are written to the outbox row at once, so a later try skips those files."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from chat_protocol.errors import ErrorCode
from desktop_app.net.errors import ApiError
from desktop_app.net.files import FilesClient, UploadCutOff
from desktop_app.session.attachments import attachment_specs
from desktop_app.session.outbox import Outbox, OutboxItem

# The client's own code and status for a staged copy that is no longer on disk: permanent
# (a 4xx), so the message is shown failed with the reason instead of retried for ever.
FILE_MISSING = "file_missing"
FILE_MISSING_STATUS = 410

# An upload cut off mid-body this many times in a row is taken as refused for its size (a
# server closes the connection after a 413 by Content-Length; httpx cannot read that answer
# before it has written the body). The user can still Retry the failed message.
CUT_OFF_LIMIT = 3
FILE_TOO_LARGE_STATUS = 413

# (group id, client_msg_id, bytes uploaded, bytes in all)
ProgressHook = Callable[[int, str, int, int], None]


class Uploader:
    """Makes sure every file of an outbox message is stored on the server; reports progress."""

    def __init__(self, files: FilesClient, outbox: Outbox) -> None:
        self._files = files
        self._outbox = outbox
        self.on_progress: ProgressHook | None = None
        # The messages being uploaded now: client_msg_id -> (done, total) bytes.
        self.progress: dict[str, tuple[int, int]] = {}
        # Uploads whose connection was closed mid-body, in a row: upload_id -> times.
        self._cut_offs: dict[str, int] = {}
        # Messages whose uploads were renewed once (renew).
        self._renewed: set[str] = set()

    async def ensure(self, item: OutboxItem) -> list[int]:
        """The attachment ids of the item's files, uploading those not stored yet."""
        data: dict[str, Any] = dict(item.data or {})
        specs = attachment_specs(data)
        total = sum(int(s["size"]) for s in specs) or 1
        done = 0
        ids: list[int] = []
        cid = item.client_msg_id
        try:
            for spec in specs:
                if spec.get("attachment_id") is None:
                    spec["attachment_id"] = await self._upload(item, spec, done, total)
                    data["attachments"] = specs
                    self._outbox.set_data(cid, data)
                done += int(spec["size"])
                self._report(item, done, total)
                ids.append(int(spec["attachment_id"]))
        finally:
            self.progress.pop(cid, None)
        return ids

    async def _upload(self, item: OutboxItem, spec: dict[str, Any], before: int, total: int) -> int:
        upload_id = str(spec["upload_id"])
        if item.attempts > 0:
            # Tried before: the server may have stored it while the answer was lost.
            stored = await self._files.upload_status(upload_id)
            if stored is not None:
                return stored.id
        path = _staged_copy(spec)

        def progress(done: int, _size: int) -> None:
            self._report(item, before + done, total)

        name, size = str(spec["name"]), int(spec["size"])
        try:
            attachment = await self._files.upload(upload_id, name, path, size, progress)
        except UploadCutOff:
            cut = self._cut_offs[upload_id] = self._cut_offs.get(upload_id, 0) + 1
            if cut < CUT_OFF_LIMIT:
                raise  # retried like any lost connection
            del self._cut_offs[upload_id]
            raise ApiError(
                FILE_TOO_LARGE_STATUS,
                ErrorCode.FILE_TOO_LARGE,
                f"“{name}”: the server closed the connection {cut} times in a row while "
                "receiving it; it is probably larger than the server accepts",
            ) from None
        except ApiError as exc:
            if not exc.permanent:
                raise
            # Refused for good (too large, over the count of pending uploads): the message
            # fails with the file named; a plain ApiError, as a 404 here is not about the group.
            raise ApiError(exc.status, exc.code, f"“{name}”: {exc.message}") from exc
        self._cut_offs.pop(upload_id, None)
        return attachment.id

    def renew(self, item: OutboxItem) -> bool:
        """Forget the item's stored uploads so the next attempt uploads its files again,
        under new upload ids: the server no longer holds them (an upload unsent for longer
        than the server keeps it is swept). Once per message in a run of the app; False
        when already renewed (the message then fails as the server says)."""
        cid = item.client_msg_id
        if cid in self._renewed:
            return False
        self._renewed.add(cid)
        data: dict[str, Any] = dict(item.data or {})
        specs = attachment_specs(data)
        for spec in specs:
            spec["attachment_id"] = None
            spec["upload_id"] = str(uuid.uuid4())
        data["attachments"] = specs
        self._outbox.set_data(cid, data)
        return True

    def _report(self, item: OutboxItem, done: int, total: int) -> None:
        self.progress[item.client_msg_id] = (done, total)
        if self.on_progress is not None:
            self.on_progress(item.group_id, item.client_msg_id, done, total)


def _staged_copy(spec: dict[str, Any]) -> Path:
    path = Path(spec["path"])
    if not path.is_file():
        raise ApiError(
            FILE_MISSING_STATUS,
            FILE_MISSING,
            f"the copy of '{spec['name']}' kept for sending is gone from the profile",
        )
    return path
