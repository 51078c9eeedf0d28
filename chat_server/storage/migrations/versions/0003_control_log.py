"""The control log: revocations and membership changes that every node must apply, in order.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Nodes follow this table by id (pub/sub only makes them hear of a change sooner),
    # so a logout or a leave reaches every node even while Redis is down.
    op.create_table(
        "control_log",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("user_id", Id, nullable=True),
        sa.Column("group_id", Id, nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_control_log_at", "control_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_control_log_at", table_name="control_log")
    op.drop_table("control_log")
