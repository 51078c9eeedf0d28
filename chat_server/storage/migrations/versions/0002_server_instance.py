"""The server's identity: one row naming this database's instance, made once and kept by backups.

Revision ID: 0002
Revises: 0001
"""

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "server_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(256), nullable=False),
    )
    # Made with the database, so a backup restored elsewhere keeps it and a fresh data dir
    # gets a new one: clients tell "the same server" from "a server at the same address".
    op.bulk_insert(table, [{"key": "instance_id", "value": str(uuid.uuid4())}])


def downgrade() -> None:
    op.drop_table("server_meta")
