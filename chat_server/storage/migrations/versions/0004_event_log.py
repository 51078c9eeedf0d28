"""The event log (protocol v2): events, reactions, message edit/delete/reply columns, head_seq.

Revision ID: 0004
Revises: 0003

Every existing message gets its `message.posted` event with the same seq (so seqs already
handed out never change), and each group's log head starts at its newest message.
"""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.DateTime(timezone=True)
# Rows read and written per round trip while backfilling, so a large database does not
# need all its messages in memory at once.
BACKFILL_CHUNK = 5000
NOT_NULL = "client_event_id IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("head_seq", sa.BigInteger, nullable=False, server_default="0"))
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("edited_at", Time, nullable=True))
        batch.add_column(
            sa.Column("deleted", sa.Boolean, nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("reply_to_message_id", Id, nullable=True))
    op.create_index("ix_messages_reply_to", "messages", ["reply_to_message_id"])
    op.create_table(
        "events",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("group_id", Id, sa.ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor_id", Id, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("at", Time, nullable=False),
        sa.Column("client_event_id", sa.String(36), nullable=True),
        sa.Column("message_id", Id, nullable=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.UniqueConstraint("group_id", "seq", name="uq_events_group_seq"),
    )
    op.create_index("ix_events_message", "events", ["message_id"])
    op.create_index(
        "uq_events_actor_ceid",
        "events",
        ["actor_id", "client_event_id"],
        unique=True,
        sqlite_where=sa.text(NOT_NULL),
        postgresql_where=sa.text(NOT_NULL),
    )
    op.create_table(
        "reactions",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column(
            "message_id", Id, sa.ForeignKey("messages.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("emoji", sa.String(64), nullable=False),
        sa.UniqueConstraint(
            "message_id", "user_id", "emoji", name="uq_reactions_message_user_emoji"
        ),
    )
    _backfill()
    op.execute("UPDATE groups SET head_seq = last_seq")


def _utc_z(value: datetime | str) -> str:
    """The wire's time form (ISO 8601 UTC, milliseconds, `Z`); SQLite hands back text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _backfill() -> None:
    """One `message.posted` event per existing message, its data the message as v2 shows it."""
    bind = op.get_bind()
    events = sa.table(
        "events",
        sa.column("group_id"),
        sa.column("seq"),
        sa.column("kind"),
        sa.column("actor_id"),
        sa.column("at", Time),
        sa.column("client_event_id"),
        sa.column("message_id"),
        sa.column("data"),
    )
    select = sa.text(
        "SELECT m.id, m.group_id, m.seq, m.client_msg_id, m.body, m.created_at, "
        "u.id AS sender_id, u.username, u.display_name "
        "FROM messages m JOIN users u ON u.id = m.sender_id "
        "WHERE m.id > :after ORDER BY m.id LIMIT :chunk"
    ).columns(created_at=Time)
    after = 0
    while True:
        rows = bind.execute(select, {"after": after, "chunk": BACKFILL_CHUNK}).all()
        if not rows:
            return
        bind.execute(events.insert(), [_posted(r) for r in rows])
        after = int(rows[-1].id)


def _posted(row: sa.Row) -> dict[str, object]:
    message = {
        "id": int(row.id),
        "group_id": int(row.group_id),
        "seq": int(row.seq),
        "sender": {
            "id": int(row.sender_id),
            "username": row.username,
            "display_name": row.display_name,
        },
        "client_msg_id": row.client_msg_id,
        "body": row.body,
        "created_at": _utc_z(row.created_at),
        "edited_at": None,
        "deleted": False,
        "reply_to": None,
        "reactions": [],
    }
    return {
        "group_id": int(row.group_id),
        "seq": int(row.seq),
        "kind": "message.posted",
        "actor_id": int(row.sender_id),
        "at": row.created_at,
        "client_event_id": row.client_msg_id,
        "message_id": int(row.id),
        "data": json.dumps(message, ensure_ascii=False, separators=(",", ":")),
    }


def downgrade() -> None:
    op.drop_table("reactions")
    op.drop_index("uq_events_actor_ceid", table_name="events")
    op.drop_index("ix_events_message", table_name="events")
    op.drop_table("events")
    op.drop_index("ix_messages_reply_to", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("reply_to_message_id")
        batch.drop_column("deleted")
        batch.drop_column("edited_at")
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("head_seq")
