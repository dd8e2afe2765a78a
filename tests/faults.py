"""Helpers of the fault tests: a recording SMTP relay that can misbehave, a large
registry of email units, the action run in a child process, and a TCP proxy that
can cut the state store off.

Everything here is real: aiosmtpd on a loopback port, `thidua.flows.action.run_action` in
a fresh `python` process, sockets forwarded byte for byte.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from thidua.flows.server import LocalServer

from thidua.config import Settings

from .serving import ROOT, clean_env, free_port

CODE = "77/KH-LOI"
LAUNCH = "launch/-/launch"
#: Worker threads of `thidua.delivery.engine.deliver`: how many messages one process has in flight.
DELIVER_THREADS = Settings().send_threads  # the product's default


# --- an SMTP relay that records and misbehaves ------------------------------------------


def draw(seed: int, address: str, attempt: int) -> float:
    """A uniform number in [0, 1) fixed by (seed, address, attempt), whatever the thread order."""
    digest = hashlib.sha256(f"{seed}|{address}|{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass
class Relay:
    """aiosmtpd handler: refuses `permanent` addresses (550), answers 451 to a random
    `transient_rate` of the attempts (seeded per address and attempt), accepts the rest
    and records every accepted recipient in arrival order."""

    transient_rate: float = 0.0
    permanent: frozenset[str] = frozenset()
    seed: int = 0
    #: Once this many messages arrived, hold every new one at RCPT until it is set to None
    #: (a relay that went slow): the senders' claims stay in flight, their mail unaccepted.
    stall_after: int | None = None
    received: list[str] = field(default_factory=list)
    attempts: Counter[str] = field(default_factory=Counter)

    def refuses(self, address: str, attempt: int) -> bool:
        """Whether attempt number `attempt` (1-based) to `address` gets a 451."""
        return draw(self.seed, address, attempt) < self.transient_rate

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        while self.stall_after is not None and len(self.received) >= self.stall_after:
            await asyncio.sleep(0.05)
        self.attempts[address] += 1
        if address in self.permanent:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        if self.refuses(address, self.attempts[address]):
            return "451 4.3.2 System busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.extend(envelope.rcpt_tos)
        return "250 OK"


@contextmanager
def smtp_relay(handler: Relay) -> Iterator[int]:
    """Serve `handler` on a free loopback port for the block; yields the port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


# --- a campaign with many email units -----------------------------------------------------


def address(n: int) -> str:
    return f"xa{n:04d}@example.vn"


def unit_code(n: int) -> str:
    return f"XA{n:04d}"


def write_campaign(folder: Path, units: int, port: int) -> Path:
    """A campaign launched to `units` xã, each with one mailto contact on the relay."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "name: Tỉnh thử nghiệm sự cố",
        "groups:",
        "  - {code: XA-PHUONG, name: Xã phường, kind: cum}",
        "units:",
        "  - {code: UBND, name: UBND tỉnh, kind: co_quan_tinh, contacts: ['outbox://ubnd']}",
        "  - {code: BTDKT, name: Ban Thi đua - Khen thưởng, kind: phong, supervisor: UBND,"
        " contacts: ['outbox://btdkt']}",
    ]
    for n in range(units):
        url = f"mailto://127.0.0.1:{port}?to={address(n)}&from=btdkt@example.vn&mode=insecure"
        lines.append(
            f"  - {{code: {unit_code(n)}, name: UBND xã Số {n:04d}, kind: xa,"
            f" groups: [XA-PHUONG], supervisor: UBND, contacts: ['{url}']}}"
        )
    (folder / "units.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = folder / "camp.py"
    path.write_text(
        f'''from thidua import *

campaign = Campaign(
    code="{CODE}",
    title="Đợt thi đua thử nghiệm sự cố",
    issuer="UBND tỉnh",
    issued="ngày 02/3/2026",
    period="Từ ngày 01/3/2026 đến ngày 30/6/2026",
    organizer="BTDKT",
    registry="units.yaml",
    working_days_only=False,
    participants=Participants(groups=["XA-PHUONG"]),
    milestones=[Milestone(kind="phát động", when="ngày 02/3/2026")],
)
''',
        encoding="utf-8",
    )
    return path


# --- a Prefect server of the test's own ---------------------------------------------------


@contextmanager
def local_prefect(home: Path, port: int | None = None) -> Iterator[LocalServer]:
    """`prefect server start` with its SQLite database under `home`, stopped after the block.

    Starting it again on the same `home` and `port` finds the same database.
    """
    settings = Settings(data_dir=home, ui_port=port or free_port())
    saved = os.environ.get("PREFECT_HOME")
    os.environ["PREFECT_HOME"] = str(home / "prefect")
    try:
        with LocalServer(settings, wait=180) as server:
            assert server.process is not None, "something else answers on the server's port"
            yield server
    finally:
        if saved is None:
            os.environ.pop("PREFECT_HOME", None)
        else:
            os.environ["PREFECT_HOME"] = saved


def child_env(data: Path, api: str, tmp: Path, **extra: str) -> dict[str, str]:
    """Environment of an action run: its data dir, a Prefect API, short retry delays."""
    return clean_env(
        THIDUA_DATA_DIR=str(data),
        THIDUA_RETRY_SECONDS="1",
        PREFECT_API_URL=api,
        PREFECT_HOME=str(tmp / "prefect-client"),
        PREFECT_LOGGING_LEVEL="WARNING",
        **extra,
    )


# --- the action, in a child process -------------------------------------------------------

#: Records the campaign and its launch as deployed (what `thidua simulate` does), once.
SETUP = """
import sys
from thidua.store import campaign_rows
from thidua.campaign.loading import load_campaign
from thidua.config import get_settings
from thidua.store.db import session_scope
from thidua.campaign.plan import compile_plan

loaded = load_campaign(sys.argv[1])
plan = compile_plan(loaded.spec, loaded.registry, notice_time=get_settings().notice_time)
[launch] = [a for a in plan.actions if a.key == sys.argv[2]]
with session_scope() as session:
    campaign_rows.upsert_campaign(
        session, code=loaded.code, title=loaded.spec.title, file=str(loaded.path),
        organizer=loaded.spec.organizer, spec_hash="test",
        period_start=loaded.spec.period.start, period_end=loaded.spec.period.end,
    )
    campaign_rows.save_action(
        session, campaign_code=loaded.code, key=launch.key, **campaign_rows.action_fields(launch),
        status="scheduled",
    )
print(launch.at.isoformat())
"""

#: Runs the launch through the real flow on the virtual clock of its due time.
RUN = """
import json, sys
from datetime import datetime
from thidua.flows.action import run_action

at = datetime.fromisoformat(sys.argv[3])
state = run_action(
    campaign_file=sys.argv[1], action_key=sys.argv[2], scheduled_for=at, now=at,
    return_state=True,
)
print(json.dumps({"completed": state.is_completed(), "type": state.type.value,
                  "message": state.message}))
"""


#: Records the campaign and its launch, runs the launch through the flow, then prints the
#: run's artifacts (campaign 12/KH-TEST): the child of the email-failure tests.
DRIVER = """
import json, sys
from thidua.flows.action import run_action
from prefect.artifacts import Artifact
from thidua.store import campaign_rows
from thidua.campaign.loading import load_campaign
from thidua.config import get_settings
from thidua.store.db import session_scope
from thidua.campaign.plan import compile_plan

path = sys.argv[1]
loaded = load_campaign(path)
plan = compile_plan(loaded.spec, loaded.registry, notice_time=get_settings().notice_time)
launch = plan.actions[0]
with session_scope() as session:  # what deploying the campaign records, as `thidua simulate` does
    campaign_rows.upsert_campaign(
        session, code=loaded.code, title=loaded.spec.title, file=str(loaded.path),
        organizer=loaded.spec.organizer, spec_hash="test",
        period_start=loaded.spec.period.start, period_end=loaded.spec.period.end,
    )
    campaign_rows.save_action(
        session, campaign_code=loaded.code, key=launch.key, **campaign_rows.action_fields(launch),
        status="scheduled",
    )
state = run_action(
    campaign_file=path, action_key=launch.key, scheduled_for=launch.at, now=launch.at,
    return_state=True,
)
table = Artifact.get("12-kh-test-gui-tin")
summary = Artifact.get("12-kh-test-tom-tat")
print(json.dumps({
    "completed": state.is_completed(),
    "message": state.message,
    "action_key": launch.key,
    "table": json.loads(table.data) if isinstance(table.data, str) else table.data,
    "summary": summary.data,
}))
"""


def python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", code, *args]


def run(cmd: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def last_json(output: str) -> dict[str, Any]:
    return json.loads(output.strip().splitlines()[-1])


# --- reading the SQLite store without the product's code -----------------------------------


def deliveries(db: Path) -> dict[str, tuple[str, int]]:
    """(status, attempts) of each unit's launch delivery (the run's own, not a resend's)."""
    with closing(sqlite3.connect(db, timeout=30)) as conn:
        rows = conn.execute(
            "SELECT unit_code, status, attempts FROM deliveries"
            " WHERE action_key = ? AND resend = 0",
            (LAUNCH,),
        ).fetchall()
    return {unit: (status, attempts) for unit, status, attempts in rows}


# --- a TCP proxy that can cut a server off --------------------------------------------------


class Proxy:
    """Forwards 127.0.0.1:`port` to `target`; `cut()` drops every connection and refuses
    new ones (the server is unreachable), `restore()` accepts them again."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.listen()

    def listen(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # the listener was closed by cut() or stop()
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                self._close(s)

    def _close(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def cut(self) -> None:
        """Refuse new connections (the port is closed) and reset the open ones."""
        if self._listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would not,
            # and the kernel would keep accepting connections for it.
            with suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            open_sockets = list(self._sockets)
        for sock in open_sockets:
            self._close(sock)

    def restore(self) -> None:
        if self._listener is None:
            self.listen()

    def stop(self) -> None:
        self.cut()
