"""Engine and sessions of the state store, migrated to the newest schema on first use.

SQLite (the default, in the data dir) is tuned for several processes on one
machine: WAL, a busy timeout and foreign keys on every connection. PostgreSQL is
the multi-worker mode. Either way the first `get_engine` for a URL in a process
runs the Alembic migrations, under a lock, so that workers starting together
never race to create the schema.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.pool import StaticPool
from sqlmodel import Session

from thidua.errors import StoreUnavailable

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
#: Milliseconds a SQLite connection waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: Seconds to wait for a PostgreSQL server before calling it unreachable.
PG_CONNECT_TIMEOUT_S = 10
#: Key of the PostgreSQL advisory lock held while migrating ("thidua" in ASCII).
PG_MIGRATION_LOCK = 0x746869647561

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def privacy_url(url: str | URL) -> str:
    """`url` with its password masked, for messages and logs."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return "<URL không hợp lệ>"
    return parsed.render_as_string(hide_password=True)


def _normalise(url: str) -> str:
    # Heroku-style "postgres://" is not accepted by SQLAlchemy 2.
    if url.startswith("postgres://"):
        return "postgresql://" + url[len("postgres://") :]
    return url


def _unavailable(url: str | URL, exc: BaseException) -> StoreUnavailable:
    """A StoreUnavailable for `url`, whose text never shows the password."""
    parsed = make_url(url) if isinstance(url, str) else url
    orig = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).strip().splitlines() if line.strip()]
    reason = lines[0] if lines else type(orig).__name__
    password = str(parsed.password or "")
    if len(password) >= 3:  # drivers do not echo it, but a message must never show it
        reason = reason.replace(password, "***")
    return StoreUnavailable(privacy_url(parsed), reason)


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if not in_memory:
        try:
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _unavailable(url, exc) from exc
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if in_memory:
        # One shared connection, or every checkout would see a different empty database.
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            # busy_timeout first: switching to WAL needs a lock another process may hold.
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    return engine


def _postgres_engine(url: URL) -> Engine:
    connect_args: dict[str, Any] = {}
    # libpq would wait for a blackholed host for minutes; fail soon and say so instead.
    if url.get_driver_name() in ("psycopg2", "psycopg") and "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def create_store_engine(url: str) -> Engine:
    """A new, unmigrated engine for `url` with the per-backend settings (see `get_engine`)."""
    try:
        parsed = make_url(_normalise(url))
    except ArgumentError as exc:
        raise StoreUnavailable(privacy_url(url), "URL không hợp lệ") from exc
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    if parsed.get_backend_name() == "postgresql":
        return _postgres_engine(parsed)
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except Exception as exc:  # e.g. the driver of another backend is not installed
        raise _unavailable(parsed, exc) from exc


def get_engine(url: str | None = None) -> Engine:
    """The engine for `url` (default: the configured state store), migrated on first use.

    Cached per URL for the life of the process; raises StoreUnavailable when the
    database cannot be reached (nothing is cached then, so a later call retries).
    """
    if url is None:
        from thidua.config import get_settings

        url = get_settings().state_url
    url = _normalise(url)
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = create_store_engine(url)
            try:
                migrate(engine)
            except BaseException:
                engine.dispose()
                raise
            _engines[url] = engine
    return engine


def _after_fork_in_child() -> None:
    """A forked child must not share the parent's connections, nor a lock held at fork time."""
    global _lock
    _lock = threading.Lock()
    for engine in _engines.values():
        engine.dispose(close=False)  # new pools; the parent's sockets stay the parent's


os.register_at_fork(after_in_child=_after_fork_in_child)


def reset_engines() -> None:
    """Dispose of every cached engine (tests; after a fork)."""
    with _lock:
        engines = list(_engines.values())
        _engines.clear()
    for engine in engines:
        engine.dispose()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises.

    Objects stay usable after the block (no expiry on commit), so functions can
    return what they loaded. A lost or refused connection becomes StoreUnavailable,
    so a run's log and failure alert say in Vietnamese which store could not be
    reached instead of showing a driver traceback.
    """
    bind = engine if engine is not None else get_engine()
    session = Session(bind, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except (OperationalError, InterfaceError) as exc:
        with contextlib.suppress(DBAPIError):  # the connection may be gone already
            session.rollback()
        raise _unavailable(bind.url, exc) from exc
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --- migrations -------------------------------------------------------------------


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config for thidua's migrations, built in code (no alembic.ini)."""
    from alembic.config import Config

    config = Config()
    # ConfigParser interpolates "%": escape it in paths and URLs.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """The newest migration's revision id: revisions are named by their files' prefixes."""
    return max(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))


def _at_head(connection: Any) -> bool:
    """True when the database's schema is the newest; leaves no transaction open."""
    try:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:  # no alembic_version table yet: an empty database
        versions = []
    connection.rollback()
    return [v for (v,) in versions] == [head_revision()]


def migrate(engine: Engine) -> None:
    """Upgrade the database of `engine` to the newest schema; a no-op when it is there.

    Safe to run from several processes at once: on SQLite the whole upgrade is one
    ``BEGIN IMMEDIATE`` transaction (one writer at a time, DDL included); on
    PostgreSQL a transaction-scoped advisory lock serialises the upgraders and
    DDL is transactional, so the second one finds the schema at head.
    """
    try:
        connection = engine.connect()
    except DBAPIError as exc:  # refused, unknown host, bad credentials, unopenable file
        raise _unavailable(engine.url, exc) from exc
    with connection:
        if _at_head(connection):
            return  # the usual case: no Alembic import (~80 ms of every `thidua status`)
        from alembic import command

        config = alembic_config()
        if connection.dialect.name == "sqlite":
            # pysqlite opens no transaction before DDL by itself; without this, two
            # processes could both find an empty database and both create tables.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        elif connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK}
            )
        # Alembic sees the transaction already begun and leaves the commit to us.
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()
