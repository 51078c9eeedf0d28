"""The pure parts of file handling (issue 12), without a server: ranges and names."""

from __future__ import annotations

import pytest

from chat_server.files.names import sanitise_name
from chat_server.files.ranges import Unsatisfiable, parse_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-9", (0, 10)),
        ("bytes=5-", (5, 100)),
        ("bytes=-10", (90, 100)),
        ("bytes=-500", (0, 100)),
        ("bytes=90-500", (90, 100)),
        ("bytes=0-1,5-6", None),  # several ranges: the whole file
        ("items=0-1", None),
        ("bytes=-", None),
    ],
)
def test_parse_range(header: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=-0", "bytes=9-3"])
def test_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(Unsatisfiable):
        parse_range(header, 100)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("report.pdf", "report.pdf"),
        ("/abs/path/x.txt", "x.txt"),
        ("a\u200bb\u2066c\u2069.txt", "abc.txt"),  # zero-width space, isolates
        ("name. . .", "name"),
        ("Cafe\u0301.txt", "Café.txt"),  # NFC
        ("x" * 300, "x" * 255),
        ("\x00\x01", "file"),
        (None, "file"),
    ],
)
def test_sanitise_name(raw: str | None, expected: str) -> None:
    assert sanitise_name(raw) == expected
