"""Alembic migrations of the chat server's schema, applied on start."""
