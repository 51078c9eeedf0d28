"""Files for tests (issue 12): images made with Pillow (with GPS EXIF, orientation, alpha),
an executable's header, and REST helpers to upload and to send with attachments."""

from __future__ import annotations

import io
import uuid
from typing import Any

import httpx
from PIL import Image

from tests.support.api import Api

EXIF_ORIENTATION = 0x0112
EXIF_GPS_IFD = 0x8825
EXIF_MAKE = 0x010F
ROTATE_90_CW = 6  # stored landscape, shown portrait
GPS = {1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)}
# The start of a Windows executable: "MZ", the DOS stub pointer, and the PE signature.
EXE_BYTES = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\xb8"
    + b"\x00" * 43
    + b"\x80\x00\x00\x00"
    + b"\x00" * 64
    + b"PE\x00\x00\x4c\x01\x03\x00"
    + b"\x00" * 200
)


def png(width: int = 40, height: int = 20, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    colour: Any = (10, 120, 200, 128) if mode == "RGBA" else (10, 120, 200)
    Image.new(mode, (width, height), colour).save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps(width: int = 400, height: int = 200) -> bytes:
    """A landscape JPEG whose EXIF says where it was taken and to turn it 90°."""
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = ROTATE_90_CW
    exif[EXIF_MAKE] = "CameraCo"
    exif[EXIF_GPS_IFD] = GPS
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


async def upload(
    api: Api, data: bytes, name: str = "file.bin", upload_id: str | None = None
) -> httpx.Response:
    return await api.request(
        "PUT",
        f"/api/uploads/{upload_id or uuid.uuid4()}",
        params={"name": name},
        content=data,
        headers={"Content-Type": "application/octet-stream"},
    )


async def uploaded(api: Api, data: bytes, name: str = "file.bin") -> dict[str, Any]:
    response = await upload(api, data, name)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def send_files(
    api: Api,
    group_id: int,
    file_ids: list[int],
    body: str = "",
    client_msg_id: str | None = None,
) -> httpx.Response:
    payload = {
        "client_msg_id": client_msg_id or str(uuid.uuid4()),
        "body": body,
        "attachment_ids": file_ids,
    }
    return await api.request("POST", f"/api/groups/{group_id}/messages", json=payload)


async def delete_message(api: Api, group_id: int, message_id: int) -> httpx.Response:
    """POST a `message.deleted` event (protocol v2)."""
    body = {
        "client_event_id": str(uuid.uuid4()),
        "kind": "message.deleted",
        "data": {"message_id": message_id},
    }
    return await api.request("POST", f"/api/groups/{group_id}/events", json=body)
