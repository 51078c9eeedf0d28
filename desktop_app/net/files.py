"""Files over REST (protocol v2, issue 12): streamed uploads with progress, upload status,
downloads of files and thumbnails. A client of its own beside RestClient: uploads and
downloads are long, so they get longer timeouts than a chat request and never hold up
RestClient's pool."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
from pydantic import ValidationError

from chat_protocol.models import Attachment
from desktop_app.net.errors import BAD_RESPONSE, ApiError, NotFoundError, ServerUnreachable
from desktop_app.net.rest import API_PREFIX, RestClient

# Bytes read from disk and handed to the socket at a time; also the progress step.
CHUNK_BYTES = 256 * 1024
# A stalled transfer (no byte either way for this long) counts as a lost connection.
TRANSFER_TIMEOUT = httpx.Timeout(60.0, connect=5.0)
# A partly downloaded file is written next to its target under this suffix, then renamed.
PART_SUFFIX = ".part"

Progress = Callable[[int, int], None]  # bytes done, bytes in all


class UploadCutOff(ServerUnreachable):
    """The connection closed while the body was being sent. A network fault, or a server
    that refused the file by its Content-Length (413) and closed the connection before httpx,
    which writes the whole body before reading, could see the answer."""


def _no_progress(_done: int, _total: int) -> None:
    return None


class FilesClient:
    """Uploads and downloads for one signed-in session; the token is read from `rest` on
    every request (it may be replaced after a new sign-in)."""

    def __init__(self, rest: RestClient, timeout: httpx.Timeout | None = None) -> None:
        self._rest = rest
        self._http = httpx.AsyncClient(base_url=rest.base_url, timeout=timeout or TRANSFER_TIMEOUT)

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- uploads ---------------------------------------------------------------------

    async def upload(
        self,
        upload_id: str,
        name: str,
        path: Path,
        size: int,
        progress: Progress = _no_progress,
    ) -> Attachment:
        """PUT the `size` bytes of the file at `path` as `upload_id`; the same id again
        answers the first upload's Attachment without the body being read (the server's
        idempotency)."""
        headers = {**self._auth(), "Content-Length": str(size)}
        url = f"{API_PREFIX}/uploads/{upload_id}"
        try:
            response = await self._call(
                "PUT",
                url,
                params={"name": name},
                headers=headers,
                content=_read_chunks(path, size, progress),
            )
        except ServerUnreachable as exc:
            if isinstance(
                exc.__cause__, (httpx.WriteError, httpx.ReadError, httpx.RemoteProtocolError)
            ):
                raise UploadCutOff(exc.message) from exc.__cause__
            raise
        return _attachment(response)

    async def upload_status(self, upload_id: str) -> Attachment | None:
        """The upload's Attachment if it finished, None if the server never stored it."""
        try:
            response = await self._call(
                "GET", f"{API_PREFIX}/uploads/{upload_id}", headers=self._auth()
            )
        except NotFoundError:
            return None
        return _attachment(response)

    # --- downloads -------------------------------------------------------------------

    async def thumbnail(self, file_id: int) -> bytes:
        response = await self._call(
            "GET", f"{API_PREFIX}/files/{file_id}/thumbnail", headers=self._auth()
        )
        return response.content

    async def download(
        self, file_id: int, target: Path, progress: Progress = _no_progress, size: int = 0
    ) -> Path:
        """Write the file's bytes to `target` (through a `.part` file renamed at the end, so
        `target` never holds half a file)."""
        part = target.with_name(target.name + PART_SUFFIX)
        url = f"{API_PREFIX}/files/{file_id}"
        try:
            async with self._http.stream("GET", url, headers=self._auth()) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise RestClient._error(response)
                total = int(response.headers.get("Content-Length") or size or 0)
                done = 0
                with part.open("wb") as out:
                    async for chunk in response.aiter_bytes(CHUNK_BYTES):
                        out.write(chunk)
                        done += len(chunk)
                        progress(done, max(total, done))
            os.replace(part, target)
        except httpx.RequestError as exc:
            part.unlink(missing_ok=True)
            raise ServerUnreachable(f"GET {url}: {type(exc).__name__}: {exc}") from exc
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        return target

    # --- plumbing --------------------------------------------------------------------

    def _auth(self) -> dict[str, str]:
        token = self._rest.token
        return {"Authorization": f"Bearer {token}"} if token else {}

    async def _call(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        try:
            response = await self._http.request(method, url, **kwargs)  # type: ignore[arg-type]
        except httpx.RequestError as exc:
            raise ServerUnreachable(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
        except RuntimeError as exc:
            if not self._http.is_closed:
                raise
            raise ServerUnreachable(f"{method} {url}: the client is closed") from exc
        if response.status_code >= 400:
            raise RestClient._error(response)
        return response


async def _read_chunks(path: Path, size: int, progress: Progress) -> AsyncIterator[bytes]:
    """The file in chunks, reporting how much has been handed over; stops at `size` bytes
    (the Content-Length promised) even if the file grew meanwhile."""
    done = 0
    progress(0, size)
    with path.open("rb") as source:
        while done < size:
            chunk = source.read(min(CHUNK_BYTES, size - done))
            if not chunk:
                break
            done += len(chunk)
            yield chunk
            progress(done, size)


def _attachment(response: httpx.Response) -> Attachment:
    try:
        return Attachment.model_validate_json(response.content)
    except ValidationError as exc:
        raise ApiError(response.status_code, BAD_RESPONSE, f"unexpected answer: {exc}") from exc
