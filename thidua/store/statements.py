"""The statements every table family of the state store is written with.

Writes are upserts on the natural keys (INSERT … ON CONFLICT), so two workers
recording the same fact never trip over the UNIQUE constraints. Committing is the
caller's job (`thidua.store.db.session_scope`), except for the delivery records of
`thidua.ledger.deliveries`, whose whole point is to be durable before and after a send.

The table families: `campaign_rows` (campaigns, their units, their actions),
`submission_rows`, `nomination_rows`, `outbox_rows`; deliveries live in the ledger.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, select

from thidua.errors import ThiduaError

M = TypeVar("M", bound=SQLModel)


def insert_for(session: Session, model: type[SQLModel]) -> Any:
    """A dialect-specific INSERT for `model`, which has ON CONFLICT clauses."""
    # Imported here: each dialect module costs ~20 ms of every CLI call that needs neither.
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(model)
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(model)
    # A user-set THIDUA_DATABASE_URL (MySQL, say) must end in a clear message, not a traceback.
    raise ThiduaError(f"kho trạng thái chỉ hỗ trợ SQLite và PostgreSQL, không hỗ trợ “{dialect}”")


def upsert(
    session: Session,
    model: type[M],
    *,
    key: Mapping[str, Any],
    insert: Mapping[str, Any],
    update: Mapping[str, Any],
) -> M:
    """Insert `key | insert`, or on a key conflict set `update`; the row as it is now."""
    session.flush()  # pending ORM changes first, so the statement sees them
    # Fields left out get the models' defaults: SQLModel makes them Column defaults.
    stmt = insert_for(session, model).values({**key, **insert, **update})
    stmt = (
        stmt.on_conflict_do_update(index_elements=list(key), set_=dict(update))
        if update
        else stmt.on_conflict_do_nothing(index_elements=list(key))
    )
    session.exec(stmt)
    return reload(session, model, key)


def reload(session: Session, model: type[M], key: Mapping[str, Any]) -> M:
    """The row of `model` with `key`, refreshing any copy the session already holds."""
    statement = select(model).filter_by(**key)
    return session.exec(statement, execution_options={"populate_existing": True}).one()


def plain(value: Any) -> Any:
    """An enum member as its value, so units' kinds are stored as plain strings."""
    return getattr(value, "value", value)
