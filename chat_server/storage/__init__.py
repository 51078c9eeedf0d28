"""Storage: SQLAlchemy Core tables, the database handle and one query module per feature."""
