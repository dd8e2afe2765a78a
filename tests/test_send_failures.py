"""Permanent and transient email failures through the real action flow and a real relay.

The relay (aiosmtpd, in this process) refuses one unit's address for good (550),
keeps another's busy (451) for its first two attempts, and accepts the rest. The
launch action runs in a child process through the real flow, tasks, retries and
an ephemeral Prefect API: the bad address is recorded once with its code and never
retried, the busy one is sent by the `deliver` task's retries, no other unit gets
anything twice, and the run's artifacts and the organizer's report say which
failure was permanent.
"""

from __future__ import annotations

import email
import email.policy
import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from .conftest import ROOT
from .faults import DRIVER
from .serving import clean_env, free_port

pytestmark = pytest.mark.slow

BAD = "sai-dia-chi@example.vn"
BUSY = "ban@example.vn"
GOOD = "so-a@example.vn"


class Relay:
    """Refuses BAD for good, keeps BUSY busy for two attempts, accepts everything else."""

    def __init__(self) -> None:
        self.attempts: dict[str, int] = {}
        self.received: list[str] = []

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.attempts[address] = self.attempts.get(address, 0) + 1
        if address == BAD:
            return f"550 5.1.1 <{BAD}>: Recipient address rejected: User unknown"
        if address == BUSY and self.attempts[address] <= 2:
            return "451 4.2.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received += envelope.rcpt_tos
        return "250 OK"


@pytest.fixture
def relay() -> Iterator[tuple[int, Relay]]:
    handler, port = Relay(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


def test_permanent_failures_are_final_and_transient_ones_are_retried(
    relay: tuple[int, Relay],
    write_campaign: Callable[..., Path],
    campaign_dir: Path,
    tmp_path: Path,
) -> None:
    port, server = relay
    registry = (campaign_dir / "units.yaml").read_text(encoding="utf-8")
    for unit, address in (("xa-1", BAD), ("xa-2", BUSY), ("so-a", GOOD)):
        url = f"mailto://127.0.0.1:{port}?to={address}&from=btdkt@example.vn&mode=insecure"
        registry = registry.replace(f'contacts: ["outbox://{unit}"]', f'contacts: ["{url}"]')
    (campaign_dir / "units.yaml").write_text(registry, encoding="utf-8")
    path = write_campaign()
    data_dir = tmp_path / "data"
    env = clean_env(
        THIDUA_DATA_DIR=str(data_dir),
        THIDUA_RETRY_SECONDS="1",  # backoff 1 s, 2 s, 4 s (± jitter) instead of 5, 10, 20
        PREFECT_HOME=str(tmp_path / "prefect"),
        PREFECT_UI_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180",
    )
    run = subprocess.run(
        [sys.executable, "-c", DRIVER, str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr[-4000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["completed"], out["message"]

    # The relay: the bad address was tried once; the busy one until it was accepted;
    # every other unit got its notice exactly once despite the task's two retries.
    assert server.attempts[BAD] == 1
    assert server.attempts[BUSY] == 3
    assert sorted(server.received) == sorted([BUSY, GOOD])

    # The store: one row per unit and channel, with the outcome and the attempts.
    with closing(sqlite3.connect(data_dir / "thidua.store.db")) as db:
        rows = {
            unit: (status, attempts, error)
            for unit, status, attempts, error in db.execute(
                "SELECT unit_code, status, attempts, error FROM deliveries WHERE action_key = ?",
                (out["action_key"],),
            )
        }
    assert rows["XA-1"][:2] == ("failed_permanent", 1)
    assert rows["XA-1"][2].startswith(
        f"Lỗi vĩnh viễn (không gửi lại): máy chủ thư từ chối địa chỉ {BAD} (550"
    )
    assert f"{BAD} (550 5.1.1 <{BAD}>: Recipient address rejected: User unknown)" in rows["XA-1"][2]
    assert rows["XA-2"][:2] == ("sent", 3)
    assert rows["SO-A"][:2] == ("sent", 1)
    assert rows["SO-B"][:2] == ("sent", 1)  # the outbox unit, untouched by the relay's errors

    # The run's table artifact tells the permanent failure from the rest.
    table = {row["Mã"]: row for row in out["table"]}
    assert table["XA-1"]["Kết quả"] == "lỗi vĩnh viễn"
    assert "550 5.1.1" in table["XA-1"]["Lỗi"]
    assert table["XA-2"]["Kết quả"] == "đã gửi" and table["XA-2"]["Lỗi"] == ""
    # Sent by this run's first attempt: the retry's table still says this run sent them.
    assert {table[u]["Kết quả"] for u in ("SO-A", "SO-B")} == {"đã gửi"}
    assert (
        "lỗi vĩnh viễn (địa chỉ không nhận thư, cấu hình sai; không gửi lại): 1" in (out["summary"])
    )

    # The organizer's report names the unit, the code, and that it will not be resent.
    [eml] = (data_dir / "outbox" / "btdkt").glob("*.eml")
    report = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    assert str(report["Subject"]).startswith("[12/KH-TEST] Không gửi được tới 1 đơn vị:")
    body = report.get_body(preferencelist=("plain",)).get_content()
    assert (
        "- UBND xã Một (liên hệ thứ 1, thư điện tử): Lỗi vĩnh viễn (không gửi lại): máy chủ thư từ chối địa chỉ "
        in body
    )
    assert "(550 5.1.1 " in body and "UBND xã Hai" not in body
    assert "Lỗi vĩnh viễn" in body and "sửa địa chỉ liên hệ" in body
