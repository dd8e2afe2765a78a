"""A real SMTP peer: a rendered reminder with its attachments, as a xã office receives it."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from thidua.notifications.attachments import attachments_for
from thidua.notifications.render import Message, render
from thidua.notifications.send import SMTPPool, send

from thidua.campaign.loading import load_campaign
from thidua.campaign.plan import ActionKind, compile_plan

from .serving import free_port
from .smtp_peer import Inbox
from .tls_relay import self_signed

# The test peer asks for AUTH over plain SMTP on loopback, which aiosmtpd warns about.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

OUTLINE = "# Đề cương báo cáo\n\nI. Kết quả thực hiện phong trào thi đua\n"


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
    assert str(mail["Subject"]) == message.subject
    assert "Nhắc hạn" in str(mail["Subject"])
    plain = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    for body in (plain, html):
        assert "Kính gửi" in body and "UBND xã Một" in body
        assert "Kế hoạch số 12/KH-TEST" in body
        assert "chậm nhất ngày 25 tháng 5 năm 2026 (thứ Hai)" in body
    parts = {part.get_filename(): part for part in mail.iter_attachments()}
    # The Markdown outline goes out as the Word file offices open.
    outline = parts["de_cuong.docx"]
    assert outline.get_content_type().endswith("wordprocessingml.document")
    assert outline.get_payload(decode=True) == message.attachments[0].read_bytes()
    # Text attachments name their charset, so a mail client shows the Vietnamese as written.
    [ics_name] = [name for name in parts if name.endswith(".ics")]
    assert ics_name == "lich-12-kh-test-xa-1.ics"
    calendar = parts[ics_name]
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_content_charset() == "utf-8"
    ics = calendar.get_content()
    assert "BEGIN:VCALENDAR" in ics and "DTSTART;TZID=Asia/Ho_Chi_Minh:20260525T080000" in ics
    unfolded = ics.replace("\r\n ", "").replace("\n ", "")
    assert "X-WR-CALNAME:12/KH-TEST — Đợt thi đua thử nghiệm" in unfolded
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
    result = send(url, Message(subject="Thử", text="Nội dung"))
    # 535: the relay's account is wrong; no retry can fix that, the organizer must.
    assert not result.ok and result.permanent
    assert result.error and "từ chối đăng nhập" in result.error and "(535 " in result.error
    assert "sai-mat-khau" not in result.error and "mailto" not in result.error
    assert inbox.messages == []


# --- why a send failed, and connections kept for a batch -------------------------------


class Relay(Inbox):
    """A relay that refuses some addresses for good (550), delays others (451), and
    counts the connections (SMTP sessions) and QUITs it sees."""

    def __init__(self) -> None:
        super().__init__()
        self.refuse = {
            "sai-dia-chi@example.vn": "550 5.1.1 <sai-dia-chi@example.vn>: mailbox unavailable"
        }
        self.defer = {"ban@example.vn": "451 4.3.0 Mailbox temporarily busy, try later"}
        self.rcpt_attempts: dict[str, int] = {}
        self.sessions: set[int] = set()
        self.quits = 0
        self.drop_after_data = False

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.rcpt_attempts[address] = self.rcpt_attempts.get(address, 0) + 1
        if address in self.refuse:
            return self.refuse[address]
        if address in self.defer:
            return self.defer[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.sessions.add(id(session))
        if self.drop_after_data:  # the relay closes a connection once it has carried a message
            asyncio.get_running_loop().call_soon(server.transport.close)
        return await super().handle_DATA(server, session, envelope)

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        self.quits += 1
        return "221 Bye"


@pytest.fixture
def relay() -> Iterator[tuple[int, Relay]]:
    handler, port = Relay(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler
    finally:
        controller.stop()


def mail_url(port: int, to: str) -> str:
    return f"mailto://127.0.0.1:{port}?to={to}&from=btdkt@example.vn&mode=insecure"


NOTICE = Message(subject="[12/KH-TEST] Nhắc hạn báo cáo", text="Kính gửi: UBND xã Một")


def test_a_refused_address_is_permanent_with_the_servers_code(relay: tuple[int, Relay]) -> None:
    port, server = relay
    result = send(mail_url(port, "sai-dia-chi@example.vn"), NOTICE)
    assert not result.ok and result.permanent
    assert result.error == (
        "máy chủ thư từ chối địa chỉ sai-dia-chi@example.vn "
        "(550 5.1.1 <sai-dia-chi@example.vn>: mailbox unavailable)"
    )
    assert server.messages == []


def test_a_busy_mailbox_is_transient_with_the_servers_code(relay: tuple[int, Relay]) -> None:
    port, server = relay
    result = send(mail_url(port, "ban@example.vn"), NOTICE)
    assert not result.ok and not result.permanent
    assert result.error is not None and "ban@example.vn (451 4.3.0 " in result.error
    server.defer.clear()  # the mailbox has room again: the same send now goes through
    assert send(mail_url(port, "ban@example.vn"), NOTICE).ok
    assert [rcpt for rcpt, _ in server.messages] == [["ban@example.vn"]]


def test_an_unreachable_relay_is_transient_without_the_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()  # nothing listens there
    monkeypatch.setenv("SMTP_PASSWORD", "bi-mat-123")
    url = f"mailto://btdkt:${{SMTP_PASSWORD}}@127.0.0.1:{port}?to=xa@example.vn&from=btdkt@example.vn&mode=insecure"
    result = send(url, NOTICE)
    assert not result.ok and not result.permanent
    assert result.error is not None
    assert f"không kết nối được máy chủ thư 127.0.0.1:{port}" in result.error
    assert "bi-mat-123" not in result.error and "mailto" not in result.error


def test_a_batch_reuses_one_connection_per_thread_and_quits_at_the_end(
    relay: tuple[int, Relay],
) -> None:
    port, server = relay
    with SMTPPool() as pool:
        results = [send(mail_url(port, f"xa{i}@example.vn"), NOTICE, pool=pool) for i in range(5)]
        # A refusal drops the connection; the next message opens a new one.
        refused = send(mail_url(port, "sai-dia-chi@example.vn"), NOTICE, pool=pool)
        after = send(mail_url(port, "xa5@example.vn"), NOTICE, pool=pool)
        assert server.quits == 1  # the refused connection was ended politely
    assert all(r.ok for r in results) and after.ok and refused.permanent
    assert [rcpt for rcpt, _ in server.messages] == [[f"xa{i}@example.vn"] for i in range(6)]
    assert len(server.sessions) == 2
    assert server.quits == 2  # the pool's last connection, at the end of the batch
    # Without a pool (alerts, one-offs) each send has a connection of its own.
    for i in range(2):
        assert send(mail_url(port, f"le{i}@example.vn"), NOTICE).ok
    assert len(server.sessions) == 4 and server.quits == 4


def test_a_connection_the_relay_dropped_is_reopened_and_sends_once(
    relay: tuple[int, Relay],
) -> None:
    port, server = relay
    server.drop_after_data = True
    with SMTPPool() as pool:
        for i in range(3):
            result = send(mail_url(port, f"xa{i}@example.vn"), NOTICE, pool=pool)
            assert result.ok, result.error
    assert [rcpt for rcpt, _ in server.messages] == [[f"xa{i}@example.vn"] for i in range(3)]
    assert len(server.sessions) == 3


def test_an_untrusted_certificate_is_permanent_and_a_trusted_one_sends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ssl

    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, port = Inbox(), free_port()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True
    )
    controller.start()
    try:
        url = f"mailtos://127.0.0.1:{port}?to=xa@example.vn&from=btdkt@example.vn&mode=starttls"
        refused = send(url, NOTICE)
        # Nobody can vouch for the relay: the configuration must change, not the weather.
        assert not refused.ok and refused.permanent
        assert refused.error is not None
        assert f"chứng chỉ TLS của máy chủ thư 127.0.0.1:{port} không hợp lệ" in refused.error
        assert inbox.messages == []
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the operator trusts its relay's CA
        sent = send(url, NOTICE)
        assert sent.ok, sent.error
        assert [rcpt for rcpt, _ in inbox.messages] == [["xa@example.vn"]]
    finally:
        controller.stop()
