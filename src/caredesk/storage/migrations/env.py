"""Alembic environment: runs migrations on the engine passed in by `caredesk.storage.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

from caredesk.storage.models import Base

config = context.config
engine = config.attributes.get("engine")
if not isinstance(engine, Engine):
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    context.run_migrations()
