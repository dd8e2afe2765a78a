"""Real databases for the state store tests: a SQLite file and a PostgreSQL database.

PostgreSQL is expected at ``THIDUA_TEST_POSTGRES_URL`` (default: user postgres on
127.0.0.1:5432, trust auth). A database ``thidua_test_<hex>`` is created for the test
session and dropped at its end. When the server cannot be reached the PostgreSQL
cases fail, saying so, unless ``THIDUA_SKIP_POSTGRES=1``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError

from thidua.store.db import get_engine, reset_engines

POSTGRES_ADMIN_URL = os.environ.get(
    "THIDUA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BACKENDS = ["sqlite", "postgresql"]
TABLES = (
    "campaigns",
    "units",
    "campaign_units",
    "actions",
    "deliveries",
    "submissions",
    "nominations",
    "nomination_events",
    "outbox",
    "portal_links",
    "staff_users",
    "audit_log",
    "receipts",
)


def _admin_engine() -> Engine:
    return create_engine(
        POSTGRES_ADMIN_URL,
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 5},
    )


@contextmanager
def temporary_databases(*names: str) -> Iterator[list[str]]:
    """Create PostgreSQL databases `names` and yield their URLs; drop them afterwards.

    When the server cannot be reached the calling test fails, saying so, unless
    THIDUA_SKIP_POSTGRES=1 (then it is skipped).
    """
    admin = _admin_engine()
    problem = None
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        problem = str(exc.orig).strip().splitlines()[0]
    if problem is not None:  # outside the except block, so the report is just this message
        where = make_url(POSTGRES_ADMIN_URL).render_as_string(hide_password=True)
        message = (
            f"PostgreSQL is not reachable at {where} ({problem}); start it, point "
            "THIDUA_TEST_POSTGRES_URL at a server, or set THIDUA_SKIP_POSTGRES=1 to skip"
        )
        if os.environ.get("THIDUA_SKIP_POSTGRES") == "1":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)
    base = make_url(POSTGRES_ADMIN_URL)
    try:
        yield [base.set(database=n).render_as_string(hide_password=False) for n in names]
    finally:
        reset_engines()
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """URL of a PostgreSQL database created for this test session (dropped afterwards)."""
    with temporary_databases(f"thidua_test_{secrets.token_hex(6)}") as (url,):
        yield url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each test using it runs once on SQLite and once on PostgreSQL."""
    return request.param


@pytest.fixture
def empty_db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of a database without any table (SQLite: a file in a not-yet-existing dir)."""
    reset_engines()
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'state' / 'thidua.store.db'}"
    else:
        url = request.getfixturevalue("pg_database")
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        yield url
    reset_engines()


@pytest.fixture
def fresh_db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated engine whose tables are empty."""
    reset_engines()
    if backend == "sqlite":
        engine = get_engine(f"sqlite:///{tmp_path / 'thidua.store.db'}")
    else:
        engine = get_engine(request.getfixturevalue("pg_database"))
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    yield engine
    reset_engines()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite engine, for what only SQLite needs checking."""
    reset_engines()
    yield get_engine(f"sqlite:///{tmp_path / 'thidua.store.db'}")
    reset_engines()
