"""Files (issue 12): uploads and attachments, content-addressed blobs, their chunks, and the
attachments snapshot on messages.

Revision ID: 0006
Revises: 0004

Numbered 0006 because the search work adds 0005 at the same time; both revise 0004 and the
server upgrades to every head, so either order of merging works (the merge may re-point this
one at 0005 to keep one line of history).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Time = sa.DateTime(timezone=True)
Sha = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", Sha, primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("created_at", Time, nullable=False),
    )
    op.create_table(
        "blob_chunks",
        sa.Column(
            "sha256", Sha, sa.ForeignKey("blobs.sha256", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("idx", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "files",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("uploader_id", Id, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("upload_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("content_type", sa.String(128), nullable=False),
        sa.Column("width", sa.Integer, nullable=True),
        sa.Column("height", sa.Integer, nullable=True),
        sa.Column("blob_sha256", Sha, sa.ForeignKey("blobs.sha256"), nullable=False),
        sa.Column("thumb_sha256", Sha, sa.ForeignKey("blobs.sha256"), nullable=True),
        sa.Column("thumb_type", sa.String(32), nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Column(
            "message_id", Id, sa.ForeignKey("messages.id", ondelete="CASCADE"), nullable=True
        ),
        sa.Column("group_id", Id, sa.ForeignKey("groups.id", ondelete="CASCADE"), nullable=True),
        sa.Column("position", sa.Integer, nullable=True),
        sa.UniqueConstraint("uploader_id", "upload_id", name="uq_files_uploader_upload"),
    )
    op.create_index("ix_files_message", "files", ["message_id"])
    op.create_index("ix_files_pending", "files", ["uploader_id", "message_id"])
    op.create_index("ix_files_created", "files", ["created_at"])
    op.create_index("ix_files_blob", "files", ["blob_sha256"])
    op.create_index("ix_files_thumb", "files", ["thumb_sha256"])
    with op.batch_alter_table("messages") as batch:
        # JSON of the message's attachments as posted (null: none); files is the authority
        batch.add_column(sa.Column("attachments", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("attachments")
    for index in ("ix_files_thumb", "ix_files_blob", "ix_files_created", "ix_files_pending"):
        op.drop_index(index, table_name="files")
    op.drop_index("ix_files_message", table_name="files")
    op.drop_table("files")
    op.drop_table("blob_chunks")
    op.drop_table("blobs")
