"""Full-text search over message bodies: FTS5 on SQLite, a `tsvector` with GIN on PostgreSQL.

Revision ID: 0005
Revises: 0004

The index follows `messages` through triggers (SQLite) or a generated column (PostgreSQL),
so every path that stores, edits or deletes a message (the SQLAlchemy ones and the raw
hot-path writers alike) updates it in its own transaction. Deleted messages are never in it.
Existing messages are indexed here. The words are the runs of letters and digits, folded to
lower case without accents on both backends (see storage/search.py for the query side).
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# `prefix`: FTS5 also indexes the first 1, 2 and 3 characters of every word, so a short
# prefix query reads one list instead of merging the lists of every word it starts.
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE messages_fts USING fts5(body, content='messages', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='1 2 3')"
)
_SQLITE_ADD = "INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body)"
_SQLITE_REMOVE = (
    "INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body)"
)
SQLITE_TRIGGERS = (
    "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN NOT new.deleted "
    f"BEGIN {_SQLITE_ADD}; END",
    "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN NOT old.deleted "
    f"BEGIN {_SQLITE_REMOVE}; END",
    # Two triggers for an update: SQLite has no IF inside a trigger body.
    "CREATE TRIGGER messages_fts_update_old AFTER UPDATE OF body, deleted ON messages "
    f"WHEN NOT old.deleted BEGIN {_SQLITE_REMOVE}; END",
    "CREATE TRIGGER messages_fts_update_new AFTER UPDATE OF body, deleted ON messages "
    f"WHEN NOT new.deleted BEGIN {_SQLITE_ADD}; END",
)
SQLITE_BACKFILL = (
    "INSERT INTO messages_fts (rowid, body) SELECT id, body FROM messages WHERE NOT deleted"
)

# unaccent is a trusted extension (PostgreSQL 13+): the database owner may create it. Its
# function is only STABLE (the dictionary could change), so an IMMUTABLE wrapper naming the
# dictionary lets a generated column use it; the text is split into words at punctuation
# and spaces first, so "bob@example.com" is three words as on SQLite, not one e-mail token.
PG_FOLD = """
CREATE FUNCTION chat_search_fold(body text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT regexp_replace(
    lower({schema}.unaccent('{schema}.unaccent'::regdictionary, body)),
    '[[:punct:][:space:]]+', ' ', 'g') $$
"""
PG_COLUMN = (
    "ALTER TABLE messages ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS "
    "(CASE WHEN deleted THEN NULL ELSE to_tsvector('simple'::regconfig, chat_search_fold(body)) "
    "END) STORED"
)
PG_INDEX = "CREATE INDEX ix_messages_search ON messages USING gin (search_tsv)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_FTS)
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)
        op.execute(SQLITE_BACKFILL)
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    schema = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                "WHERE e.extname = 'unaccent'"
            )
        )
        .scalar_one()
    )
    op.execute(PG_FOLD.format(schema=_quoted(schema)))
    # Adding a stored generated column rewrites the table: that is the backfill.
    op.execute(PG_COLUMN)
    op.execute(PG_INDEX)


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update_old", "update_new"):
            op.execute(f"DROP TRIGGER messages_fts_{name}")
        op.execute("DROP TABLE messages_fts")
        return
    op.execute("DROP INDEX ix_messages_search")
    op.execute("ALTER TABLE messages DROP COLUMN search_tsv")
    op.execute("DROP FUNCTION chat_search_fold(text)")
