"""All configuration in one `Settings` object, read from small sources.

Sources are tried in order and the first that has a key wins: environment
variables (``THIDUA_*``), then the project's ``thidua.toml``, then the defaults
below. The project is found as git finds a repository: the nearest folder, from the
working directory up, that holds ``thidua.toml`` or a ``campaigns/`` folder; its
relative paths (data dir, campaigns, registry) are taken from there, so every
command works from any subfolder. Relative paths in environment variables stay
relative to the working directory, as a shell user expects. Deliberately not pydantic-settings: it costs ~0.2 s of import time
on every CLI call, and `thidua plan` must stay lean.
"""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import time, timedelta
from pathlib import Path
from typing import Any, ClassVar

from thidua.errors import SettingsError, quote


class SettingsSource(ABC):
    """A place settings come from; `describe` names it in error messages."""

    name: ClassVar[str] = "nguồn cấu hình"

    @abstractmethod
    def get(self, key: str) -> str | None:
        """The raw value for `key`, or None when this source does not set it."""

    def describe(self, key: str) -> str:
        return f"{self.name} {key}"


class EnvSource(SettingsSource):
    """``THIDUA_<KEY>`` environment variables."""

    name = "biến môi trường"

    def __init__(self, environ: Mapping[str, str] | None = None, prefix: str = "THIDUA_") -> None:
        self.environ = os.environ if environ is None else environ
        self.prefix = prefix

    def get(self, key: str) -> str | None:
        value = self.environ.get(self.prefix + key.upper())
        return value if value not in (None, "") else None

    def describe(self, key: str) -> str:
        return f"biến môi trường {self.prefix}{key.upper()}"


class TomlFileSource(SettingsSource):
    """Keys of a ``thidua.toml`` file (absent file: no values)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._data is None:
            self._data = {}
            if self.path.is_file():
                import tomllib  # most runs have no thidua.toml

                try:
                    self._data = tomllib.loads(self.path.read_text(encoding="utf-8"))
                except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                    raise SettingsError(f"tệp cấu hình {self.path} không đọc được: {exc}") from exc
        return self._data

    def get(self, key: str) -> str | None:
        value = self._load().get(key)
        return None if value is None else str(value)

    def describe(self, key: str) -> str:
        return f"{self.path}: {key}"


def _parse_time(text: str) -> time:
    hours, _, minutes = text.strip().replace("h", ":").partition(":")
    return time(int(hours), int(minutes or 0))


def _parse_positive_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError("phải là số không âm")
    return value


# Each setting is parsed according to the type of its default value.
_PARSERS: dict[type, tuple[Callable[[str], Any], str]] = {
    Path: (Path, "một đường dẫn"),
    str: (str, "một chuỗi"),
    time: (_parse_time, "giờ dạng HH:MM, ví dụ 08:00"),
    int: (_parse_positive_int, "một số nguyên không âm"),
}


#: What marks a project folder, as ``.git`` marks a repository.
PROJECT_MARKERS = ("thidua.toml", "campaigns")
#: The file `thidua serve` records its Prefect API in, inside the data dir.
SERVE_FILE = "serve.json"


def find_project(start: Path | None = None) -> Path | None:
    """The nearest folder from `start` (default: the working directory) up that holds
    ``thidua.toml`` or a ``campaigns/`` folder; None when there is none."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "thidua.toml").is_file() or (folder / "campaigns").is_dir():
            return folder
    return None


def served_api_url(data_dir: Path) -> str | None:
    """The API URL a running `thidua serve` recorded in `data_dir`; None if none or stale."""
    try:
        info = json.loads((data_dir / SERVE_FILE).read_text(encoding="utf-8"))
        pid, url = int(info["pid"]), str(info["api_url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return None  # left by a serve that was killed: stale
    except PermissionError:
        pass  # alive, another user's
    return url


@dataclass(frozen=True)
class Settings:
    """Every setting of thidua, with its default; see README "Configuration"."""

    #: project folder; default: the nearest folder up holding thidua.toml or campaigns/
    project_dir: Path = Path(".")
    #: state, outbox and caches
    data_dir: Path = Path(".thidua")
    #: campaign files
    campaigns_dir: Path = Path("campaigns")
    #: default units registry (YAML, CSV or XLSX) for campaigns that name none
    registry: Path = Path("campaigns/units.yaml")
    #: most units (rows of a registry table) a registry may hold; its file size limit
    #: (5 MB, unpacked workbook 100 MB) grows in proportion above the default
    registry_max_units: int = 50_000
    #: time zone of every date
    timezone: str = "Asia/Ho_Chi_Minh"
    #: time of day at which notices are sent
    notice_time: time = time(8, 0)
    #: state store URL; empty means SQLite in data_dir
    database_url: str = ""
    #: how late a missed action may still run (worker or server down), in hours
    catchup_hours: int = 24
    #: first delay before retrying failed deliveries, in seconds (doubles each retry)
    retry_seconds: int = 5
    #: how many times transient delivery failures are retried (4xx, timeouts)
    delivery_retries: int = 8
    #: messages of one action sent at once; a crash leaves at most this many uncertain
    send_threads: int = 8
    #: how long a claimed, unfinished delivery is left to a sender on another machine
    #: before it is sent again, in seconds (a dead sender on this machine: at once)
    claim_lease_seconds: int = 600
    #: SMTP timeouts as a percentage of RFC 5321's (5 min per command, 10 min for the final
    #: reply after the message); lower only in tests
    smtp_timeout_percent: int = 100
    #: Prefect API; empty means the local server `thidua serve` starts on ui_port
    prefect_api_url: str = ""
    #: port of the local Prefect server and its UI
    ui_port: int = 4200
    #: database of the local Prefect server (postgresql+asyncpg://…); empty means SQLite
    #: in data_dir/prefect
    prefect_database_url: str = ""
    #: API processes of that local server (`prefect server start --workers`); more than 1
    #: needs PostgreSQL and Redis (Prefect's own rule, see docs/production.md)
    prefect_server_workers: int = 1
    #: Prefect work pool that `thidua deploy` puts campaigns on and `thidua worker` polls;
    #: empty means the runner inside `thidua serve` runs every action
    work_pool: str = ""
    #: port of the unit portal (`thidua serve`, `thidua portal serve`) on 127.0.0.1
    portal_port: int = 4300
    #: public base URL of the portal that notices link to (e.g. https://thidua.caobang.gov.vn);
    #: empty means http://127.0.0.1:<portal_port>
    portal_url: str = ""
    #: largest file one portal upload may carry, in megabytes
    portal_upload_mb: int = 20
    #: requests one unit link, or one address, may make per minute before it must wait
    portal_rate_per_minute: int = 60

    @classmethod
    def load(cls, sources: list[SettingsSource] | None = None) -> Settings:
        """Read settings from `sources` (default: environment, then the project's thidua.toml)."""
        root: Path | None = None
        if sources is None:
            env = EnvSource()
            given = env.get("project_dir")
            root = Path(given).resolve() if given else find_project()
            if root is not None and root == Path.cwd().resolve():
                root = None  # paths relative to the working directory mean the same
            sources = [env, TomlFileSource((root or Path(".")) / "thidua.toml")]
        values: dict[str, Any] = {}
        from_env: set[str] = set()
        for f in fields(cls):
            for source in sources:
                raw = source.get(f.name)
                if raw is None:
                    continue
                parse, expected = _PARSERS[Path if isinstance(f.default, Path) else type(f.default)]
                try:
                    values[f.name] = parse(raw)
                except (ValueError, TypeError) as exc:
                    raise SettingsError(
                        f"{source.describe(f.name)} = {quote(raw)} không hợp lệ: cần {expected}"
                    ) from exc
                if isinstance(source, EnvSource):
                    from_env.add(f.name)
                break
        if root is None:
            return cls(**values)
        # Paths from thidua.toml and the defaults are relative to the project folder.
        for f in fields(cls):
            value = values.get(f.name, f.default)
            if isinstance(value, Path) and not value.is_absolute() and f.name not in from_env:
                values[f.name] = root / value
        values["project_dir"] = root
        return cls(**values)

    @property
    def cache_dir(self) -> Path:
        return self.data_dir / "cache"

    @property
    def state_url(self) -> str:
        """The state store URL: the configured one, or SQLite in the data dir."""
        return self.database_url or f"sqlite:///{self.data_dir / 'thidua.store.db'}"

    @property
    def catchup(self) -> timedelta:
        return timedelta(hours=self.catchup_hours)

    @property
    def api_url(self) -> str:
        """The Prefect API URL: the configured one, the running `thidua serve`'s, or the
        local server's on `ui_port`."""
        if self.prefect_api_url:
            return self.prefect_api_url
        return served_api_url(self.data_dir) or self.local_api_url

    @property
    def local_api_url(self) -> str:
        """Where the local Prefect server `thidua serve` starts listens."""
        return f"http://127.0.0.1:{self.ui_port}/api"

    @property
    def portal_base_url(self) -> str:
        """Base of every link to the portal: the public URL if set, else the local one."""
        return (self.portal_url or f"http://127.0.0.1:{self.portal_port}").rstrip("/")

    def in_project(self, path: Path | str) -> Path:
        """`path` as recorded by a command run elsewhere in the project (e.g. a campaign
        file relative to where `thidua serve` ran): as given if it exists, else from the
        project folder."""
        path = Path(path)
        if path.is_absolute() or path.exists():
            return path
        return self.project_dir / path

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


_current: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings, loaded once."""
    global _current
    if _current is None:
        _current = Settings.load()
    return _current


def set_settings(settings: Settings | None) -> None:
    """Replace the process-wide settings (tests, CLI options); None reloads lazily."""
    global _current
    _current = settings
