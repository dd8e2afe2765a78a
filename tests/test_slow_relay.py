"""A slow or silent relay after DATA: no duplicate, no false failure (issue 11, point 2).

Apprise's 15 s socket timeout made a relay that answers "250" to DATA after 17 s
look failed: the store and the organizer were told so, and the `deliver` task's
retries sent each unit 3 copies. The SMTP path now waits as RFC 5321 §4.5.3.2
allows (10 minutes for the reply to the final "."), and a timeout or a dropped
connection once the message was sent is *uncertain*: recorded "uncertain" ("chưa
rõ"), reported to the organizer as such, never retried automatically.

Real relays (aiosmtpd, in this process) and the launch action through the real flow
in a child process (see `tests.test_send_failures`). One case waits the real 17 s
with the RFC timeouts; the others shorten every timeout to 1 % of the RFC's
(`THIDUA_SMTP_TIMEOUT_PERCENT=1`: 6 s for the final reply) to stay fast.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from .conftest import ROOT
from .faults import DRIVER
from .serving import clean_env, free_port

pytestmark = pytest.mark.slow

SLOW = "so-a@example.vn"
SILENT = "xa-1@example.vn"
DROP = "xa-2@example.vn"


class Relay:
    """Answers DATA after `delay[address]` seconds, or drops the connection for DROP."""

    def __init__(self, delay: dict[str, float], drop: frozenset[str] = frozenset()) -> None:
        self.delay, self.drop = delay, drop
        self.data: Counter[str] = Counter()  # DATA commands whose message arrived, per address

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        [address] = envelope.rcpt_tos
        self.data[address] += 1
        if address in self.drop:
            server.transport.abort()  # the message arrived; its reply never will
            return "451 never sent"
        await asyncio.sleep(self.delay.get(address, 0))
        return "250 OK"


@contextmanager
def serving(handler: Relay) -> Iterator[int]:
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def launch(
    campaign_dir: Path,
    write_campaign: Callable[..., Path],
    tmp_path: Path,
    port: int,
    units: dict[str, str],
    **settings: str,
) -> tuple[dict[str, Any], dict[str, tuple[str, int, str | None]]]:
    """Run the launch with `units` (registry code → address) on the relay; (output, rows)."""
    registry = (campaign_dir / "units.yaml").read_text(encoding="utf-8")
    for unit, address in units.items():
        url = f"mailto://127.0.0.1:{port}?to={address}&from=btdkt@example.vn&mode=insecure"
        registry = registry.replace(f'contacts: ["outbox://{unit}"]', f'contacts: ["{url}"]')
    (campaign_dir / "units.yaml").write_text(registry, encoding="utf-8")
    path = write_campaign()
    data_dir = tmp_path / "data"
    env = clean_env(
        THIDUA_DATA_DIR=str(data_dir),
        THIDUA_RETRY_SECONDS="1",
        PREFECT_HOME=str(tmp_path / "prefect"),
        PREFECT_UI_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180",
        **settings,
    )
    run = subprocess.run(
        [sys.executable, "-c", DRIVER, str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr[-4000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    with closing(sqlite3.connect(data_dir / "thidua.store.db")) as db:
        rows = {
            unit: (status, attempts, error)
            for unit, status, attempts, error in db.execute(
                "SELECT unit_code, status, attempts, error FROM deliveries WHERE action_key = ?",
                (out["action_key"],),
            )
        }
    return out, rows


def test_a_relay_answering_data_after_17_seconds_gets_one_copy_recorded_sent(
    write_campaign: Callable[..., Path], campaign_dir: Path, tmp_path: Path
) -> None:
    relay = Relay({SLOW: 17, SILENT: 17})
    with serving(relay) as port:
        out, rows = launch(
            campaign_dir, write_campaign, tmp_path, port, {"so-a": SLOW, "xa-1": SILENT}
        )
    assert out["completed"], out["message"]
    assert relay.data == Counter({SLOW: 1, SILENT: 1})
    assert rows["SO-A"][:2] == ("sent", 1) and rows["XA-1"][:2] == ("sent", 1)
    assert not (tmp_path / "data" / "outbox" / "btdkt").exists()  # no failure reported


def test_no_reply_after_the_message_is_uncertain_and_never_retried(
    write_campaign: Callable[..., Path], campaign_dir: Path, tmp_path: Path
) -> None:
    # 1 % of the RFC timeouts: 6 s for the reply to the final "."; SILENT answers after 9.
    relay = Relay({SILENT: 9, SLOW: 3}, drop=frozenset({DROP}))
    with serving(relay) as port:
        out, rows = launch(
            campaign_dir,
            write_campaign,
            tmp_path,
            port,
            {"so-a": SLOW, "xa-1": SILENT, "xa-2": DROP},
            THIDUA_SMTP_TIMEOUT_PERCENT="1",
        )
    # Never sent again automatically (the deliver task's retries would have).
    assert relay.data == Counter({SLOW: 1, SILENT: 1, DROP: 1})
    assert rows["SO-A"][:2] == ("sent", 1)  # 3 s is within its (shortened) patience
    for unit, reason in (("XA-1", "quá thời gian chờ"), ("XA-2", "mất kết nối")):
        status, attempts, error = rows[unit]
        assert (status, attempts) == ("uncertain", 1), rows[unit]
        assert error.startswith("Chưa rõ kết quả (không tự gửi lại; gửi lại bằng lệnh thidua")
        assert f"không nhận được trả lời ({reason})" in error
    table = {row["Mã"]: row for row in out["table"]}
    assert table["XA-1"]["Kết quả"] == table["XA-2"]["Kết quả"] == "chưa rõ"
    assert "2 lượt gửi chưa rõ kết quả" in (out["message"] or "") or out["completed"]
    # The organizer hears of both, as uncertain (not as failures to fix).
    [eml] = (tmp_path / "data" / "outbox" / "btdkt").glob("*.eml")
    report = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    body = report.get_body(preferencelist=("plain",)).get_content()
    assert body.count("Chưa rõ kết quả") == 2, body
    assert "UBND xã Một" in body and "UBND xã Hai" in body and "Sở A" not in body
