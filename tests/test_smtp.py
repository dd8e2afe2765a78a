"""A real SMTP peer: a rendered reminder with its attachments, as a xã office receives it."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from notifications.attachments import attachments_for
from notifications.render import render
from notifications.send import send
from thidua.campaign_file import load_campaign
from thidua.plan import ActionKind, compile_plan

# The test peer asks for AUTH over plain SMTP on loopback, which aiosmtpd warns about.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

OUTLINE = "# Đề cương báo cáo\n\nI. Kết quả thực hiện phong trào thi đua\n"


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Inbox, list[str]]]:
    """A plain SMTP server on 127.0.0.1 that requires AUTH with the test's credentials."""
    inbox, logins = Inbox(), []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any):
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"btdkt",
            b"m@t/kh&u",
        )
        if ok:
            logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,  # loopback test peer; production URLs use mailtos://
    )
    controller.start()
    try:
        yield port, inbox, logins
    finally:
        controller.stop()


def test_a_reminder_reaches_a_real_smtp_server(
    smtp_server: tuple[int, Inbox, list[str]],
    write_campaign: Callable[..., Path],
    campaign_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, inbox, logins = smtp_server
    contact = (
        f"mailto://${{SMTP_USER}}:${{SMTP_PASSWORD}}@127.0.0.1:{port}"
        "?to=xa-mot@example.vn&from=btdkt@example.vn&mode=insecure"
    )
    registry = (campaign_dir / "units.yaml").read_text(encoding="utf-8")
    (campaign_dir / "units.yaml").write_text(
        registry.replace('contacts: ["outbox://xa-1"]', f'contacts: ["{contact}"]'),
        encoding="utf-8",
    )
    (campaign_dir / "attachments").mkdir()
    (campaign_dir / "attachments" / "de_cuong.md").write_text(OUTLINE, encoding="utf-8")
    monkeypatch.setenv("SMTP_USER", "btdkt")
    monkeypatch.setenv("SMTP_PASSWORD", "m@t/kh&u")
    path = write_campaign(
        """
        Milestone(kind="báo cáo", id="bao-cao", when="chậm nhất ngày 25/5/2026",
                  reminders=[3], attachments=["attachments/de_cuong.md"]),
        """
    )
    loaded = load_campaign(path)
    plan = compile_plan(loaded.spec, loaded.registry)
    reminder = next(
        a for a in plan.actions if a.kind is ActionKind.REMINDER and "XA-1" in a.recipients
    )
    message = render(
        reminder,
        campaign=loaded.spec,
        unit=loaded.registry.unit("XA-1"),
        organizer=loaded.registry.unit("BTDKT"),
        now=reminder.at,
        attachments=attachments_for(reminder, plan=plan, unit_code="XA-1", base_dir=path.parent),
    )

    result = send(loaded.registry.unit("XA-1").contacts[0], message)

    assert result.ok, result.error
    assert logins == ["btdkt"]
    [(rcpt, raw)] = inbox.messages
    assert rcpt == ["xa-mot@example.vn"]
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail["To"].addresses[0].addr_spec == "xa-mot@example.vn"
    assert mail["From"].addresses[0].addr_spec == "btdkt@example.vn"
    assert str(mail["Subject"]) == f"[12/KH-TEST] {reminder.title}"
    assert "Nhắc hạn" in str(mail["Subject"])
    plain = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    for body in (plain, html):
        assert "Kính gửi" in body and "UBND xã Một" in body
        assert "Kế hoạch số 12/KH-TEST" in body
        assert "chậm nhất ngày 25 tháng 5 năm 2026 (thứ Hai)" in body
    # Apprise labels text files without a charset; the bytes a unit saves are exact UTF-8.
    files = {part.get_filename(): part.get_payload(decode=True) for part in mail.iter_attachments()}
    assert files["de_cuong.md"] == OUTLINE.encode()
    [ics_name] = [name for name in files if name.endswith(".ics")]
    assert ics_name == "lich-12-kh-test-xa-1.ics"
    ics = files[ics_name].decode()
    assert "BEGIN:VCALENDAR" in ics and "DTSTART;TZID=Asia/Ho_Chi_Minh:20260525T080000" in ics
    assert "m@t/kh&u" not in raw.decode("ascii", "replace")


def test_a_wrong_password_is_a_failure_without_the_secret(
    smtp_server: tuple[int, Inbox, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, inbox, _ = smtp_server
    monkeypatch.setenv("SMTP_PASSWORD", "sai-mat-khau")
    url = (
        f"mailto://btdkt:${{SMTP_PASSWORD}}@127.0.0.1:{port}"
        "?to=xa-mot@example.vn&from=btdkt@example.vn&mode=insecure"
    )
    from notifications.render import Message

    result = send(url, Message(subject="Thử", text="Nội dung"))
    assert not result.ok and not result.permanent
    assert "sai-mat-khau" not in (result.error or "")
    assert inbox.messages == []
