"""The tables, as SQLAlchemy Core metadata (the Alembic migrations create the same)."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

# BigInteger ids on PostgreSQL; SQLite needs INTEGER PRIMARY KEY for its rowid alias.
IdType = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(128), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("user_id", IdType, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # sha256 hex of the bearer token: the token itself is never stored
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

groups = Table(
    "groups",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("created_by", IdType, ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # the seq of the newest message (protocol v1's `last_seq`)
    Column("last_seq", BigInteger, nullable=False, server_default="0"),
    # the head of the group's event log: the counter, bumped in the same transaction as each change
    Column("head_seq", BigInteger, nullable=False, server_default="0"),
)

memberships = Table(
    "memberships",
    metadata,
    Column("group_id", IdType, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", IdType, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("joined_at", DateTime(timezone=True), nullable=False),
    Column("last_read_seq", BigInteger, nullable=False, server_default="0"),
    # the member's own mute setting (issue 12, migration 0007)
    Column("muted", Boolean, nullable=False, server_default="0"),
    Index("ix_memberships_user", "user_id"),
)

messages = Table(
    "messages",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("group_id", IdType, ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("sender_id", IdType, ForeignKey("users.id"), nullable=False),
    Column("client_msg_id", String(36), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("edited_at", DateTime(timezone=True), nullable=True),
    Column("deleted", Boolean, nullable=False, server_default="0"),
    Column("reply_to_message_id", IdType, nullable=True),
    # JSON of the attachments as posted (issue 12; null: none); `files` is the authority
    Column("attachments", Text, nullable=True),
    # JSON array of the mentioned user ids (issue 12, migration 0007)
    Column("mentions", Text, nullable=False, server_default="[]"),
    UniqueConstraint("group_id", "seq", name="uq_messages_group_seq"),
    UniqueConstraint("sender_id", "client_msg_id", name="uq_messages_sender_cmid"),
    Index("ix_messages_reply_to", "reply_to_message_id"),
)

# The group's log (protocol v2): every change with the group's next seq; `data` is JSON text.
events = Table(
    "events",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("group_id", IdType, ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("actor_id", IdType, ForeignKey("users.id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("client_event_id", String(36), nullable=True),
    # the message a message.* or reaction.* event is about (scrubbing finds them by it)
    Column("message_id", IdType, nullable=True),
    Column("data", Text, nullable=False),
    UniqueConstraint("group_id", "seq", name="uq_events_group_seq"),
    Index("ix_events_message", "message_id"),
    Index(
        "uq_events_actor_ceid",
        "actor_id",
        "client_event_id",
        unique=True,
        sqlite_where=text("client_event_id IS NOT NULL"),
        postgresql_where=text("client_event_id IS NOT NULL"),
    ),
)

reactions = Table(
    "reactions",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("message_id", IdType, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", IdType, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("emoji", String(64), nullable=False),
    UniqueConstraint("message_id", "user_id", "emoji", name="uq_reactions_message_user_emoji"),
)

# One row per key; "instance_id" names this database (migration 0002), kept by backups.
server_meta = Table(
    "server_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", String(256), nullable=False),
)

# Changes every node must apply (token revoked, member left or removed), followed by id.
control_log = Table(
    "control_log",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),
    Column("user_id", IdType, nullable=True),
    Column("group_id", IdType, nullable=True),
    Column("token_hash", String(64), nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_control_log_at", "at"),
)

# Issue 12 (migration 0006). Stored bytes by SHA-256, shared by every file with that content;
# a blob no file refers to is deleted (storage/files.py `unreferenced`).
blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The bytes themselves with `--file-store database` (with `dir` they are files on disk).
blob_chunks = Table(
    "blob_chunks",
    metadata,
    Column("sha256", String(64), ForeignKey("blobs.sha256", ondelete="CASCADE"), primary_key=True),
    Column("idx", Integer, primary_key=True, autoincrement=False),
    Column("data", LargeBinary, nullable=False),
)

# An upload (message_id null) or an attachment of a message; `group_id` for access checks.
files = Table(
    "files",
    metadata,
    Column("id", IdType, primary_key=True, autoincrement=True),
    Column("uploader_id", IdType, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("upload_id", String(36), nullable=False),
    Column("name", String(255), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("content_type", String(128), nullable=False),
    Column("width", Integer, nullable=True),
    Column("height", Integer, nullable=True),
    Column("blob_sha256", String(64), ForeignKey("blobs.sha256"), nullable=False),
    Column("thumb_sha256", String(64), ForeignKey("blobs.sha256"), nullable=True),
    Column("thumb_type", String(32), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("message_id", IdType, ForeignKey("messages.id", ondelete="CASCADE"), nullable=True),
    Column("group_id", IdType, ForeignKey("groups.id", ondelete="CASCADE"), nullable=True),
    Column("position", Integer, nullable=True),
    UniqueConstraint("uploader_id", "upload_id", name="uq_files_uploader_upload"),
    Index("ix_files_message", "message_id"),
    Index("ix_files_pending", "uploader_id", "message_id"),
    Index("ix_files_created", "created_at"),
    Index("ix_files_blob", "blob_sha256"),
    Index("ix_files_thumb", "thumb_sha256"),
)
