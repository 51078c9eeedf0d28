"""The Qt-free parts of files in the client (issue 12): staged copies that outlive the
original and go with their outbox row, what a pending echo shows, the group list's preview,
and sizes in words."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from desktop_app.session.attachments import (
    FileRef,
    PendingFile,
    attachment_specs,
    preview_body,
    refs_of,
    stage,
    staging_root,
)
from desktop_app.session.outbox import Outbox, OutboxItem
from desktop_app.ui.files.words import human_size


def test_staged_copies_outlive_the_original_and_leave_with_their_outbox_row(
    tmp_path: Path,
) -> None:
    original = tmp_path / "photo.jpg"
    original.write_bytes(b"\xff\xd8 not really a jpeg")
    outbox_path = tmp_path / "profile" / "outbox.sqlite3"
    root = staging_root(outbox_path)
    outbox = Outbox(outbox_path, 1, files_root=root)
    files = [
        PendingFile("photo.jpg", original.stat().st_size, path=original, width=4, height=3),
        PendingFile("Pasted image.png", 5, data=b"\x89PNG!"),
    ]
    specs = stage(root, "cid-1", files)
    outbox.add(OutboxItem("cid-1", 7, "", datetime.now(UTC), data={"attachments": specs}))
    original.unlink()  # the user deletes the original: the message still has its file
    item = outbox.get("cid-1")
    assert item is not None
    stored = attachment_specs(item.data)
    assert [Path(s["path"]).read_bytes() for s in stored] == [
        b"\xff\xd8 not really a jpeg",
        b"\x89PNG!",
    ]
    assert len({s["upload_id"] for s in stored}) == 2
    assert [s["content_type"] for s in stored] == ["image/jpeg", "image/png"]
    refs = refs_of(stored)
    assert refs is not None and refs[0].is_image and not refs[1].is_image  # no size known
    # What a try learnt is kept; removing the row (sent, discarded) removes the copies.
    stored[0]["attachment_id"] = 41
    outbox.set_data("cid-1", {"attachments": stored})
    again = outbox.get("cid-1")
    assert again is not None and attachment_specs(again.data)[0]["attachment_id"] == 41
    assert outbox.remove("cid-1")
    assert not (root / "cid-1").exists()
    outbox.close()


def test_previews_and_sizes_in_words() -> None:
    one = (FileRef("report.pdf", 10),)
    assert preview_body("", one) == "📎 report.pdf"
    assert preview_body("", one * 3) == "📎 3 files"
    assert preview_body("look", one) == "look"
    assert preview_body("", None) == ""  # a deleted message stays a tombstone
    assert [human_size(n) for n in (1, 900, 2048, 5_400_000, 25 * 1024 * 1024)] == [
        "1 byte",
        "900 bytes",
        "2.0 KB",
        "5.1 MB",
        "25 MB",
    ]
