"""The Alembic migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from unisono.migrate import is_current, upgrade
from unisono.models import Base


def _ignored(diff: tuple[object, ...]) -> bool:
    # Full-text search objects live only in the migration (FTS5 table, tsvector column).
    text = repr(diff)
    return "interactions_fts" in text or "search_vector" in text


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diffs if not _ignored(d)] == []


def test_upgrade_is_idempotent_and_current(engine: Engine) -> None:
    upgrade(engine)
    assert is_current(engine)
    tables = set(inspect(engine).get_table_names())
    assert {"customers", "identities", "interactions", "audit_events", "api_tokens"} <= tables
