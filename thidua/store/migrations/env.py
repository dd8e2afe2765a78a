"""Alembic environment of the state store; run by `thidua.store.db.migrate`, no alembic.ini needed.

`migrate` hands over an open connection (in ``config.attributes["connection"]``)
inside the transaction that holds the migration lock. Without one, a connection is
made to ``sqlalchemy.url``. A new revision is written with, for example::

    python -c "from alembic import command; from thidua.store.db import alembic_config; \
command.revision(alembic_config(), message='…', autogenerate=True)"
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import String, create_engine
from sqlalchemy.engine import Connection
from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

from thidua.store.models import StrEnumType, metadata

config = context.config
target_metadata = metadata


def render_item(kind: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render the models' column types as plain SQLAlchemy ones, so revisions never import them."""
    if kind == "type":
        if isinstance(obj, StrEnumType):
            return f"sa.String(length={_length(obj)})"
        if isinstance(obj, UTCDateTime):
            return "sa.DateTime(timezone=True)"
        if isinstance(obj, AutoString):
            length = _length(obj)
            return f"sa.String(length={length})" if length else "sa.String()"
    return False


def _length(column_type: StrEnumType[Any] | AutoString) -> int | None:
    """The length of the String a decorated type stores as."""
    impl = column_type.impl_instance
    return impl.length if isinstance(impl, String) else None


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things: later revisions recreate tables instead.
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    try:
        with engine.begin() as conn:
            run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("thidua migrations run online only (thidua.store.db.migrate)")
run_migrations_online()
