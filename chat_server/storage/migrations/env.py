"""Alembic environment: runs on the connection the server hands over (see storage.migrate)."""

from alembic import context

from chat_server.storage.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through chat_server.storage.migrate, which supplies a connection"
    )

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
