"""Mentions and mute (issue 12): `messages.mentions` and `memberships.muted`.

Revision ID: 0007
Revises: 0004

`mentions` is the JSON array of the user ids a message mentions, computed when it is posted
or edited; messages stored before this revision mention nobody (no backfill: nobody was
told of those mentions when they were sent either). `muted` is the member's own setting.

Numbering: 0005 and 0006 are the search and files migrations of the same issue, built at the
same time; whichever is merged last makes `down_revision` the one merged before it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("mentions", sa.Text, nullable=False, server_default="[]"))
    with op.batch_alter_table("memberships") as batch:
        batch.add_column(sa.Column("muted", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("muted")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("mentions")
