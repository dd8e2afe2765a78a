"""The portal in the product's flow: every notice carries the unit's link (text and HTML),
`thidua portal link / rotate / user add`, the real acknowledgements (exactly once through
the unit's contacts), and the portal server `thidua serve` runs beside the worker."""

from __future__ import annotations

import email
import email.policy
import io
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from thidua.flows.portal_command import PortalPortBusy, PortalServer, bind_portal, portal_beside
from thidua.notifications.acknowledge import Acknowledgements
from thidua.notifications.render import PORTAL_LABEL, portal_line, render, render_html
from thidua.tasks.actions import ActionContext, Audience, render_messages

from thidua.campaign.loading import load_campaign
from thidua.campaign.plan import compile_plan
from thidua.cli.main import main
from thidua.config import get_settings
from thidua.portal import accounts, links
from thidua.store.db import session_scope
from thidua.store.models import Delivery, PortalLink, StaffUser

from .portal_fixtures import Portal
from .serving import ROOT, THIDUA, clean_env, free_port
from .smtp_peer import Inbox

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")

SEED = "ubnd_2023_75_nam_thi_dua_ai_quoc.py"
OPEN = "ho-so-bang-khen/-/open"


def _context(campaigns: Path, key: str = OPEN) -> ActionContext:
    loaded = load_campaign(campaigns / SEED)
    plan = compile_plan(loaded.spec, loaded.registry)
    action = next(a for a in plan.actions if a.key == key)
    return ActionContext(loaded, plan, action)


def _url(unit: str) -> str:
    with session_scope() as session:
        return links.unit_url(session, unit_code=unit)


def _resolve(url: str) -> links.ResolvedLink | str:
    token = url.rsplit("/", 1)[1]
    with session_scope() as session:
        return links.resolve(session, token)


# --- notices carry the link ---------------------------------------------------------------


def test_every_rendered_notice_carries_its_own_units_link(portal: Portal) -> None:
    ctx = _context(portal.campaigns)
    recipients = list(ctx.action.recipients)
    assert len(recipients) > 3
    messages = render_messages.fn(ctx, Audience(recipients), ctx.action.at)
    # Issued and committed by the render task, before anything is sent.
    with session_scope() as session:
        issued = {row.unit_code for row in session.exec(select(PortalLink))}
    assert issued == set(recipients)
    seen = set()
    for code, message in messages.items():
        url = _url(code)  # the link in force, as printed by `thidua portal link`
        assert url.startswith(get_settings().portal_base_url + "/u/")
        assert message.text.count(url) == 1
        assert f"\n{PORTAL_LABEL}: {url}\n" in message.text
        # Before the signature and the footer.
        assert message.text.index(url) < message.text.index("\n--\n")
        assert f'<a href="{url}">{url}</a>' in message.html
        resolved = _resolve(url)
        assert isinstance(resolved, links.ResolvedLink) and resolved.unit_code == code
        seen.add(url)
    assert len(seen) == len(recipients)  # each unit its own link


def test_after_rotate_the_next_notice_carries_the_new_link(
    portal: Portal, capsys: pytest.CaptureFixture[str]
) -> None:
    ctx = _context(portal.campaigns)
    unit = ctx.action.recipients[0]
    before = render_messages.fn(ctx, Audience([unit]), ctx.action.at)[unit]
    old = _url(unit)
    assert old in before.text

    assert main(["portal", "rotate", unit]) == 0
    out = capsys.readouterr().out
    new = out.strip().splitlines()[-1]
    assert new != old and new.startswith(get_settings().portal_base_url + "/u/")
    assert "Đã thu hồi đường liên kết cũ" in out

    after = render_messages.fn(ctx, Audience([unit]), ctx.action.at)[unit]
    assert new in after.text and old not in after.text and old not in after.html
    assert _resolve(old) == links.LinkState.REVOKED
    opened = _resolve(new)
    assert isinstance(opened, links.ResolvedLink) and opened.unit_code == unit


def test_only_the_products_link_is_made_clickable_and_names_stay_escaped(
    campaigns: Path,
) -> None:
    loaded = load_campaign(campaigns / SEED)
    plan = compile_plan(loaded.spec, loaded.registry)
    action = next(a for a in plan.actions if a.key == OPEN)
    unit = loaded.registry.unit(action.recipients[0]).model_copy(
        update={"name": '<b>Sở</b> "x": https://evil.example/u/abc'}
    )
    link = "https://cong-thi-dua.example/u/lien-ket-mau?a=1&b=2"
    message = render(
        action,
        campaign=loaded.spec,
        unit=unit,
        organizer=loaded.registry.unit(loaded.spec.organizer),
        now=action.at,
        portal_link=link,
    )
    html = message.html or ""
    assert html.count("<a href=") == 1
    assert '<a href="https://cong-thi-dua.example/u/lien-ket-mau?a=1&amp;b=2">' in html
    assert "evil.example" in html and 'href="https://evil' not in html
    assert "&lt;b&gt;Sở&lt;/b&gt;" in html and "<b>Sở</b>" not in html
    # A URL the product did not put there is never linked, even on a line of its own.
    assert "<a " not in render_html(f"Kính gửi: A\n\nXem: {link}\n", "T")
    # Nor a scheme that is not http(s).
    bad = "javascript:alert(1)"
    assert "<a " not in render_html(f"Kính gửi: A\n\n{portal_line(bad)}\n", "T", link=bad)


def test_a_campaigns_own_template_gets_the_link_before_its_footer(campaigns: Path) -> None:
    loaded = load_campaign(campaigns / SEED)
    plan = compile_plan(loaded.spec, loaded.registry)
    action = next(a for a in plan.actions if a.key == OPEN)
    own = campaigns / "templates"
    own.mkdir()
    (own / f"{action.template}.txt.j2").write_text(
        "Kính gửi: {{ unit.name }}\n\nThư riêng.\n--\nChân thư.", encoding="utf-8"
    )
    link = "https://cong-thi-dua.example/u/lien-ket-mau"
    message = render(
        action,
        campaign=loaded.spec,
        unit=loaded.registry.unit(action.recipients[0]),
        organizer=loaded.registry.unit(loaded.spec.organizer),
        now=action.at,
        template_dir=own,
        portal_link=link,
    )
    assert message.text.endswith(f"Thư riêng.\n\n{portal_line(link)}\n--\nChân thư.\n")
    assert f'<a href="{link}">' in (message.html or "")


# --- thidua portal link / rotate ----------------------------------------------------------


def test_portal_link_prints_the_same_link_until_rotated(
    portal: Portal, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["portal", "link", "SYT"]) == 0
    first = capsys.readouterr().out.strip()
    assert main(["portal", "link", "SYT"]) == 0
    assert capsys.readouterr().out.strip() == first == _url("SYT")
    assert first == get_settings().portal_base_url + links.unit_path(portal.token("SYT"))


@pytest.mark.parametrize("verb", ["link", "rotate"])
def test_an_unknown_unit_is_refused_with_a_suggestion_and_nothing_written(
    portal: Portal, capsys: pytest.CaptureFixture[str], verb: str
) -> None:
    assert main(["portal", verb, "SYTT"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "mã đơn vị “SYTT” không có trong danh sách đơn vị" in err
    assert "có phải ý là “SYT”?" in err and "không có gì được ghi" in err
    assert main(["portal", verb, "KHONG-CO"]) == 2
    err = capsys.readouterr().err
    assert "“KHONG-CO”" in err and "có phải ý là" not in err
    with session_scope() as session:
        assert session.exec(select(PortalLink)).all() == []


def test_portal_commands_need_their_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["portal", "link"])
    assert exc.value.code == 2
    assert "thiếu tham số bắt buộc: MÃ-ĐƠN-VỊ" in capsys.readouterr().err


# --- thidua portal user add ---------------------------------------------------------------


class _Stdin(io.StringIO):
    def __init__(self, text: str, *, tty: bool = False) -> None:
        super().__init__(text)
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def _user(name: str) -> StaffUser | None:
    with session_scope() as session:
        return session.exec(select(StaffUser).where(StaffUser.username == name)).first()


def test_user_add_reads_the_password_from_stdin_and_keeps_only_its_hash(
    portal: Portal, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    password = "mật-khẩu-đủ-dài-2026"
    monkeypatch.setattr(sys, "stdin", _Stdin(password + "\n"))
    code = main(
        [
            "portal",
            "user",
            "add",
            "nguyenvana",
            "--ten-hien-thi",
            "Nguyễn Văn A",
            "--mat-khau-stdin",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "Đã tạo tài khoản “nguyenvana” (Nguyễn Văn A)" in out and "/ban/dang-nhap" in out
    user = _user("nguyenvana")
    assert user is not None and user.display_name == "Nguyễn Văn A"
    assert user.password_hash.startswith("scrypt$") and password not in user.password_hash
    with session_scope() as session:
        assert accounts.authenticate(session, username="nguyenvana", password=password)
        assert not accounts.authenticate(session, username="nguyenvana", password="sai-mat-khau!")
    # The same name again: refused, the first account unchanged.
    monkeypatch.setattr(sys, "stdin", _Stdin("mot-mat-khau-khac-hẳn\n"))
    assert main(["portal", "user", "add", "nguyenvana"]) == 1
    assert "tài khoản “nguyenvana” đã có; chưa tạo tài khoản" in capsys.readouterr().err
    assert _user("nguyenvana").password_hash == user.password_hash  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("name", "password", "said"),
    [
        ("canbo1", "ngan", "mật khẩu quá ngắn: cần ít nhất 10 ký tự"),
        ("cán bộ", "mat-khau-du-dai", "tên đăng nhập “cán bộ” không hợp lệ"),
    ],
)
def test_user_add_refuses_bad_input_in_vietnamese(
    portal: Portal,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    password: str,
    said: str,
) -> None:
    monkeypatch.setattr(sys, "stdin", _Stdin(password + "\n"))
    assert main(["portal", "user", "add", name]) == 1
    assert said in capsys.readouterr().err
    with session_scope() as session:
        assert session.exec(select(StaffUser)).all() == []


def test_user_add_at_a_terminal_asks_twice_and_refuses_a_mismatch(
    portal: Portal, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import getpass

    typed = iter(["mat-khau-lan-mot", "mat-khau-lan-hai"])
    prompts: list[str] = []

    def terminal(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(typed)

    monkeypatch.setattr(sys, "stdin", _Stdin("", tty=True))
    monkeypatch.setattr(getpass, "getpass", terminal)
    assert main(["portal", "user", "add", "canbo"]) == 1
    assert prompts == ["Mật khẩu: ", "Nhập lại mật khẩu: "]
    assert "hai lần nhập mật khẩu không khớp nhau" in capsys.readouterr().err
    assert _user("canbo") is None

    typed = iter(["mat-khau-giong-nhau", "mat-khau-giong-nhau"])
    assert main(["portal", "user", "add", "canbo"]) == 0
    assert _user("canbo") is not None


# --- the acknowledgements -----------------------------------------------------------------


def _acknowledge(acks: Acknowledgements, key: str, url: str) -> None:
    acks(
        unit_code="SO-A",
        campaign_code="7/KH-SOLIEU",
        key=key,
        subject="Giấy báo tiếp nhận số 2024/000001",
        text=(
            "Kính gửi: Sở A\n\nBan Thi đua - Khen thưởng đã tiếp nhận báo cáo của đơn vị.\n\n"
            f"Đơn vị xem lại những gì đã nộp và các việc còn phải nộp tại: {url}\n"
            "--\nĐây là giấy báo tiếp nhận do hệ thống theo dõi phong trào thi đua gửi tự động."
        ),
    )


def test_an_acknowledgement_reaches_the_units_contacts_once(portal: Portal) -> None:
    acks = Acknowledgements(portal.settings)
    url = _url("SO-A")
    try:
        for _ in range(2):  # a retried request: the same receipt acknowledged twice
            _acknowledge(acks, "tiep-nhan/2024/000001", url)
        assert acks.drain(timeout=30)
        files = sorted((get_settings().outbox_dir / "so-a").glob("*.eml"))
        assert len(files) == 1  # the registry's contact of SO-A: outbox://so-a
        mail = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
        assert str(mail["Subject"]) == "Giấy báo tiếp nhận số 2024/000001"
        html = mail.get_body(("html",)).get_content()
        assert f'<a href="{url}">{url}</a>' in html
        with session_scope() as session:
            rows = session.exec(select(Delivery)).all()
        assert [
            (r.campaign_code, r.action_key, r.occurrence, r.unit_code, r.status) for r in rows
        ] == [("7/KH-SOLIEU", "tiep-nhan/2024/000001", "", "SO-A", "sent")]
        _acknowledge(acks, "tiep-nhan/2024/000002", url)  # another receipt: its own message
        assert acks.drain(timeout=30)
        assert len(list((get_settings().outbox_dir / "so-a").glob("*.eml"))) == 2
    finally:
        acks.close()


def test_an_acknowledgement_over_real_smtp_arrives_once(
    portal: Portal,
    smtp_server: tuple[int, Inbox, list[str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, inbox, _ = smtp_server
    monkeypatch.setenv("SMTP_PASSWORD", "m@t/kh&u")
    contact = (
        f"mailto://btdkt:${{SMTP_PASSWORD}}@127.0.0.1:{port}"
        "?to=so-a@example.vn&from=btdkt@example.vn&mode=insecure"
    )
    asked: list[tuple[str, str]] = []

    def contacts(campaign: str, unit: str) -> list[str]:
        asked.append((campaign, unit))
        return [contact]

    acks = Acknowledgements(portal.settings, contacts=contacts)
    try:
        _acknowledge(acks, "tiep-nhan/2024/000009", _url("SO-A"))
        _acknowledge(acks, "tiep-nhan/2024/000009", _url("SO-A"))
        assert acks.drain(timeout=30)
    finally:
        acks.close()
    assert asked == [("7/KH-SOLIEU", "SO-A")] * 2
    assert len(inbox.messages) == 1
    rcpts, raw = inbox.messages[0]
    assert rcpts == ["so-a@example.vn"]
    mail = email.message_from_bytes(raw, policy=email.policy.default)
    assert "Sở A" in mail.get_body(("plain",)).get_content()


def test_a_unit_without_contacts_is_acknowledged_to_nobody_without_error(portal: Portal) -> None:
    acks = Acknowledgements(portal.settings, contacts=lambda campaign, unit: [])
    try:
        outcomes = acks.send_now(
            unit_code="SO-A", campaign_code="7/KH-SOLIEU", key="tiep-nhan/x", subject="S", text="T"
        )
    finally:
        acks.close()
    assert list(outcomes) == []


# --- the server ---------------------------------------------------------------------------


def test_the_portal_server_answers_and_a_taken_port_is_said_in_vietnamese(
    portal: Portal,
) -> None:
    settings = portal.settings.with_(portal_port=free_port())
    with PortalServer(settings) as server:
        with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as resp:
            assert resp.read() == b"ok"
        with pytest.raises(PortalPortBusy) as exc:
            bind_portal(settings)
        assert f"127.0.0.1:{settings.portal_port}" in str(exc.value)
        assert "đang được một chương trình khác sử dụng" in str(exc.value)
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", settings.portal_port), 1):
        pass  # stopped with the block


def test_serve_goes_on_without_the_portal_when_its_port_is_taken(
    portal: Portal, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = portal.settings.with_(portal_port=free_port())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", settings.portal_port))
        taken.listen()
        with portal_beside(settings) as url:
            assert url is None
    out = capsys.readouterr().out
    assert (
        f"cảnh báo: không mở được cổng thi đua của đơn vị tại 127.0.0.1:{settings.portal_port}"
        in out
    )
    assert "THIDUA_PORTAL_PORT" in out and "vẫn chạy tiếp" in out


def test_portal_serve_runs_alone_until_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(THIDUA_DATA_DIR=str(tmp_path / "data"), THIDUA_PORTAL_PORT=str(port))
    process = subprocess.Popen(
        [THIDUA, "portal", "serve"], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.read() == b"ok"
                    break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert f"Cổng thi đua của đơn vị: http://127.0.0.1:{port}" in out
    assert "Đã dừng cổng thi đua của đơn vị." in out


def test_a_big_audiences_links_are_issued_a_chunk_at_a_time_each_before_its_notice_is_sent(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from thidua.notifications.send import channel_id

    from thidua.delivery import engine

    monkeypatch.setattr(links, "LINK_CHUNK", 2)
    ctx = _context(portal.campaigns)
    recipients = list(ctx.action.recipients)
    assert len(recipients) > 4
    messages = render_messages.fn(ctx, Audience(recipients), ctx.action.at)
    # The first notice is rendered by the task (a broken template fails it): its chunk only.
    with session_scope() as session:
        issued = {row.unit_code for row in session.exec(select(PortalLink))}
    assert issued == set(recipients[:2])

    seen: dict[str, str] = {}

    @dataclass
    class Sent:
        ok: bool = True
        permanent: bool = False
        error: str | None = None
        uncertain: bool = False
        claim_lost: bool = False

    def sink(url: str, message: Any, *, context: dict[str, Any], before_data: Any) -> Sent:
        # What this notice carries opens the unit's page now, from another connection.
        link = message.text.split(f"{PORTAL_LABEL}: ", 1)[1].split("\n", 1)[0]
        resolved = _resolve(link)
        assert isinstance(resolved, links.ResolvedLink) and resolved.unit_code == context["unit"]
        seen[context["unit"]] = link
        assert before_data()
        return Sent()

    jobs = engine.jobs_for(messages, lambda code: ["outbox://x"], channel_id)
    scope = engine.Scope(ctx.code, ctx.action.key, ctx.action.occurrence, 0)
    outcomes = engine.deliver(scope, jobs, sink=sink, threads=2, lease=timedelta(minutes=5))
    assert sorted(o.unit for o in outcomes) == sorted(recipients)
    assert seen == {code: _url(code) for code in recipients}  # each unit its link in force
