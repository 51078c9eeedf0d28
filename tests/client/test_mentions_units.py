"""Mentions on the client without a server: where a body's mentions are (code points to
QTextLayout's UTF-16 units, line breaks as laid out), the cache's copy of a row's mentions,
and a group's unread mentions as reads and edits move."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from desktop_app.session.groups import GroupState
from desktop_app.session.mentions import MentionSpan, mention_seqs, spans, track_mention
from desktop_app.session.row_codec import get_extras, set_extras
from desktop_app.session.timeline import SENT, Row, Timeline
from desktop_app.ui import theme
from desktop_app.ui.timeline.mention_marks import format_ranges

ME, BOB, CAROL = 1, 2, 3
NAMES = {ME: "me_user", BOB: "bob", CAROL: "carol"}
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def row(seq: int, mentions: tuple[int, ...] | None, sender: int = BOB) -> Row:
    made = Row(
        id=seq,
        seq=seq,
        sender_id=sender,
        sender_name=NAMES[sender],
        body=f"@me_user #{seq}",
        created_at=NOW,
        client_msg_id="",
        state=SENT,
        is_own=sender == ME,
    )
    made.mentions = mentions
    return made


def test_spans_only_for_the_ids_the_message_lists() -> None:
    body = "@bob, @carol and @me_user. Not @dave, nor a@bob"
    found = spans(body, [BOB, ME], NAMES, ME)
    assert found == [MentionSpan(0, 4, BOB, False), MentionSpan(17, 25, ME, True)]
    assert spans(body, [], NAMES, ME) == []
    assert spans(body, [42], NAMES, ME) == [], "an id nobody here knows is not highlighted"


def test_layout_offsets_count_utf16_units_and_crlf_as_one_break() -> None:
    body = "😀\r\nhi @bob"
    start = body.index("@")
    ranges = format_ranges(body, [MentionSpan(start, start + 4, BOB, False)], theme.LIGHT)
    # "😀" is two UTF-16 units, "\r\n" becomes one break: "@" sits at unit 2 + 1 + 3.
    assert [(r.start, r.length) for r in ranges] == [(6, 4)]
    strong = format_ranges("@bob", [MentionSpan(0, 4, ME, True)], theme.DARK)[0]
    weak = format_ranges("@bob", [MentionSpan(0, 4, BOB, False)], theme.DARK)[0]
    assert strong.format.background().color().alpha() > weak.format.background().color().alpha()


def test_the_cache_keeps_a_rows_mentions() -> None:
    kept = row(5, (BOB, ME))
    extras = get_extras(kept)
    assert extras is not None and json.loads(extras)["mentions"] == [BOB, ME]
    back = row(5, None)
    set_extras(back, json.loads(extras))
    assert back.mentions == (BOB, ME)
    assert get_extras(row(6, None)) is None, "most rows stay without extras"


def test_unread_mentions_follow_reads_and_edits() -> None:
    tl = Timeline(7)
    tl.merge([row(1, (ME,)), row(2, None), row(3, (CAROL,)), row(4, (ME,)), row(5, (ME,), ME)])
    state = GroupState(id=7, name="Team", created_at=NOW, member_count=3, my_id=ME)
    state.mention_seqs = mention_seqs(tl, 0, ME)
    assert state.mention_seqs == {1, 4}, "own messages never mention me as news"
    state.set_read(1, 3, 4)
    assert state.unread_mention and state.mention_seqs == {4}
    edited = tl.find(4)
    assert edited is not None
    edited[1].mentions = None
    assert track_mention(state, edited[1], ME) and not state.unread_mention
    edited[1].mentions = (ME,)
    assert track_mention(state, edited[1], ME) and state.unread_mention
    assert not track_mention(state, edited[1], ME), "no change, nothing to repaint"
    state.set_read(4, 0, 4)
    assert not state.unread_mention
