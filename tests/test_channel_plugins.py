"""Our Apprise plugins (issue 13): email and outbox registered for their schemes, built
from the URL (a bad one refused while building), sending over a real STARTTLS relay
with one connection per worker thread, reopened once when the relay dropped it.
"""

from __future__ import annotations

import email
import email.policy
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

import apprise
import pytest
from thidua.notifications import mime
from thidua.notifications.channels import ChannelError, Email, Outbox, load
from thidua.notifications.render import Message
from thidua.notifications.send import SMTPPool, send

from thidua.config import get_settings

from .tls_relay import Relay, running, self_signed

NOTICE = Message(
    subject="[12/KH-TEST] Nhắc hạn: nộp hồ sơ đề nghị khen thưởng còn 3 ngày",
    text="Kính gửi: UBND xã Một\n\nĐề nghị đơn vị nộp hồ sơ trước ngày 25/5/2026.\n",
    html="<p>Kính gửi: <b>UBND xã Một</b></p><p>Đề nghị đơn vị nộp hồ sơ.</p>",
)


@pytest.fixture
def tls_relay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, Relay]]:
    """A relay that requires STARTTLS, with a certificate the client trusts explicitly."""
    cert, key = self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # verification stays on
    relay = Relay()
    with running(relay, tls=(cert, key)) as port:
        yield port, relay


def tls_url(port: int, to: str) -> str:
    return f"mailtos://127.0.0.1:{port}?to={to}&from=btdkt@example.vn&mode=starttls"


def parsed(raw: bytes) -> EmailMessage:
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(mail, EmailMessage)
    return mail


# --- the seam: registered, built from the URL, refused while building -------------------


def test_apprise_builds_our_plugins_for_their_schemes() -> None:
    sender = apprise.Apprise()
    assert sender.add("mailtos://bot:pw@smtp.example.vn?to=a@example.vn&from=b@example.vn")
    assert sender.add("mailto://smtp.example.vn?to=a@example.vn&from=b@example.vn")
    assert sender.add("outbox://xa-1")
    assert [type(plugin) for plugin in sender] == [Email, Email, Outbox]


def test_a_shown_url_never_carries_the_password() -> None:
    plugin = load("mailtos://bot:hunter2-secret@smtp.example.vn?to=a@example.vn&from=b@example.vn")
    shown = plugin.url(privacy=True)
    assert "hunter2" not in shown and "smtp.example.vn" in shown


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("outbox://Xa_Mot", "hộp thư outbox không hợp lệ: “Xa_Mot”"),
        ("zalo://123", "Apprise không hỗ trợ lược đồ “zalo://”"),
        ("mailtos://bot:pw@smtp.example.vn?to=a@example.vn&pgp=encrypt", "PGP"),
        ("tgram://hunter2-bot-token/", "Apprise không nhận địa chỉ này"),
    ],
)
def test_a_bad_url_is_refused_while_building_with_its_reason(url: str, reason: str) -> None:
    with pytest.raises(ChannelError) as info:
        load(url)
    assert reason in info.value.reason
    assert "hunter2" not in info.value.reason  # another plugin's message may quote a token


def test_send_reports_a_bad_url_as_a_permanent_failure_naming_the_contact(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "hunter2")
    url = "mailtos://bot:${SMTP_PASSWORD}@smtp.example.vn?to=a@example.vn&pgp=encrypt"
    result = send(url, NOTICE)
    assert not result.ok and result.permanent
    assert result.error is not None and "${SMTP_PASSWORD}" in result.error
    assert "hunter2" not in result.error and "PGP" in result.error


# --- email over a real STARTTLS relay ----------------------------------------------------


def test_a_notice_arrives_over_starttls_with_text_and_html_alternatives(
    tls_relay: tuple[int, Relay], tmp_path: Path
) -> None:
    port, relay = tls_relay
    calendar = tmp_path / "lịch đơn vị.ics"
    calendar.write_text("BEGIN:VCALENDAR\r\nX-WR-CALNAME:Đợt thi đua\r\nEND:VCALENDAR\r\n")
    notice = Message(NOTICE.subject, NOTICE.text, NOTICE.html, attachments=[calendar])
    assert send(tls_url(port, "xa-mot@example.vn"), notice).ok
    [(rcpt, raw)] = relay.messages
    assert rcpt == ["xa-mot@example.vn"]
    mail = parsed(raw)
    assert str(mail["Subject"]) == NOTICE.subject
    assert mail.get_body(preferencelist=("plain",)).get_content() == NOTICE.text
    assert mail.get_body(preferencelist=("html",)).get_content() == NOTICE.html
    [part] = mail.iter_attachments()
    assert part.get_filename() == "lịch đơn vị.ics"
    assert (part.get_content_type(), part.get_content_charset()) == ("text/calendar", "utf-8")
    assert "Đợt thi đua" in part.get_content()
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert raw.isascii()  # 7-bit: a relay without 8BITMIME gets it unchanged


def test_a_batch_reuses_one_tls_connection_per_worker_thread(tls_relay: tuple[int, Relay]) -> None:
    port, relay = tls_relay
    threads = 3
    seen: set[int] = set()

    def one(i: int) -> bool:
        seen.add(threading.get_ident())
        return send(tls_url(port, f"xa{i}@example.vn"), NOTICE, pool=pool).ok

    with SMTPPool() as pool, ThreadPoolExecutor(threads) as workers:
        assert all(workers.map(one, range(30)))
    assert sorted(r[0] for r, _ in relay.messages) == sorted(f"xa{i}@example.vn" for i in range(30))
    # One TLS session per worker thread, each ended with QUIT when the batch closed.
    assert len(relay.connections) == len(seen) <= threads
    assert relay.quits == len(seen)


def test_a_connection_the_relay_dropped_is_reopened_and_each_message_sent_once(
    tls_relay: tuple[int, Relay],
) -> None:
    port, relay = tls_relay
    relay.drop_after_data = True  # the relay closes every connection after one message
    calls = []

    def before_data() -> bool:
        calls.append(1)
        return True

    with SMTPPool() as pool:
        for i in range(4):
            result = send(
                tls_url(port, f"xa{i}@example.vn"), NOTICE, pool=pool, before_data=before_data
            )
            assert result.ok, result.error
    assert [rcpt for rcpt, _ in relay.messages] == [[f"xa{i}@example.vn"] for i in range(4)]
    assert len(relay.connections) == 4
    assert len(calls) == 4  # the durable "sending" mark: once per message, retry or not


def test_a_refused_hook_sends_nothing_and_keeps_the_connection(
    tls_relay: tuple[int, Relay],
) -> None:
    port, relay = tls_relay
    with SMTPPool() as pool:
        lost = send(tls_url(port, "xa0@example.vn"), NOTICE, pool=pool, before_data=lambda: False)
        sent = send(tls_url(port, "xa1@example.vn"), NOTICE, pool=pool)
    assert lost.claim_lost and not lost.ok
    assert sent.ok and [rcpt for rcpt, _ in relay.messages] == [["xa1@example.vn"]]
    assert len(relay.connections) == 1


def test_several_recipients_fail_permanently_only_if_every_failure_is_permanent(
    tls_relay: tuple[int, Relay],
) -> None:
    port, relay = tls_relay
    relay.refuse = {"sai@example.vn"}
    relay.defer = {"ban@example.vn"}
    both = f"mailtos://127.0.0.1:{port}/sai@example.vn/ban@example.vn?from=btdkt@example.vn"
    result = send(both + "&mode=starttls", NOTICE)
    assert not result.ok and not result.permanent  # the busy one may succeed on a retry
    assert result.error is not None and "451" in result.error
    refused = send(tls_url(port, "sai@example.vn"), NOTICE)
    assert not refused.ok and refused.permanent and "550" in (refused.error or "")
    assert relay.messages == []


def test_apprise_notify_reaches_the_relay_through_our_plugin(tls_relay: tuple[int, Relay]) -> None:
    """Apprise's own entry point (`notify`) sends with the same transport."""
    port, relay = tls_relay
    sender = apprise.Apprise()
    assert sender.add(tls_url(port, "xa-mot@example.vn"))
    assert sender.notify(title=NOTICE.subject, body=NOTICE.html, body_format="html")
    [(_, raw)] = relay.messages
    mail = parsed(raw)
    assert str(mail["Subject"]) == NOTICE.subject
    assert mail.get_body(preferencelist=("html",)).get_content() == NOTICE.html
    assert "UBND xã Một" in mail.get_body(preferencelist=("plain",)).get_content()


# --- the outbox --------------------------------------------------------------------------


def test_the_outbox_takes_the_html_and_context_through_the_call() -> None:
    """`deliver` carries the whole notice; nothing waits in the process between calls."""
    result = send("outbox://xa-mot", NOTICE, context={"unit": "XA-1", "action": "launch/-/launch"})
    assert result.ok, result.error
    [eml] = (get_settings().outbox_dir / "xa-mot").glob("*.eml")
    mail = parsed(eml.read_bytes())
    assert (mail["X-Thidua-Unit"], mail["X-Thidua-Action"]) == ("XA-1", "launch/-/launch")
    assert mail.get_body(preferencelist=("html",)).get_content() == NOTICE.html
    assert mail.get_body(preferencelist=("plain",)).get_content() == NOTICE.text


def test_a_contact_s_channel_is_built_once_and_each_message_keeps_its_own_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from thidua.notifications import send as sending

    built: list[str] = []

    def counting(url: str) -> object:
        built.append(url)
        return load(url)

    monkeypatch.setattr(sending, "load", counting)
    for unit in ("XA-1", "XA-2"):
        assert send("outbox://xa-chung", NOTICE, context={"unit": unit}).ok
    assert not send("outbox://Không-hợp-lệ", NOTICE).ok  # refused each time, never kept
    assert not send("outbox://Không-hợp-lệ", NOTICE).ok
    assert built == ["outbox://xa-chung", "outbox://Không-hợp-lệ", "outbox://Không-hợp-lệ"]
    units = sorted(
        parsed(eml.read_bytes())["X-Thidua-Unit"]
        for eml in (get_settings().outbox_dir / "xa-chung").glob("*.eml")
    )
    assert units == ["XA-1", "XA-2"]


def test_the_outbox_through_apprise_notify_keeps_the_url_context() -> None:
    sender = apprise.Apprise()
    assert sender.add("outbox://so-a?unit=SO-A&campaign=12/KH-TEST")
    assert sender.notify(title="Thông báo", body="Kính gửi: Sở A")
    [eml] = (get_settings().outbox_dir / "so-a").glob("*.eml")
    mail = parsed(eml.read_bytes())
    assert (mail["X-Thidua-Unit"], mail["X-Thidua-Campaign"]) == ("SO-A", "12/KH-TEST")
    assert str(mail["Subject"]) == "Thông báo"


def test_concurrent_outbox_rows_are_committed_together_each_before_its_send_returns() -> None:
    """Sender threads share commits (one flush to disk for several rows), and each row is in
    the store when its `send` returns: the delivery's "sent" never precedes its outbox row."""
    from sqlalchemy import event

    from thidua.store import outbox_rows
    from thidua.store.db import get_engine, session_scope

    engine = get_engine()
    writer_commits: list[str] = []

    def count(_connection: object) -> None:
        if threading.current_thread().name == "thidua-recorder":
            writer_commits.append("commit")

    def one(i: int) -> bool:
        assert send(f"outbox://dv-{i}", NOTICE, context={"unit": f"DV-{i}"}).ok
        with session_scope() as session:
            return len(outbox_rows.outbox_messages(session, mailbox=f"dv-{i}")) == 1

    event.listen(engine, "commit", count)
    try:
        with ThreadPoolExecutor(8) as pool:
            found = list(pool.map(one, range(64)))
    finally:
        event.remove(engine, "commit", count)
    assert found == [True] * 64
    assert 0 < len(writer_commits) < 64
    for i in range(64):
        assert len(list((get_settings().outbox_dir / f"dv-{i}").glob("*.eml"))) == 1


# --- the message builder -----------------------------------------------------------------


@pytest.mark.parametrize("bad", ["a\r\nBcc: spy@evil.example", "a\nX: 1", "a\x00"])
def test_no_header_value_can_carry_a_line_break(bad: str) -> None:
    with pytest.raises(ValueError):
        mime.build(NOTICE, sender=mime.address("b@example.vn"), to=[mime.address("a@example.vn")],
                   headers={"X-Thidua": bad}, domain="example.vn")  # fmt: skip
    with pytest.raises(ValueError):
        mime.address("a@example.vn", bad)


def test_attached_files_are_read_once_while_unchanged_and_again_once_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "lich.ics"
    content = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    shared.write_bytes(content)
    link = tmp_path / "don-vi-2.ics"
    link.hardlink_to(shared)  # every unit's calendar is a link to one file
    reads: list[str] = []
    original = Path.read_bytes

    def counting(path: Path) -> bytes:
        reads.append(path.name)
        return original(path)

    monkeypatch.setattr(Path, "read_bytes", counting)
    assert mime.read_files([shared]) == [("lich.ics", content, None)]
    assert mime.read_files([link]) == [("don-vi-2.ics", content, None)]
    assert reads == ["lich.ics"]  # one read for both names of the file

    shared.write_bytes(b"BEGIN:VCALENDAR\r\nX-NEW:1\r\nEND:VCALENDAR\r\n")  # a new version
    assert mime.read_files([link])[0][1] == b"BEGIN:VCALENDAR\r\nX-NEW:1\r\nEND:VCALENDAR\r\n"
    with pytest.raises(OSError):
        mime.read_files([tmp_path / "gone.ics"])
