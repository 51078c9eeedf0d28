"""Files and images over REST and the socket (issue 12), on SQLite and PostgreSQL: type
detection, metadata stripping, thumbnails, names, idempotency, access, deletion, ranges."""

from __future__ import annotations

import asyncio
import io
import uuid
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from PIL import Image, PngImagePlugin

from tests.support.api import Api, group_of
from tests.support.files import (
    EXE_BYTES,
    EXIF_GPS_IFD,
    delete_message,
    jpeg_with_gps,
    opened,
    png,
    send_files,
    upload,
    uploaded,
)
from tests.support.server import ServerProcess
from tests.support.sockets import connect


@pytest.fixture(scope="module")
def server(backend_server: ServerProcess) -> ServerProcess:
    return backend_server


def error_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


async def post_event(api: Api, group_id: int, kind: str, data: Any) -> httpx.Response:
    body = {"client_event_id": str(uuid.uuid4()), "kind": kind, "data": data}
    return await api.request("POST", f"/api/groups/{group_id}/events", json=body)


async def test_a_png_named_txt_is_an_image_and_an_exe_named_png_is_not(
    server: ServerProcess,
) -> None:
    alice = await Api.new_user(server.url)
    image = await uploaded(alice, png(40, 20), "notes.txt")
    assert image["content_type"] == "image/png"
    assert (image["width"], image["height"], image["thumbnail"]) == (40, 20, True)
    assert image["name"] == "notes.txt"  # a label: the name is never the type

    exe = await uploaded(alice, EXE_BYTES, "cat.png")
    assert not exe["content_type"].startswith("image/")
    assert (exe["width"], exe["height"], exe["thumbnail"]) == (None, None, False)
    got = await alice.request("GET", f"/api/files/{exe['id']}")
    assert got.status_code == 200
    assert got.content == EXE_BYTES
    assert got.headers["content-type"].split(";")[0] == exe["content_type"]
    assert got.headers["x-content-type-options"] == "nosniff"
    assert got.headers["content-security-policy"] == "sandbox"
    assert got.headers["content-disposition"] == "attachment; filename*=UTF-8''cat.png"
    assert (await alice.request("GET", f"/api/files/{exe['id']}/thumbnail")).status_code == 404

    text = await uploaded(alice, "héllo, plain text\n".encode(), "a.txt")
    assert text["content_type"] == "text/plain"
    broken = await uploaded(alice, png()[:30], "broken.png")  # a PNG that does not decode
    assert (broken["content_type"], broken["thumbnail"]) == ("application/octet-stream", False)
    await alice.close()


async def test_gps_exif_is_gone_and_the_image_is_upright(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    original = jpeg_with_gps(400, 200)
    assert opened(original).getexif().get_ifd(EXIF_GPS_IFD)  # the test image has a position
    info = await uploaded(alice, original, "holiday.jpg")
    assert info["content_type"] == "image/jpeg"
    assert (info["width"], info["height"]) == (200, 400)  # orientation applied
    stored = (await alice.request("GET", f"/api/files/{info['id']}")).content
    assert len(stored) == info["size"]
    image = opened(stored)
    assert image.size == (200, 400)
    assert dict(image.getexif()) == {}
    assert not {"exif", "icc_profile", "xmp", "comment"} & set(image.info)
    assert b"Exif" not in stored and b"CameraCo" not in stored
    await alice.close()


@pytest.mark.parametrize(
    ("size", "expected"),
    [((1000, 500), (320, 160)), ((300, 1200), (80, 320)), ((100, 50), (100, 50))],
)
async def test_thumbnails_fit_in_320_and_keep_the_aspect(
    server: ServerProcess, size: tuple[int, int], expected: tuple[int, int]
) -> None:
    alice = await Api.new_user(server.url)
    info = await uploaded(alice, png(*size), "p.png")
    thumb = await alice.request("GET", f"/api/files/{info['id']}/thumbnail")
    assert thumb.status_code == 200
    assert thumb.headers["content-type"] == "image/jpeg"
    assert opened(thumb.content).size == expected
    transparent = await uploaded(alice, png(*size, mode="RGBA"), "t.png")
    thumb = await alice.request("GET", f"/api/files/{transparent['id']}/thumbnail")
    assert thumb.headers["content-type"] == "image/png"
    assert opened(thumb.content).mode == "RGBA"
    await alice.close()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        ("evil\u202egpj.exe", "evilgpj.exe"),  # RIGHT-TO-LEFT OVERRIDE dropped
        ("tab\tand\nnewline.txt", "tab and newline.txt"),
        ("..", "file"),
        ("", "file"),
    ],
)
async def test_names_are_sanitised(server: ServerProcess, name: str, expected: str) -> None:
    alice = await Api.new_user(server.url)
    info = await uploaded(alice, b"some bytes", name)
    assert info["name"] == expected
    got = await alice.request("GET", f"/api/files/{info['id']}")
    disposition = got.headers["content-disposition"]
    assert unquote(disposition.split("UTF-8''", 1)[1]) == expected
    await alice.close()


async def test_a_1000_byte_name_is_cut_to_255_bytes_keeping_the_extension(
    server: ServerProcess,
) -> None:
    alice = await Api.new_user(server.url)
    name = "é" * 498 + ".pdf"  # 1000 bytes of UTF-8
    info = await uploaded(alice, b"x", name)
    assert len(info["name"].encode()) <= 255
    assert info["name"].endswith(".pdf") and info["name"].startswith("é")
    await alice.close()


async def test_the_same_upload_id_twice_is_one_upload(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    upload_id = str(uuid.uuid4())
    first = await upload(alice, b"first bytes", "a.bin", upload_id)
    again = await upload(alice, b"other bytes, never read", "b.bin", upload_id)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert (await alice.request("GET", f"/api/uploads/{upload_id}")).json() == first.json()
    # Another user's upload id is theirs alone.
    assert error_of(await bob.request("GET", f"/api/uploads/{upload_id}")) == (404, "not_found")
    theirs = await upload(bob, b"bob's", "c.bin", upload_id)
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]
    assert error_of(await alice.request("GET", f"/api/uploads/{uuid.uuid4()}")) == (
        404,
        "not_found",
    )
    assert error_of(await upload(alice, b"", "empty.bin")) == (422, "validation_error")
    assert error_of(await upload(alice, b"x", "x", upload_id="not-a-uuid")) == (
        422,
        "validation_error",
    )
    await alice.close()
    await bob.close()


async def test_sending_files_and_resending_the_same_message(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    first = await uploaded(alice, png(30, 30), "one.png")
    second = await uploaded(alice, b"%PDF-1.4\n%%EOF\n", "two.pdf")
    client_msg_id = str(uuid.uuid4())
    sent = await send_files(alice, group_id, [second["id"], first["id"]], "", client_msg_id)
    assert sent.status_code == 201, sent.text
    message = sent.json()
    assert message["body"] == ""
    assert message["attachments"] == [second, first]  # in the order given
    # A resend after a lost answer: the original, though the files are no longer free.
    again = await send_files(alice, group_id, [second["id"], first["id"]], "", client_msg_id)
    assert again.status_code == 200 and again.json() == message
    # Everywhere a message appears.
    page = await bob.messages(group_id)
    assert page["messages"][-1]["attachments"] == [second, first]
    groups = (await bob.request("GET", "/api/groups")).json()["groups"]
    assert next(g for g in groups if g["id"] == group_id)["last_message"]["attachments"] == [
        second,
        first,
    ]
    log = (await bob.request("GET", f"/api/groups/{group_id}/events?after_seq=0")).json()
    posted = [e for e in log["events"] if e["kind"] == "message.posted"][-1]
    assert posted["data"]["attachments"] == [second, first]
    # Each file is in exactly one message.
    reuse = await send_files(alice, group_id, [first["id"]], "again")
    assert error_of(reuse) == (422, "validation_error")
    assert str(first["id"]) in reuse.json()["error"]["message"]
    await alice.close()
    await bob.close()


async def test_send_rules_for_attachments(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    mine = await uploaded(alice, b"alice's file", "a.bin")
    bobs = await uploaded(bob, b"bob's file", "b.bin")
    empty_without_files = await alice.send(group_id, "")
    assert error_of(empty_without_files) == (422, "validation_error")
    assert error_of(await send_files(alice, group_id, [mine["id"]], "   ")) == (
        422,
        "validation_error",
    )
    refused = await send_files(alice, group_id, [mine["id"], bobs["id"]], "both")
    assert error_of(refused) == (422, "validation_error")
    assert str(bobs["id"]) in refused.json()["error"]["message"]
    assert error_of(await send_files(alice, group_id, [mine["id"], mine["id"]])) == (
        422,
        "validation_error",
    )
    assert error_of(await send_files(alice, group_id, list(range(1, 12)))) == (
        422,
        "validation_error",
    )
    # Nothing was claimed by the refused sends: the file still goes out with a caption.
    ok = await send_files(alice, group_id, [mine["id"]], "caption")
    assert ok.status_code == 201 and ok.json()["attachments"] == [mine]
    await alice.close()
    await bob.close()


async def test_socket_send_with_files_reaches_v1_and_v2_sockets(server: ServerProcess) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    info = await uploaded(alice, png(10, 10), "dot.png")
    v1 = await connect(server.url, bob.token or "")
    v2 = await connect(server.url, bob.token or "", protocol=2)
    sender = await connect(server.url, alice.token or "", protocol=2)
    try:
        ack = await sender.call(
            "message:send",
            {
                "group_id": group_id,
                "client_msg_id": str(uuid.uuid4()),
                "body": "",
                "attachment_ids": [info["id"]],
            },
        )
        assert ack["ok"] is True, ack
        assert ack["message"]["attachments"] == [info]
        new = await v1.wait_for("message:new", lambda m: m["id"] == ack["message"]["id"])
        assert new["attachments"] == [info]
        event = await v2.wait_for(
            "event", lambda e: e["kind"] == "message.posted" and e["data"]["id"] == new["id"]
        )
        assert event["data"]["attachments"] == [info]
        bad = await sender.call(
            "message:send",
            {"group_id": group_id, "client_msg_id": str(uuid.uuid4()), "body": ""},
        )
        assert bad["ok"] is False and bad["error"]["code"] == "validation_error"
    finally:
        for client in (v1, v2, sender):
            await client.close()
    await alice.close()
    await bob.close()


async def test_who_may_fetch_a_file(server: ServerProcess) -> None:
    alice, bob, carol, dave, eve = [await Api.new_user(server.url) for _ in range(5)]
    group_id = await group_of(alice, bob, carol, dave)
    info = await uploaded(alice, png(50, 50), "team.png")
    path = f"/api/files/{info['id']}"

    async def status(api: Api, suffix: str = "") -> int:
        return (await api.request("GET", path + suffix)).status_code

    # Unattached: the uploader only.
    assert await status(alice) == 200 and await status(alice, "/thumbnail") == 200
    assert await status(bob) == 404 and await status(bob, "/thumbnail") == 404
    message = (await send_files(alice, group_id, [info["id"]])).json()
    # Attached: the group's current members.
    for member in (alice, bob, carol, dave):
        assert await status(member) == 200 and await status(member, "/thumbnail") == 200
    missing = await eve.request("GET", path)
    assert error_of(missing) == (404, "not_found")
    nonexistent = await eve.request("GET", "/api/files/999999999")
    assert missing.json() == nonexistent.json()  # indistinguishable
    # Removed and departed members lose access.
    assert (
        await post_event(alice, group_id, "member.removed", {"user_id": carol.user["id"]})
    ).status_code == 201
    assert (await dave.request("DELETE", f"/api/groups/{group_id}/members/me")).status_code == 204
    assert await status(carol) == 404 and await status(dave) == 404
    assert await status(bob) == 200
    # A deleted message takes its files with it, for everyone.
    deleted = await delete_message(alice, group_id, message["id"])
    assert deleted.status_code == 201, deleted.text
    for api in (alice, bob):
        assert await status(api) == 404 and await status(api, "/thumbnail") == 404
    page = await bob.messages(group_id)
    gone = next(m for m in page["messages"] if m["id"] == message["id"])
    assert gone["deleted"] is True and "attachments" not in gone  # read as []
    log = (await bob.request("GET", f"/api/groups/{group_id}/events?after_seq=0")).json()
    posted = next(
        e
        for e in log["events"]
        if e["kind"] == "message.posted" and e["data"]["id"] == message["id"]
    )
    assert "attachments" not in posted["data"]
    for api in (alice, bob, carol, dave, eve):
        await api.close()


async def test_range_requests_and_etag(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    data = bytes(range(256)) * 40
    info = await uploaded(alice, data, "data.bin")
    path = f"/api/files/{info['id']}"
    part = await alice.request("GET", path, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.content == data[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(data)}"
    tail = await alice.request("GET", path, headers={"Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == data[-5:]
    rest = await alice.request("GET", path, headers={"Range": f"bytes={len(data) - 3}-"})
    assert rest.content == data[-3:]
    outside = await alice.request("GET", path, headers={"Range": f"bytes={len(data)}-"})
    assert outside.status_code == 416
    assert outside.headers["content-range"] == f"bytes */{len(data)}"
    whole = await alice.request("GET", path)
    assert whole.status_code == 200 and whole.content == data
    cached = await alice.request("GET", path, headers={"If-None-Match": whole.headers["etag"]})
    assert cached.status_code == 304
    await alice.close()


async def test_the_same_bytes_are_stored_once_and_deleted_with_the_last_file(
    server: ServerProcess,
) -> None:
    alice, bob = await Api.new_user(server.url), await Api.new_user(server.url)
    group_id = await group_of(alice, bob)
    data = uuid.uuid4().bytes * 100
    first = await uploaded(alice, data, "a.bin")
    second = await uploaded(bob, data, "b.bin")
    m1 = (await send_files(alice, group_id, [first["id"]])).json()
    await send_files(bob, group_id, [second["id"]])
    deleted = await delete_message(alice, group_id, m1["id"])
    assert deleted.status_code == 201
    # The other file with the same content still serves it.
    still = await alice.request("GET", f"/api/files/{second['id']}")
    assert still.status_code == 200 and still.content == data
    assert (await alice.request("GET", f"/api/files/{first['id']}")).status_code == 404
    await alice.close()
    await bob.close()


async def test_a_decompression_bomb_is_stored_as_plain_bytes(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    out = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(out, "PNG")  # 50 megapixels in a few kilobytes
    info = await uploaded(alice, out.getvalue(), "bomb.png")
    assert info["content_type"] == "application/octet-stream"
    assert (info["width"], info["thumbnail"]) == (None, False)
    assert info["size"] == len(out.getvalue())  # not decoded, not re-encoded
    await alice.close()


async def test_animations_keep_their_frames_and_lose_their_text(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    frames = [Image.new("RGB", (60, 40), (i * 80, 20, 20)) for i in range(3)]
    out = io.BytesIO()
    frames[0].save(
        out, "GIF", save_all=True, append_images=frames[1:], duration=80, comment=b"at home"
    )
    assert b"at home" in out.getvalue()
    info = await uploaded(alice, out.getvalue(), "wave.gif")
    assert (info["content_type"], info["width"], info["height"]) == ("image/gif", 60, 40)
    stored = (await alice.request("GET", f"/api/files/{info['id']}")).content
    assert b"at home" not in stored
    assert Image.open(io.BytesIO(stored)).n_frames == 3
    await alice.close()


async def test_png_text_chunks_are_dropped(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    chunks = PngImagePlugin.PngInfo()
    chunks.add_text("Location", "52.52N 13.40E")
    out = io.BytesIO()
    Image.new("RGB", (30, 30)).save(out, "PNG", pnginfo=chunks)
    info = await uploaded(alice, out.getvalue(), "shot.png")
    stored = (await alice.request("GET", f"/api/files/{info['id']}")).content
    assert b"52.52N" not in stored and opened(stored).info.get("Location") is None
    await alice.close()


async def test_the_same_upload_id_at_once_is_still_one_upload(server: ServerProcess) -> None:
    alice = await Api.new_user(server.url)
    upload_id = str(uuid.uuid4())
    answers = await asyncio.gather(
        *(upload(alice, png(200 + i, 100), "race.png", upload_id) for i in range(5))
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert len({a.json()["width"] for a in answers}) == 1  # one winner's bytes, for all
    await alice.close()
