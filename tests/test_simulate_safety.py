"""`thidua simulate` never reaches a real channel, and says what it did per action.

The registry's contacts are real: e-mail to a local SMTP server (aiosmtpd) whose
settings come from ${VARS}, and a JSON webhook to a local HTTP listener. The same
contacts first prove they work (a direct send connects); then a whole simulation
makes no connection to either, and every message is in the simulation's outbox.
"""

from __future__ import annotations

import email
import email.policy
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from thidua.notifications.render import Message
from thidua.notifications.send import send

from thidua.campaign.loading import load_campaign
from thidua.campaign.plan import compile_plan
from thidua.store.db import session_scope

from .serving import ROOT, THIDUA, clean_env, free_port

CAMPAIGN = """
Milestone(kind="báo cáo", id="bao-cao", when="chậm nhất ngày 25/5/2026", reminders=[3]),
"""


class CountingController(Controller):
    """An aiosmtpd server that counts every TCP connection made to it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections = 0

    def factory(self) -> Any:  # called once per accepted connection
        self.connections += 1
        return super().factory()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.original_content)
        return "250 OK"


class Listener:
    """A TCP listener for the webhook: counts connections, answers HTTP 200."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(5)
                try:
                    conn.recv(65536)
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    )
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def channels() -> Iterator[tuple[CountingController, Inbox, Listener]]:
    inbox = Inbox()
    smtp = CountingController(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()  # start() itself connects once to check the server is up
    hook = Listener()
    try:
        yield smtp, inbox, hook
    finally:
        smtp.stop()
        hook.close()


def test_simulate_makes_no_connection_to_real_channels(
    channels: tuple[CountingController, Inbox, Listener],
    write_campaign: Callable[..., Path],
    campaign_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    smtp, inbox, hook = channels
    mail = "mailto://${T_SMTP_HOST}?to=so-a@example.vn&from=btdkt@example.vn&mode=insecure"
    webhook = f"json://127.0.0.1:{hook.port}/thidua"
    registry = (campaign_dir / "units.yaml").read_text(encoding="utf-8")
    registry = registry.replace('contacts: ["outbox://so-a"]', f'contacts: ["{mail}"]')
    registry = registry.replace('contacts: ["outbox://xa-1"]', f'contacts: ["{webhook}"]')
    (campaign_dir / "units.yaml").write_text(registry, encoding="utf-8")
    path = write_campaign(CAMPAIGN)
    settings = {"T_SMTP_HOST": f"127.0.0.1:{smtp.port}"}

    # The contacts are real: sent directly, each one connects.
    loaded = load_campaign(path)
    monkeypatch.setenv("T_SMTP_HOST", settings["T_SMTP_HOST"])
    note = Message(subject="Thử kênh", text="Thử kênh gửi.")
    baseline = smtp.connections
    assert send(loaded.registry.unit("SO-A").contacts[0], note).ok
    assert send(loaded.registry.unit("XA-1").contacts[0], note).ok
    assert smtp.connections > baseline and len(inbox.messages) == 1 and hook.connections == 1

    smtp_before, hook_before, received = smtp.connections, hook.connections, len(inbox.messages)
    data = tmp_path_factory.mktemp("sim-data")
    result = subprocess.run(
        [THIDUA, "simulate", str(path)],
        cwd=ROOT,
        env=clean_env(THIDUA_DATA_DIR=str(data), **settings),
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert out.startswith("Mô phỏng: không gửi tới kênh thật nào.")
    assert (smtp.connections, hook.connections) == (smtp_before, hook_before), out
    assert len(inbox.messages) == received

    # Every message went to the simulation's outbox, one folder per unit and channel.
    plan = compile_plan(loaded.spec, loaded.registry)
    outbox = data / "simulate" / "12-kh-test" / "outbox"
    for unit, folder in (("SO-A", "so-a.mailto"), ("XA-1", "xa-1.json"), ("SO-B", "so-b")):
        expected = sum(unit in a.recipients for a in plan.actions)
        assert len(list((outbox / folder).glob("*.eml"))) == expected, (unit, out)
    # Each action line counts what happened.
    launch = next(a for a in plan.actions if a.kind.value == "launch")
    assert (
        f"· {launch.title} → {len(launch.recipients)} đơn vị (gửi {len(launch.recipients)}, "
        "lỗi 0, bỏ qua 0)" in out
    )


def test_failed_deliveries_are_listed_with_unit_and_reason(write_campaign) -> None:
    """The per-action counts come from the delivery records: sent, failed (why), skipped."""
    from thidua.flows.simulate import action_counts

    from thidua.ledger import deliveries
    from thidua.store import campaign_rows

    loaded = load_campaign(write_campaign(CAMPAIGN))
    plan = compile_plan(loaded.spec, loaded.registry)
    launch = next(a for a in plan.actions if a.kind.value == "launch")
    outcomes = {"SO-A": "sent", "SO-B": "failed_permanent", "XA-1": "sent"}  # XA-2: none
    with session_scope() as session:
        campaign_rows.upsert_campaign(
            session,
            code=loaded.code,
            title=loaded.spec.title,
            file=str(loaded.path),
            organizer=loaded.spec.organizer,
            spec_hash="x",
            period_start=loaded.spec.period.start,
            period_end=loaded.spec.period.end,
        )
        for unit, status in outcomes.items():
            claimed = deliveries.claim_delivery(
                session,
                campaign_code=loaded.code,
                action_key=launch.key,
                occurrence=launch.occurrence,
                unit_code=unit,
                channel="0:mailtos",
                subject="s",
            )
            error = "Lỗi vĩnh viễn: 550 hộp thư không tồn tại" if status != "sent" else None
            deliveries.finish_delivery(session, delivery_id=claimed.id, status=status, error=error)
    with session_scope() as session:
        counts = action_counts(session, loaded.code, launch)
    skipped = len(launch.recipients) - len(outcomes)
    assert (counts.sent, counts.failed, counts.skipped) == (2, 1, skipped)
    assert counts.failures == [("SO-B", "0:mailtos", "Lỗi vĩnh viễn: 550 hộp thư không tồn tại")]
    assert counts.line() == f"gửi 2, lỗi 1, bỏ qua {skipped}"


def test_a_failing_run_fails_the_simulation_and_alerts_only_the_outbox(
    channels: tuple[CountingController, Inbox, Listener],
    write_campaign: Callable[..., Path],
    campaign_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """A broken reminder template: its runs fail (✗, exit 1); the organizer's alert, whose
    contact is real e-mail, goes to the outbox like everything else."""
    smtp, inbox, _ = channels
    mail = f"mailto://127.0.0.1:{smtp.port}?to=btdkt@example.vn&from=thidua@example.vn"
    registry = (campaign_dir / "units.yaml").read_text(encoding="utf-8")
    registry = registry.replace('contacts: ["outbox://btdkt"]', f'contacts: ["{mail}"]')
    (campaign_dir / "units.yaml").write_text(registry, encoding="utf-8")
    (campaign_dir / "templates").mkdir()
    (campaign_dir / "templates" / "reminder.txt.j2").write_text("{% if %}", encoding="utf-8")
    path = write_campaign(CAMPAIGN)
    before = smtp.connections
    data = tmp_path_factory.mktemp("sim-fail")
    result = subprocess.run(
        [THIDUA, "simulate", str(path)],
        cwd=ROOT,
        env=clean_env(THIDUA_DATA_DIR=str(data)),
        capture_output=True,
        text=True,
        timeout=600,
    )
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert "Traceback" not in out + result.stderr
    reminder_lines = [line for line in out.splitlines() if "· Nhắc hạn" in line]
    assert reminder_lines and all(line.startswith("✗ ") for line in reminder_lines), out
    assert any(line.startswith("✓ ") and "· Phát động" in line for line in out.splitlines())
    assert "hoạt động thất bại" in out.splitlines()[-1]
    assert "    hoạt động lỗi: RenderFailed: TemplateSyntaxError" in out and "Flow run" not in out
    assert smtp.connections == before and not inbox.messages
    folder = data / "simulate" / "12-kh-test" / "outbox" / "btdkt.mailto"
    subjects = [
        str(email.message_from_bytes(p.read_bytes(), policy=email.policy.default)["Subject"])
        for p in folder.glob("*.eml")
    ]
    alerts = [s for s in subjects if s.startswith("[12/KH-TEST] LỖI: ")]
    assert len(alerts) == len(reminder_lines), (subjects, out)
