"""Start (or find) the local Prefect server that `thidua serve` uses, with its UI.

The server keeps its database under the data dir (`.thidua/prefect/`), or on
PostgreSQL when `THIDUA_PREFECT_DATABASE_URL` is set, so scheduled runs survive a
restart of `thidua serve`. With `THIDUA_PREFECT_SERVER_WORKERS` > 1 its API runs in that
many processes (`prefect server start --workers N`) and Prefect's background services
in one more (`prefect server services start`), as Prefect documents for several
workers: PostgreSQL and Redis only. Prefect settings are environment variables read when
Prefect is first imported, so `configure_prefect` must run before any Prefect
import in the process.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from thidua.config import SERVE_FILE, Settings, served_api_url
from thidua.errors import SettingsError, ThiduaError, quote

#: The only PostgreSQL driver Prefect's server runs on (it is async).
PREFECT_PG_SCHEME = "postgresql+asyncpg"
_PLAIN_PG = ("postgresql://", "postgres://")
# The last exception line of a traceback in the server log, e.g.
# "asyncpg.exceptions.InvalidCatalogNameError: database "x" does not exist".
_EXCEPTION_LINE = re.compile(r"^(?:\w+\.)*(\w*(?:Error|Exception|error)): (.+)$")
#: Prefect settings that must leave their in-memory default before the API runs in several
#: processes (prefect.cli._server_utils._validate_multi_worker): the processes share
#: events, their ordering and concurrency leases through Redis. Setting → (Prefect's
#: settings path, the value that uses Redis).
MULTI_WORKER_REDIS = {
    "PREFECT_MESSAGING_BROKER": ("server.events.messaging_broker", "prefect_redis.messaging"),
    "PREFECT_MESSAGING_CACHE": ("server.events.messaging_cache", "prefect_redis.messaging"),
    "PREFECT_SERVER_EVENTS_CAUSAL_ORDERING": (
        "server.events.causal_ordering",
        "prefect_redis.ordering",
    ),
    "PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE": (
        "server.concurrency.lease_storage",
        "prefect_redis.lease_storage",
    ),
}


def configure_prefect(settings: Settings) -> None:
    """Point this process (and its children: the runner's flow runs) at the right Prefect."""
    home = (settings.data_dir / "prefect").resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(home))
    os.environ["PREFECT_API_URL"] = settings.api_url
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # Flow runs the runner or a worker starts are child processes that read settings
    # from here; a worker's runs change directory to the project, so the path is absolute.
    os.environ["THIDUA_DATA_DIR"] = str(settings.data_dir.resolve())
    if settings.database_url:
        os.environ.setdefault("THIDUA_DATABASE_URL", settings.database_url)


def prefect_database_url(settings: Settings) -> str:
    """The local server's database URL from the setting, normalised; "" for Prefect's SQLite."""
    url = settings.prefect_database_url.strip()
    if not url:
        return ""
    for plain in _PLAIN_PG:
        if url.startswith(plain):  # the usual libpq form: Prefect needs the async driver named
            return f"{PREFECT_PG_SCHEME}://{url[len(plain) :]}"
    if url.startswith((f"{PREFECT_PG_SCHEME}://", "sqlite+aiosqlite://")):
        return url
    from thidua.store.db import privacy_url

    raise SettingsError(
        f"biến môi trường THIDUA_PREFECT_DATABASE_URL = {quote(privacy_url(url))} không hợp lệ: "
        f"máy chủ Prefect cần PostgreSQL qua asyncpg, dạng "
        f"{PREFECT_PG_SCHEME}://người_dùng:mật_khẩu@máy:5432/tên_csdl"
    )


def server_workers(settings: Settings, database_url: str) -> int:
    """The API processes the local server runs; refused where Prefect does not support them.

    Prefect runs several API workers only on PostgreSQL (SQLite takes one writer), and
    only with Redis carrying events between them; its own refusal would be an English
    line in the server log, so the same rules are checked here, first.
    """
    workers = settings.prefect_server_workers
    given = f"THIDUA_PREFECT_SERVER_WORKERS = {workers}"
    if workers < 1:
        raise SettingsError(f"{given} không hợp lệ: cần ít nhất 1 tiến trình")
    if workers == 1:
        return 1
    if not database_url.startswith(f"{PREFECT_PG_SCHEME}://"):
        raise SettingsError(
            f"{given} không dùng được khi máy chủ Prefect chạy trên SQLite: nhiều tiến trình "
            f"API chỉ chạy được trên PostgreSQL. Đặt THIDUA_PREFECT_DATABASE_URL "
            f"({PREFECT_PG_SCHEME}://…) hoặc để THIDUA_PREFECT_SERVER_WORKERS = 1"
        )
    missing = _redis_settings_missing()
    if missing:
        wanted = ", ".join(f"{name}={MULTI_WORKER_REDIS[name][1]}" for name in missing)
        raise SettingsError(
            f"{given} cần Redis: các tiến trình API của Prefect trao đổi sự kiện qua Redis, "
            f"nhưng chưa đặt {wanted} (cùng PREFECT_REDIS_MESSAGING_HOST, "
            f"PREFECT_REDIS_MESSAGING_PORT và gói prefect-redis; xem docs/production.md) — "
            f"hoặc để THIDUA_PREFECT_SERVER_WORKERS = 1"
        )
    if importlib.util.find_spec("prefect_redis") is None:  # the modules named above
        raise SettingsError(
            f"{given} cần gói prefect-redis (pip install prefect-redis) để Prefect dùng Redis"
        )
    return workers


def _redis_settings_missing() -> list[str]:
    """Which of MULTI_WORKER_REDIS still hold Prefect's in-memory default (env and profile)."""
    from prefect.settings import Settings as PrefectSettings

    current: object = PrefectSettings()  # read now: the environment the server will get
    missing = []
    for name, (path, _) in MULTI_WORKER_REDIS.items():
        value = current
        for part in path.split("."):
            value = getattr(value, part)
        if str(value).endswith(".memory"):
            missing.append(name)
    return missing


def healthy(api_url: str, timeout: float = 1.0) -> bool:
    """True when a Prefect API answers its health check."""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def forget_stale_serve(settings: Settings) -> None:
    """Drop the record of a `thidua serve` whose server no longer answers (killed, hung)."""
    url = served_api_url(settings.data_dir)
    if url and not healthy(url):
        (settings.data_dir / SERVE_FILE).unlink(missing_ok=True)


@contextmanager
def recorded_serve(settings: Settings, api_url: str) -> Iterator[None]:
    """While `thidua serve` runs, its API URL is in the data dir for the other commands.

    Only this process's record is removed at the end, so a second `thidua serve` that
    attached to the first one's server does not erase the first one's record.
    """
    path = settings.data_dir / SERVE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    info = {"pid": os.getpid(), "api_url": api_url, "ui_url": api_url.removesuffix("/api")}
    mine = served_api_url(settings.data_dir) is None
    if mine:
        path.write_text(json.dumps(info), encoding="utf-8")
    try:
        yield
    finally:
        if mine:
            try:
                current = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                current = None
            if isinstance(current, dict) and current.get("pid") == os.getpid():
                path.unlink(missing_ok=True)


class LocalServer:
    """A `prefect server start` child process, stopped with the context."""

    def __init__(self, settings: Settings, *, wait: float = 120.0) -> None:
        self.settings = settings
        self.wait = wait
        self.process: subprocess.Popen[bytes] | None = None
        #: Prefect's background services, a process of their own beside several API workers.
        self.services: subprocess.Popen[bytes] | None = None
        self.log_path = (settings.data_dir / "prefect" / "server.log").resolve()
        self.database_url = prefect_database_url(settings)
        self.workers = server_workers(settings, self.database_url)
        self._log_start = 0

    def commands(self) -> list[list[str]]:
        """What starting this server runs: with several API workers, the database migration
        first (to its end), then the API (and UI), then Prefect's services beside it."""
        prefect = [sys.executable, "-m", "prefect", "server"]
        api = [*prefect, "start", "--host", "127.0.0.1", "--port", str(self.settings.ui_port)]
        if self.workers == 1:
            return [api]  # it migrates the database and runs the services itself
        # Several workers would each migrate a new database at once and collide (a
        # duplicate key in PostgreSQL's catalog, measured): one migration runs first.
        # With --workers > 1 Prefect's API processes run no services (late runs, event
        # persister, triggers...): they run once, in a process of their own.
        return [
            [*prefect, "database", "upgrade", "--yes"],
            [*api, "--workers", str(self.workers)],
            [*prefect, "services", "start"],
        ]

    @property
    def database(self) -> str:
        """Where the server keeps its runs, safe to print (the password is masked)."""
        if not self.database_url:
            home = os.environ.get("PREFECT_HOME", str(self.log_path.parent))
            return str(Path(home) / "prefect.db")
        from thidua.store.db import privacy_url

        return privacy_url(self.database_url)

    @property
    def ui_url(self) -> str:
        return self.settings.api_url.removesuffix("/api")

    def __enter__(self) -> LocalServer:
        api = self.settings.api_url
        if healthy(api):
            return self  # one is already running (another `thidua serve`, or the operator's)
        if self.settings.prefect_api_url:
            raise ThiduaError(f"không kết nối được máy chủ Prefect tại {api}")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "PREFECT_HOME": os.environ.get("PREFECT_HOME", str(self.log_path.parent)),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_API_URL": api,
        }
        if self.database_url:
            env["PREFECT_API_DATABASE_CONNECTION_URL"] = self.database_url
        commands = self.commands()
        migration = commands.pop(0) if self.workers > 1 else None
        server, services = commands[0], commands[1:]
        with self.log_path.open("ab") as log:
            self._log_start = log.tell()  # the failure report reads only this start's lines
            migrated = migration is None or self._migrate(migration, env, log)
            if migration is not None:
                # Done once above: several workers migrating a new database at once collide.
                env["PREFECT_SERVER_DATABASE_MIGRATE_ON_START"] = "false"
                # So do their registrations of Prefect's block types (a duplicate slug, and
                # uvicorn stops every worker, measured); thidua uses no Prefect block, and a
                # start with one worker registers them (docs/production.md).
                env["PREFECT_SERVER_REGISTER_BLOCKS_ON_START"] = "false"
            self.process = _start(server, env, log) if migrated else None
            deadline = time.monotonic() + self.wait
            while self.process is not None and time.monotonic() < deadline:
                if healthy(api):
                    # The services start once the API answers, on a migrated database.
                    for command in services:
                        self.services = _start(command, env, log)
                    return self
                if self.process.poll() is not None:
                    break
                time.sleep(0.5)
        tail = self._log_tail()
        self.stop()
        reason = _database_failure(tail) if self.database_url else None
        if reason:
            raise ThiduaError(
                f"máy chủ Prefect không kết nối được cơ sở dữ liệu {self.database} "
                f"(THIDUA_PREFECT_DATABASE_URL): {reason}\n"
                f"Kiểm tra máy chủ PostgreSQL, tên cơ sở dữ liệu, người dùng và mật khẩu "
                f"(nhật ký: {self.log_path})"
            )
        raise ThiduaError(
            f"máy chủ Prefect không khởi động được (nhật ký: {self.log_path}):\n{tail}"
        )

    def _migrate(self, command: list[str], env: dict[str, str], log: IO[bytes]) -> bool:
        """Run Prefect's database migration to its end; False when it failed."""
        try:
            done = subprocess.run(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=self.wait
            )
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop the server if we started it; its database keeps every scheduled run."""
        for process in (self.process, self.services):
            if process is None or process.poll() is not None:
                continue
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def _log_tail(self, lines: int = 15) -> str:
        """The last lines this start wrote to the log, the database password masked."""
        try:
            with Path(self.log_path).open("rb") as log:
                log.seek(self._log_start)
                text = log.read().decode(errors="replace")
        except OSError:
            return ""
        text = _mask_password(text, self.database_url)
        return "\n".join(text.splitlines()[-lines:])


def _start(command: list[str], env: dict[str, str], log: IO[bytes]) -> subprocess.Popen[bytes]:
    """One of the server's processes, in a session of its own (stopped with its children)."""
    return subprocess.Popen(
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def _mask_password(text: str, url: str) -> str:
    """`text` without the password of `url` (drivers do not echo it; be sure anyway)."""
    if not url:
        return text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        password = make_url(url).password
    except ArgumentError:
        return text
    # A very short password would mask ordinary letters; drivers do not echo it anyway.
    return text.replace(str(password), "***") if password and len(str(password)) >= 3 else text


def _database_failure(log_tail: str) -> str | None:
    """Why the server could not use its database, from the traceback in its log, if it says."""
    for line in reversed(log_tail.splitlines()):
        match = _EXCEPTION_LINE.match(line.strip())
        if match is None:
            continue
        kind, detail = match.groups()
        if kind == "InvalidCatalogNameError":
            return f"{detail} (chưa tạo cơ sở dữ liệu)"
        if kind == "InvalidPasswordError":
            return f"{detail} (sai người dùng hoặc mật khẩu)"
        if kind == "ConnectionRefusedError" or "Connect call failed" in detail:
            return f"{detail} (máy chủ PostgreSQL không nhận kết nối)"
        if kind in ("gaierror", "TimeoutError", "OSError") or "asyncpg" in line:
            return detail
    return None
