"""/api/uploads and /api/files (issue 12): streaming a body into an upload, and serving a
file or its thumbnail to whoever may see it now (checked on every request)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BeforeValidator
from starlette.requests import ClientDisconnect

from chat_protocol.models import Attachment
from chat_server import errors
from chat_server.api.common import MAX_INT64, CallerDep, ctx, json_response, plain_int
from chat_server.api.openapi_doc import errors_doc
from chat_server.files.ranges import Unsatisfiable, parse_range
from chat_server.services.files import Download

router = APIRouter(tags=["files"])

UPLOADS_PREFIX = "/api/uploads/"
UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
UploadId = Annotated[
    str, Path(pattern=UUID_PATTERN, description="a UUID the client chose for this upload")
]
FileId = Annotated[
    int, Path(ge=1, le=MAX_INT64, description="file id (Attachment.id)"), BeforeValidator(plain_int)
]
# A file's answers: its own headers on top of the server's (nosniff is on every answer).
FILE_HEADERS = {"Content-Security-Policy": "sandbox", "Cache-Control": "private, no-cache"}
BINARY = {"schema": {"type": "string", "format": "binary"}}
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "description": "the file's bytes (Content-Type is ignored: the type comes from them)",
        "content": {"application/octet-stream": BINARY},
    }
}
UPLOAD_STALLED = (
    408,
    "`validation_error`: no bytes arrived for --upload-idle-seconds; start the upload again",
)
FILE_TOO_LARGE = (413, "`file_too_large`: over --max-upload-bytes (or another body limit)")
TOO_MANY_PENDING = (429, "`rate_limited`: too many uploads waiting to be sent")
NOT_VISIBLE = (404, "`not_found`: no such file, or not one the caller may see now")
RANGE_NOT_SATISFIABLE = (416, "`validation_error`: the Range lies outside the file")


@router.put(
    "/api/uploads/{upload_id}",
    status_code=201,
    response_model=Attachment,
    responses={
        200: {"model": Attachment, "description": "this upload_id was already stored (a retry)"},
        **errors_doc(UPLOAD_STALLED, FILE_TOO_LARGE, TOO_MANY_PENDING),
    },
    openapi_extra=UPLOAD_BODY,
    description="An empty body is a 422 (`validation_error`).",
)
async def put_upload(
    request: Request,
    upload_id: UploadId,
    caller: CallerDep,
    name: Annotated[str | None, Query(description="the file's name (a label only)")] = None,
) -> Response:
    """Store a file for a later message (idempotent per upload_id)."""
    service = ctx(request).files
    upload_id = str(uuid.UUID(upload_id))
    # Answers before the body: a client that sent `Expect: 100-continue` never sends it, so
    # the connection closes after them (else its next request would be read as this body).
    unread = {"Connection": "close"} if _expects_continue(request) else {}
    existing = await service.find_upload(caller, upload_id)
    if existing is not None:
        return json_response(existing, headers=unread)  # not a byte of the body read
    limit = ctx(request).settings.max_upload_bytes
    if _content_length(request) > limit:
        raise errors.FileTooLarge(limit)
    try:
        await service.check_pending(caller)
    except errors.ApiError as exc:
        exc.headers.update(unread)
        raise
    try:
        attachment, created = await service.upload(caller, upload_id, name, _body(request))
    except ClientDisconnect:
        return Response(status_code=400)  # nobody to tell; nothing was stored
    return json_response(attachment, 201 if created else 200)


@router.get(
    "/api/uploads/{upload_id}",
    response_model=Attachment,
    responses=errors_doc((404, "`not_found`: no upload of the caller's with this id")),
)
async def get_upload(request: Request, upload_id: UploadId, caller: CallerDep) -> Response:
    """Whether an upload finished (the caller's own only)."""
    found = await ctx(request).files.find_upload(caller, str(uuid.UUID(upload_id)))
    if found is None:
        raise errors.NotFound("No such upload.")
    return json_response(found)


_FILE_RESPONSES: dict[int | str, Any] = {
    200: {"description": "the bytes", "content": {"*/*": BINARY}},
    206: {"description": "the bytes of the Range asked for", "content": {"*/*": BINARY}},
    304: {"description": "unchanged since the ETag given in If-None-Match"},
    **errors_doc(NOT_VISIBLE, RANGE_NOT_SATISFIABLE),
}


@router.get("/api/files/{file_id}", response_class=Response, responses=_FILE_RESPONSES)
async def get_file(request: Request, file_id: FileId, caller: CallerDep) -> Response:
    """A file's bytes (a single Range is honoured)."""
    found = await ctx(request).files.download(caller, file_id, thumbnail=False)
    return _serve(request, found, "attachment")


@router.get("/api/files/{file_id}/thumbnail", response_class=Response, responses=_FILE_RESPONSES)
async def get_thumbnail(request: Request, file_id: FileId, caller: CallerDep) -> Response:
    """An image's thumbnail (PNG or JPEG, at most 320×320); 404 for a file without one."""
    found = await ctx(request).files.download(caller, file_id, thumbnail=True)
    return _serve(request, found, "inline")


def _serve(request: Request, found: Download, disposition: str) -> Response:
    etag = f'"{found.sha256}"'
    headers = {
        **FILE_HEADERS,
        "ETag": etag,
        "Accept-Ranges": "bytes",
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(found.name, safe='')}",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    try:
        wanted = parse_range(request.headers.get("range"), found.size)
    except Unsatisfiable:
        answer = json_response(
            {"error": {"code": "validation_error", "message": "The Range lies outside the file."}},
            416,
            {"Content-Range": f"bytes */{found.size}"},
        )
        return answer
    start, stop = wanted if wanted is not None else (0, found.size)
    if wanted is not None:
        headers["Content-Range"] = f"bytes {start}-{stop - 1}/{found.size}"
    headers["Content-Length"] = str(stop - start)
    store = ctx(request).files.store
    return StreamingResponse(
        store.read(found.sha256, start, stop),
        status_code=206 if wanted is not None else 200,
        media_type=found.content_type,
        headers=headers,
    )


def _expects_continue(request: Request) -> bool:
    return request.headers.get("expect", "").lower() == "100-continue"


def _content_length(request: Request) -> int:
    raw = request.headers.get("content-length")
    if raw is None:
        return 0
    try:
        return int(raw)
    except ValueError:
        raise errors.ValidationFailed("Content-Length: not a number") from None


async def _body(request: Request) -> AsyncIterator[bytes]:
    """The request body as it arrives; 408 when nothing arrives for --upload-idle-seconds
    (the header deadline does not cover bodies: a trickle must not hold a connection and a
    temporary file for ever)."""
    idle = ctx(request).settings.upload_idle_seconds
    chunks = request.stream().__aiter__()
    while True:
        try:
            async with asyncio.timeout(idle):
                chunk = await anext(chunks)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise errors.UploadStalled(idle) from None
        if chunk:
            yield chunk
