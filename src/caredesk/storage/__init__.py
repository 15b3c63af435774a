"""Persistence: SQLAlchemy models and repositories, Alembic migrations, the blob store."""
