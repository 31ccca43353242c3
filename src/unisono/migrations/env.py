"""Alembic environment: migrates the connection handed over by ``unisono.migrate``."""

from __future__ import annotations

from alembic import context

from unisono.db import make_engine
from unisono.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        with make_engine(config.get_main_option("sqlalchemy.url")).connect() as conn:
            _run(conn)
    else:
        _run(connection)


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave full-text search objects (FTS5 tables, the tsvector column) to hand-written SQL."""
    return not (name or "").startswith(
        ("interactions_fts", "search_vector", "ix_interactions_search")
    )


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        include_object=include_object,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
