"""Two runs of one action in two PID namespaces on one host name send each message once.

Containers with host networking and cloned VMs share a host name, and in their own
PID namespace both senders may be pid 1. A claim's holder must therefore be named by
a per-process instance id, and its liveness judged from the process table only in
the same kernel boot and PID namespace; otherwise the lease rules (issue 11, point 3).

Everything is real: `unshare --pid --fork --mount-proc` (the test needs root), the
launch through `thidua.flows.action.run_action` against a Prefect server of the test's own,
the SQLite store both namespaces share, and an aiosmtpd relay that holds every
message at RCPT until the second run has looked at the first run's claims.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from thidua.store.db import reset_engines

from .faults import (
    LAUNCH,
    RUN,
    SETUP,
    Relay,
    address,
    child_env,
    deliveries,
    last_json,
    local_prefect,
    python,
    run,
    smtp_relay,
    write_campaign,
)
from .serving import ROOT, wait_for

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.geteuid() != 0 or shutil.which("unshare") is None,
        reason="PID namespaces need root and util-linux unshare",
    ),
]

UNITS = 6


@dataclass
class HeldRelay(Relay):
    """Holds every RCPT while `hold` is set; counts the messages waiting there."""

    hold: bool = True
    waiting: int = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.waiting += 1
        while self.hold:
            await asyncio.sleep(0.05)
        return await super().handle_RCPT(server, session, envelope, address, options)


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with local_prefect(tmp_path_factory.mktemp("prefect-server")) as server:
        yield server.settings.api_url


def in_namespace(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`cmd` as pid 1 of a new PID namespace (same host name, same network, same files)."""
    with log.open("wb") as out:
        return subprocess.Popen(
            ["unshare", "--pid", "--fork", "--mount-proc", *cmd],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def test_two_pid_namespaces_with_one_host_name_send_each_message_once(
    prefect_api: str, tmp_path: Path
) -> None:
    relay = HeldRelay()
    db = tmp_path / "data" / "thidua.store.db"
    reset_engines()
    try:
        with smtp_relay(relay) as port:
            path = write_campaign(tmp_path / "c", UNITS, port)
            env = child_env(tmp_path / "data", prefect_api, tmp_path)
            setup = run(python(SETUP, str(path), LAUNCH), env)
            assert setup.returncode == 0, setup.stdout + setup.stderr
            at = setup.stdout.strip().splitlines()[-1]
            logs = [tmp_path / "first.log", tmp_path / "second.log"]
            first = in_namespace(python(RUN, str(path), LAUNCH, at), env, logs[0])
            # The first run holds every claim, its messages stalled at the relay.
            wait_for(
                lambda: relay.waiting >= UNITS and len(deliveries(db)) == UNITS,
                timeout=180,
                interval=0.1,
                message=logs[0].read_text(errors="replace"),
            )
            second = in_namespace(python(RUN, str(path), LAUNCH, at), env, logs[1])

            def second_looked() -> bool:
                # It took the claims over (and is sending too), or it saw them in flight.
                text = logs[1].read_text(errors="replace")
                return relay.waiting > UNITS or "being sent by another run" in text

            wait_for(second_looked, timeout=180, interval=0.1, message=logs[1].read_text())
            time.sleep(1)  # let a take-over of every claim finish before the relay goes on
            relay.hold = False
            outputs = []
            for process, log in zip((first, second), logs, strict=True):
                assert process.wait(timeout=300) == 0, log.read_text(errors="replace")
                outputs.append(last_json(log.read_text(errors="replace")))
            rows = deliveries(db)
    finally:
        reset_engines()
    received = Counter(relay.received)
    print(f"received {sum(received.values())} messages for {UNITS} units; runs: {outputs}")
    assert received == Counter({address(n): 1 for n in range(UNITS)})
    assert {status for status, _ in rows.values()} == {"sent"}
    assert all(o["completed"] for o in outputs), outputs
