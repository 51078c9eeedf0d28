"""The Qt models on their own: Qt's model tester, row signals, ordering of the group list."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QModelIndex

from chat_protocol.models import Group
from desktop_app.models.group_list_model import GroupListModel, GroupRoles
from desktop_app.models.message_model import MessageModel, MessageRoles
from desktop_app.session.groups import GroupRegistry
from desktop_app.session.timeline import PENDING, SENT, Row, Timeline

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def row(seq: int) -> Row:
    return Row(
        id=seq,
        seq=seq,
        sender_id=2,
        sender_name="Bob",
        body=f"m{seq}",
        created_at=T0 + timedelta(seconds=seq),
        client_msg_id=f"cid-{seq}",
        state=SENT,
        is_own=False,
    )


def group(gid: int, name: str, minutes: int) -> Group:
    return Group.model_validate(
        {
            "id": gid,
            "name": name,
            "created_at": (T0 + timedelta(minutes=minutes)).isoformat(),
            "member_count": 2,
            "last_seq": 0,
            "last_read_seq": 0,
            "unread_count": 0,
        }
    )


def test_message_model_passes_qt_model_tester_and_signals_where_rows_went(
    qtmodeltester: Any,
) -> None:
    tl = Timeline(5)
    requested: list[bool] = []
    model = MessageModel(tl, lambda: requested.append(True))
    qtmodeltester.check(model)
    appended: list[int] = []
    older: list[int] = []
    model.messages_appended.connect(appended.append)
    model.older_inserted.connect(older.append)

    tl.merge([row(i) for i in range(51, 101)])
    tl.anchor(51, at_start=False)
    tl.add_pending(
        Row(
            id=None,
            seq=None,
            sender_id=1,
            sender_name="Me",
            body="hi",
            created_at=T0,
            client_msg_id="c",
            state=PENDING,
            is_own=True,
        )
    )
    tl.merge([row(i) for i in range(1, 51)])
    qtmodeltester.check(model)

    assert appended == [50, 1] and older == [50]
    assert model.rowCount() == 101
    assert model.data(model.index(0), MessageRoles.SEQ) == 1
    assert model.data(model.index(100), MessageRoles.STATE) == PENDING
    assert model.data(model.index(100), MessageRoles.IS_OWN) is True
    assert isinstance(model.data(model.index(0), MessageRoles.CREATED_AT), datetime)
    assert model.row_for_client_msg_id("c") == 100
    assert b"body" in model.roleNames().values()

    model.request_older()
    model.request_older()
    assert requested == [True], "a second request while loading is ignored"


def test_group_list_orders_by_activity_and_moves_a_group_up(qtmodeltester: Any) -> None:
    registry = GroupRegistry()
    model = GroupListModel(registry)
    qtmodeltester.check(model)
    registry.upsert(group(1, "Old", 0))
    registry.upsert(group(2, "Newer", 10))
    registry.upsert(group(3, "Newest", 20))
    assert [model.data(model.index(r)) for r in range(3)] == ["Newest", "Newer", "Old"]
    totals: list[int] = []
    model.total_unread_changed.connect(totals.append)

    state = registry.by_id[1]
    state.set_last(1, "Bob", "wake up", T0 + timedelta(hours=1))
    state.extra_unread += 1
    registry.changed(1)
    qtmodeltester.check(model)

    assert model.group_id_at(0) == 1 and model.row_of(1) == 0
    assert model.data(model.index(0), GroupRoles.UNREAD) == 1
    assert model.data(model.index(0), GroupRoles.PREVIEW) == "Bob: wake up"
    assert totals == [1]
    registry.remove(2)
    assert model.rowCount() == 2


def test_installed_pyside6_keeps_reference_counts() -> None:
    # PySide6 6.12.0 on Python 3.11 drops a reference to None on every void call and to True
    # on every emit; a chat session makes millions and the interpreter aborts
    # ("bool_dealloc"/"none_dealloc"). pyproject pins a clean version; this guards the pin.
    model = MessageModel(Timeline(9))
    true_before, none_before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(1000):
        model.older_loading_changed.emit(True)
        model.beginInsertRows(QModelIndex(), 0, -1)
        model.endInsertRows()
    assert abs(sys.getrefcount(True) - true_before) < 10
    assert abs(sys.getrefcount(None) - none_before) < 10


def test_each_message_tells_its_sender_and_exact_time_on_hover() -> None:
    """Grouped rows show no time of their own; the tooltip always has it."""
    from datetime import UTC, datetime

    from PySide6.QtCore import Qt

    from desktop_app.models.message_model import MessageModel
    from desktop_app.session.timeline import PENDING, SENT, Row, Timeline

    when = datetime(2026, 11, 26, 3, 59, 12, tzinfo=UTC)
    tl = Timeline(1)
    tl.merge(
        [
            Row(
                id=5,
                seq=1,
                sender_id=2,
                sender_name="Bob",
                body="hi",
                created_at=when,
                client_msg_id=None,
                state=SENT,
                is_own=False,
            )
        ]
    )
    tl.add_pending(
        Row(
            id=None,
            seq=None,
            sender_id=1,
            sender_name="Alice",
            body="wait",
            created_at=when,
            client_msg_id="c1",
            state=PENDING,
            is_own=True,
        )
    )
    model = MessageModel(tl)
    local = when.astimezone().strftime("%a %d %b %Y, %H:%M:%S")
    assert model.data(model.index(0), Qt.ItemDataRole.ToolTipRole) == f"Bob · {local}"
    tip = model.data(model.index(1), Qt.ItemDataRole.ToolTipRole)
    assert tip == f"Alice · typed {local} · not sent yet"
