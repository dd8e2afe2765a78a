"""A notice the relay refused can be sent again once the address is fixed (issue 11, point 1).

The relay answers 550 for a mistyped xã address; the organizer is told; the admin
fixes the registry; the action itself cannot run again ("hoạt động đã chạy trước
đó"). `thidua resend MÃ --hoat-dong KHÓA` sends it to the units not reached, as a
flow run of its own in the Prefect UI and as deliveries of its own in the store,
never again to units that got it unless `--ca-don-vi-da-nhan` says so.

Everything is real: an aiosmtpd relay in this process, a Prefect server of the
module's own, the launch through `thidua.flows.action.run_action` in a child process, and
the `thidua resend` command as a subprocess.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from .conftest import ROOT
from .faults import DRIVER, local_prefect
from .serving import THIDUA, clean_env, free_port

pytestmark = pytest.mark.slow

TYPO = "xa-1@exmaple.vn"
FIXED = "xa-1@example.vn"
GOOD = "so-a@example.vn"
CODE = "12/KH-TEST"
LAUNCH = "launch/-/launch"

#: Runs the launch again through the flow: the gate must refuse it.
AGAIN = """
import json, sys
from thidua.flows.action import run_action
from thidua.campaign.loading import load_campaign
from thidua.config import get_settings
from thidua.campaign.plan import compile_plan

loaded = load_campaign(sys.argv[1])
launch = compile_plan(loaded.spec, loaded.registry, notice_time=get_settings().notice_time).actions[0]
state = run_action(campaign_file=sys.argv[1], action_key=launch.key, scheduled_for=launch.at,
                   now=launch.at, return_state=True)
print(json.dumps({"type": state.type.value, "message": state.message}))
"""


class Relay:
    """Refuses TYPO for good (550), accepts the rest and records each accepted copy."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address == TYPO:
            return f"550 5.1.1 <{TYPO}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.update(envelope.rcpt_tos)
        return "250 OK"


@pytest.fixture(scope="module")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with local_prefect(tmp_path_factory.mktemp("prefect-server")) as server:
        yield server.settings.api_url


def rows(db: Path) -> dict[tuple[str, int], tuple[str, int]]:
    with closing(sqlite3.connect(db)) as conn:
        found = conn.execute(
            "SELECT unit_code, resend, status, attempts FROM deliveries WHERE action_key = ?",
            (LAUNCH,),
        ).fetchall()
    return {(unit, resend): (status, attempts) for unit, resend, status, attempts in found}


def flow_run_names(api: str) -> list[str]:
    request = urllib.request.Request(
        f"{api}/flow_runs/filter",
        data=json.dumps({"limit": 200}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as resp:
        return [run["name"] for run in json.loads(resp.read())]


def test_a_refused_address_fixed_in_the_registry_is_resent_once(
    prefect_api: str,
    write_campaign: Callable[..., Path],
    campaign_dir: Path,
    tmp_path: Path,
) -> None:
    relay, port = Relay(), free_port()
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    registry_file = campaign_dir / "units.yaml"

    def mailto(address: str) -> str:
        return f"mailto://127.0.0.1:{port}?to={address}&from=btdkt@example.vn&mode=insecure"

    registry = registry_file.read_text(encoding="utf-8")
    for unit, address in (("xa-1", TYPO), ("so-a", GOOD)):
        registry = registry.replace(
            f'contacts: ["outbox://{unit}"]', f'contacts: ["{mailto(address)}"]'
        )
    registry_file.write_text(registry, encoding="utf-8")
    path = write_campaign()
    data = tmp_path / "data"
    env = clean_env(
        THIDUA_DATA_DIR=str(data),
        THIDUA_RETRY_SECONDS="1",
        THIDUA_CAMPAIGNS_DIR=str(campaign_dir),
        THIDUA_PREFECT_API_URL=prefect_api,
        PREFECT_API_URL=prefect_api,
        PREFECT_HOME=str(tmp_path / "prefect-client"),
        PREFECT_LOGGING_LEVEL="WARNING",
    )

    def python(code: str) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-c", code, str(path)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr[-4000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def resend(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [THIDUA, "resend", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    try:
        python(DRIVER)
        assert relay.received == Counter({GOOD: 1})
        assert rows(data / "thidua.store.db")[("XA-1", 0)] == ("failed_permanent", 1)
        [report] = (data / "outbox" / "btdkt").glob("*.eml")  # the organizer was told

        registry_file.write_text(
            registry_file.read_text(encoding="utf-8").replace(TYPO, FIXED), encoding="utf-8"
        )
        again = python(AGAIN)
        assert "hoạt động đã chạy trước đó" in again["message"], again
        assert relay.received == Counter({GOOD: 1})

        # Bad arguments: a Vietnamese error naming the value; nothing sent.
        for args, expected in (
            (["99/KH-KHONG", "--hoat-dong", LAUNCH], "không có đợt thi đua mã “99/KH-KHONG”"),
            ([CODE, "--hoat-dong", "launch/-/khong"], "không có hoạt động “launch/-/khong”"),
            ([CODE, "--action", LAUNCH, "--unit", "XA-99"], "không có đơn vị mã “XA-99”"),
        ):
            bad = resend(*args)
            assert bad.returncode == 1 and expected in bad.stderr, bad.stderr
            assert "Traceback" not in bad.stderr
        assert relay.received == Counter({GOOD: 1})

        done = resend(CODE, "--hoat-dong", LAUNCH)
        assert done.returncode == 0, done.stdout + done.stderr[-4000:]
        assert (
            "gửi lại lần 1" in done.stdout and "UBND xã Một (XA-1, 0:mailto): đã gửi" in done.stdout
        )
        assert relay.received == Counter({GOOD: 1, FIXED: 1})  # never again to SO-A
        stored = rows(data / "thidua.store.db")
        assert stored[("XA-1", 0)] == ("failed_permanent", 1)  # the original run, as it was
        assert stored[("XA-1", 1)] == ("sent", 1)  # the resend's own record
        assert ("SO-A", 1) not in stored

        nothing = resend(CODE, "--hoat-dong", LAUNCH, "--don-vi", "SO-A", "XA-1")
        assert nothing.returncode == 0 and "mọi đơn vị đã nhận được" in nothing.stdout
        assert relay.received == Counter({GOOD: 1, FIXED: 1})

        forced = resend(CODE, "--action", LAUNCH, "--unit", "SO-A", "--include-delivered")
        assert forced.returncode == 0, forced.stdout + forced.stderr[-4000:]
        assert relay.received == Counter({GOOD: 2, FIXED: 1})
        assert rows(data / "thidua.store.db")[("SO-A", 2)] == ("sent", 1)

        names = flow_run_names(prefect_api)
        assert sum(name.startswith("Gửi lại: ") for name in names) == 3, (
            names
        )  # one per resend command
        assert report.exists()
    finally:
        controller.stop()
