"""Initial schema: users, tokens, groups, memberships, messages.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("created_at", Time, nullable=False),
    )
    op.create_table(
        "tokens",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("expires_at", Time, nullable=False),
        sa.Column("revoked_at", Time, nullable=True),
    )
    op.create_table(
        "groups",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_by", Id, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_table(
        "memberships",
        sa.Column("group_id", Id, sa.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("joined_at", Time, nullable=False),
        sa.Column("last_read_seq", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_index("ix_memberships_user", "memberships", ["user_id"])
    op.create_table(
        "messages",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("group_id", Id, sa.ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("sender_id", Id, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("client_msg_id", sa.String(36), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.UniqueConstraint("group_id", "seq", name="uq_messages_group_seq"),
        sa.UniqueConstraint("sender_id", "client_msg_id", name="uq_messages_sender_cmid"),
    )


def downgrade() -> None:
    op.drop_table("messages")
    op.drop_index("ix_memberships_user", table_name="memberships")
    op.drop_table("memberships")
    op.drop_table("groups")
    op.drop_table("tokens")
    op.drop_table("users")
