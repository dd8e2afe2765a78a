"""Run `thidua serve` (and other CLI commands) as real subprocesses for the tests.

One `thidua serve` per test session starts its own Prefect server and UI (10–20 s),
exactly as the README's main job does; other tests attach extra `thidua serve`
workers to that server with their own campaigns and data dirs, and stop and start
them at will.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
THIDUA = str(Path(sys.executable).with_name("thidua"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without the caller's Prefect/thidua settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "THIDUA_"))}
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    env.update(extra)
    return env


@dataclass
class Served:
    """A running `thidua serve` process and where to reach what it serves."""

    process: subprocess.Popen[str]
    env: dict[str, str]
    data_dir: Path
    api_url: str
    log: Path
    lines: list[str] = field(default_factory=list)

    @property
    def ui_url(self) -> str:
        return self.api_url.removesuffix("/api")

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 120) -> int:
        """Ctrl-C, as an operator would; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def thidua(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run another `thidua` command with this server's settings."""
        result = subprocess.run(
            [THIDUA, *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=300
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"thidua {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result

    def api(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.api_url}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.loads(resp.read() or b"null")

    def deployment(self, name: str) -> dict[str, Any]:
        return self.api("GET", f"/deployments/name/thi-dua/{name}")

    def runs(self, deployment_id: str, *states: str) -> list[dict[str, Any]]:
        body: dict[str, Any] = {
            "deployments": {"id": {"any_": [deployment_id]}},
            "sort": "EXPECTED_START_TIME_ASC",
            "limit": 200,
        }
        if states:
            body["flow_runs"] = {"state": {"type": {"any_": list(states)}}}
        return self.api("POST", "/flow_runs/filter", body)


def start_serve(
    data_dir: Path,
    *,
    args: tuple[str, ...] = (),
    port: int | None = None,
    api_url: str | None = None,
    extra_env: dict[str, str] | None = None,
    ready: str = "Giao diện Prefect",
    timeout: float = 180,
) -> Served:
    """Start `thidua serve`; wait until it prints that the UI is up (deployments done)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = {"THIDUA_DATA_DIR": str(data_dir)}
    if api_url:
        settings["THIDUA_PREFECT_API_URL"] = api_url
    else:
        settings["THIDUA_UI_PORT"] = str(port or free_port())
    env = clean_env(**settings, **(extra_env or {}))
    api = api_url or f"http://127.0.0.1:{settings['THIDUA_UI_PORT']}/api"
    log = data_dir / f"serve-{time.time_ns()}.log"
    handle = log.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [THIDUA, "serve", *args],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        text=True,
    )
    served = Served(process, env, data_dir, api, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready in served.output():
            return served
        if process.poll() is not None:
            raise AssertionError(f"thidua serve exited ({process.returncode}):\n{served.output()}")
        time.sleep(0.3)
    served.stop()
    raise AssertionError(f"thidua serve not ready after {timeout}s:\n{served.output()}")


def wait_for(predicate: Any, *, timeout: float, interval: float = 0.5, message: str = "") -> Any:
    """Poll `predicate` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(message or "condition not met in time")
