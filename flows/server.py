"""Start (or find) the local Prefect server that `thidua serve` uses, with its UI.

The server keeps its database under the data dir (`.thidua/prefect/`), so scheduled
runs survive a restart of `thidua serve`. Prefect settings are environment
variables read when Prefect is first imported, so `configure_prefect` must run
before any Prefect import in the process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from thidua.config import Settings
from thidua.errors import ThiduaError


def configure_prefect(settings: Settings) -> None:
    """Point this process (and its children: the runner's flow runs) at the right Prefect."""
    home = (settings.data_dir / "prefect").resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(home))
    os.environ["PREFECT_API_URL"] = settings.api_url
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # Flow runs the runner starts are child processes: they read settings from here.
    os.environ.setdefault("THIDUA_DATA_DIR", str(settings.data_dir.resolve()))
    if settings.database_url:
        os.environ.setdefault("THIDUA_DATABASE_URL", settings.database_url)


def healthy(api_url: str, timeout: float = 1.0) -> bool:
    """True when a Prefect API answers its health check."""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


class LocalServer:
    """A `prefect server start` child process, stopped with the context."""

    def __init__(self, settings: Settings, *, wait: float = 120.0) -> None:
        self.settings = settings
        self.wait = wait
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = (settings.data_dir / "prefect" / "server.log").resolve()

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
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "prefect",
                    "server",
                    "start",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.settings.ui_port),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.wait
        while time.monotonic() < deadline:
            if healthy(api):
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.5)
        tail = self._log_tail()
        self.stop()
        raise ThiduaError(
            f"máy chủ Prefect không khởi động được (nhật ký: {self.log_path}):\n{tail}"
        )

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """Stop the server if we started it; its database keeps every scheduled run."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def _log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(Path(self.log_path).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
