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
from datetime import UTC, datetime
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
    #: Wall-clock bounds of the deploy `thidua serve` made at start: its `now` lies
    #: between them, so tests can tell passed from caught-up actions without guessing.
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    ready: datetime | None = None

    @property
    def ui_url(self) -> str:
        return self.api_url.removesuffix("/api")

    @property
    def portal_url(self) -> str:
        return f"http://127.0.0.1:{self.env['THIDUA_PORTAL_PORT']}"

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
    # Each serve's units' portal on a port of its own: serves of one session (and of other
    # sessions on the machine) never meet on the default 4300.
    settings = {"THIDUA_DATA_DIR": str(data_dir), "THIDUA_PORTAL_PORT": str(free_port())}
    if api_url:
        settings["THIDUA_PREFECT_API_URL"] = api_url
    else:
        settings["THIDUA_UI_PORT"] = str(port or free_port())
    env = clean_env(**{**settings, **(extra_env or {})})
    api = api_url or f"http://127.0.0.1:{settings['THIDUA_UI_PORT']}/api"
    log = data_dir / f"serve-{time.time_ns()}.log"
    started = datetime.now(UTC)
    handle = log.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [THIDUA, "serve", *args],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        text=True,
    )
    served = Served(process, env, data_dir, api, log, started=started)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready in served.output():
            served.ready = datetime.now(UTC)
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


#: Prefect states after which a flow run will not change any more.
FINAL_STATES = frozenset({"COMPLETED", "CANCELLED", "FAILED", "CRASHED"})


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def check_runs_follow_the_rules(
    served: Served, deployment_id: str, loaded: Any, *, timeout: float = 180
) -> tuple[set[tuple[str, datetime]], set[tuple[str, datetime]]]:
    """The scheduled runs (action key, time) a deployment has, and those the rules give.

    Derived from the plan and the product's own rules, never from today's date: an
    action ahead of now has its planned run; one that passed more than the catch-up
    window before `serve` deployed has none (recorded as passed); one within the
    window was caught up, ran at once, and either sent (inside working hours) or
    handed the action to a run at `next_send_time` of the moment it ran. Names are
    checked for planned runs; every run's state along a deferral chain is checked too.
    """
    from thidua.campaign.plan import compile_plan
    from thidua.config import Settings
    from thidua.dates.hours import next_send_time

    settings = Settings()  # what the served process uses: clean_env drops THIDUA_*
    tz = settings.timezone
    catchup = settings.catchup
    actions = compile_plan(loaded.spec, loaded.registry, notice_time=settings.notice_time).actions

    def settled() -> list[dict[str, Any]] | None:
        # Caught-up runs are due at once: wait until everything due has finished.
        now = datetime.now(UTC)
        runs = served.runs(deployment_id)
        pending = [
            r
            for r in runs
            if r["state_type"] not in FINAL_STATES and _at(r["expected_start_time"]) <= now
        ]
        return None if pending else runs

    runs = wait_for(settled, timeout=timeout, interval=1, message="caught-up runs never finished")
    now = datetime.now(UTC)
    by_key: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        by_key.setdefault(run["parameters"]["action_key"], []).append(run)
    got = {
        (r["parameters"]["action_key"], _at(r["expected_start_time"]))
        for r in runs
        if r["state_type"] == "SCHEDULED"
    }
    want: set[tuple[str, datetime]] = set()
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(tz)
    assert served.ready is not None
    for action in actions:
        chain = sorted(by_key.get(action.key, []), key=lambda r: _at(r["expected_start_time"]))
        planned = [r for r in chain if _at(r["expected_start_time"]) == action.at]
        for run in planned:  # the run the deploy created carries the plan's name
            assert run["name"] == action.run_name(), (run["name"], action.run_name())
        if action.at > now:
            want.add((action.key, action.at))
            continue
        if action.at < served.started - catchup:
            assert chain == [], f"{action.key} passed before the deploy but has runs"
            continue
        if action.at >= served.ready - catchup:
            assert planned, f"{action.key} is within the catch-up window but was not scheduled"
        for i, run in enumerate(r for r in chain if r["state_type"] in FINAL_STATES):
            start = _at(run["start_time"])
            send_at = next_send_time(
                start,
                working_days_only=loaded.spec.working_days_only,
                notice_time=action.at.astimezone(zone).time(),
                tz=zone,
            )
            if send_at is None:  # inside working hours: it sent
                assert run["state_type"] == "COMPLETED", (action.key, run["state_name"])
                assert run["state_name"] != "Hoãn gửi", (action.key, start)
                assert i == len(chain) - 1, f"{action.key} ran again after it sent"
                continue
            assert run["state_name"] == "Hoãn gửi", (action.key, start, run["state_name"])
            after = chain[i + 1] if i + 1 < len(chain) else None
            if after is None or after["state_type"] == "SCHEDULED":
                want.add((action.key, send_at))
            else:
                assert _at(after["expected_start_time"]) == send_at, (action.key, send_at)
    return got, want
