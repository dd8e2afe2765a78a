"""The portal as people use it, in headless Chromium (Debian's, over the DevTools protocol).

A xã office opens the link in the notice it received (a real .eml from the outbox
channel), hands in its report as a PDF and reads the receipt; the next reminder then
leaves it out. It nominates a collective with one file per dossier document; the Ban
signs in, returns the dossier with a reason; the unit sees the reason on its page,
corrects and resubmits; the Ban accepts. Screenshots of the unit's page and the Ban's
board go to `tests/output/portal/` (the README shows them).
"""

from __future__ import annotations

import email
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from thidua.notifications.acknowledge import Acknowledgements
from thidua.tasks.actions import audience_of, deliver, load_action, render_messages

from thidua.campaign.loading import load_campaign
from thidua.campaign.plan import compile_plan
from thidua.config import get_settings, set_settings
from thidua.ledger.statuses import NominationStatus
from thidua.portal import accounts
from thidua.portal.app import create_app
from thidua.store.db import session_scope
from thidua.store.models import Nomination

from .browser import Browser, chromium_path
from .portal_fixtures import Portal
from .serving import free_port
from .submission_fixtures import write_docx, write_pdf

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "tests" / "output" / "portal"
CAMPAIGN = "ubnd_2023_75_nam_thi_dua_ai_quoc.py"
#: Monday 03/07/2023, 08:00 in Hà Nội: the nomination window opens, its notice goes out.
OPENING = datetime(2023, 7, 3, 1, 0, tzinfo=UTC)
UNIT = "SYT"


class LivePortal:
    """The portal over real HTTP on a free port, with real acknowledgements (outbox)."""

    def __init__(self, bed: Portal) -> None:
        self.bed = bed
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        # Links in notices must point here: the public base URL is this server's.
        self.settings = bed.settings.with_(portal_url=self.url, portal_port=port)
        set_settings(self.settings)
        self.acks = Acknowledgements(self.settings)
        app = create_app(self.settings, now=lambda: bed.now, acknowledge=self.acks)
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LivePortal:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "the portal did not start in 20 s"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.acks.close()


@pytest.fixture
def browser() -> Iterator[Browser]:
    chromium_path()  # fails with the install hint when Chromium is missing
    with Browser(width=1280, height=900, timezone="Asia/Ho_Chi_Minh") as b:
        yield b


def _send_notice(bed: Portal, kind: str, milestone: str) -> Any:
    """Run the plan's `kind` notice of `milestone` through the action's own tasks (no
    Prefect engine): audience, render, claim and send to the outbox."""
    file = str(bed.campaigns / CAMPAIGN)
    loaded = load_campaign(Path(file))
    plan = compile_plan(loaded.spec, loaded.registry, notice_time=get_settings().notice_time)
    action = next(a for a in plan.actions if a.kind.value == kind and a.milestone == milestone)
    ctx = load_action.fn(file, action.key)
    assert ctx is not None
    audience = audience_of(ctx)
    if UNIT in audience.recipients:
        deliver.fn(ctx, render_messages.fn(ctx, audience, bed.now))
    return audience


def _emls(settings: Any, mailbox: str) -> list[email.message.EmailMessage]:
    folder = settings.outbox_dir / mailbox
    return [
        email.message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for p in sorted(folder.glob("*.eml"))
    ]


def _text(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def _nominations() -> list[Nomination]:
    from sqlmodel import select

    with session_scope() as session:
        rows = list(session.exec(select(Nomination)))
        for row in rows:
            session.expunge(row)
    return rows


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_unit_answers_from_its_notice_and_the_ban_reviews(
    portal: Portal, browser: Browser, tmp_path: Path
) -> None:
    portal.at(OPENING)
    with session_scope() as session:
        accounts.add_user(
            session, username="lan.nt", password="mat-khau-cua-ban", display_name="Nguyễn Thị Lan"
        )
    with LivePortal(portal) as live:
        # 1. The notice that opens the nomination window reaches the unit's outbox.
        _send_notice(portal, "open", "ho-so-bang-khen")
        notices = _emls(live.settings, "syt")
        assert len(notices) == 1, [str(m["Subject"]) for m in notices]
        found = re.search(rf"{re.escape(live.url)}/u/[A-Za-z0-9_-]{{43}}", _text(notices[0]))
        assert found, _text(notices[0])
        link = found.group(0)
        html = notices[0].get_body(preferencelist=("html",))
        assert html is not None and f'href="{link}"' in str(html.get_content())

        # 2. The unit opens its link: what it owes, by deadline, with weekdays.
        page = browser.load(link, wait_for="Các việc đơn vị phải nộp")
        assert page.found, page.excerpt()
        assert page.has("Sở Y tế") and page.has("thứ Hai, 10/07/2023")
        assert page.has("Báo cáo kết quả đợt thi đua (theo đề cương)")
        browser.set_viewport(390, 844)
        browser.screenshot(SHOTS / "unit-phone.png", full_page=True)
        browser.set_viewport(1280, 900)

        # 3. It hands in its report as a PDF and reads the receipt.
        browser.click('a[href*="/nop/"]')
        assert "Nộp báo cáo" in browser.text()
        report = write_pdf(tmp_path / "Báo cáo kết quả thi đua.pdf", "Báo cáo của Sở Y tế")
        browser.set_files("#files", [report])
        browser.click('form[method="post"] button[type="submit"]')
        receipt = browser.text()
        assert "Biên nhận" in receipt and "Số tiếp nhận: 2023/" in receipt, receipt[:1500]
        number = re.search(r"Số tiếp nhận: (\d{4}/\d{6})", receipt)
        assert number

        # 4. The next reminder of that report leaves the unit out.
        portal.at(datetime(2023, 7, 5, 1, 0, tzinfo=UTC))
        reminder = _send_notice(portal, "reminder", "bao-cao-ket-qua")
        assert UNIT not in reminder.recipients and UNIT not in reminder.missing
        assert reminder.recipients  # the others still get it
        portal.at(OPENING)

        # 5. It nominates a collective, one file per dossier document.
        browser.load(link, wait_for="Các việc đơn vị phải nộp")
        browser.click('a[href*="/de-nghi/"]')
        if browser.evaluate("!!document.querySelector('#chon-hinh-thuc')"):
            browser.click('form[method="get"] button[type="submit"]')
        browser.fill("#ten", "Phòng Nghiệp vụ Y, Sở Y tế")
        browser.fill("#thanh-tich", "Hoàn thành xuất sắc nhiệm vụ năm 2022 và 6 tháng đầu năm 2023")
        inputs = browser.evaluate(
            "[...document.querySelectorAll('input[type=file]')].map(e => e.id)"
        )
        assert inputs, browser.text()[:1500]
        for i, field in enumerate(inputs, 1):
            browser.set_files(f"#{field}", [write_docx(tmp_path / f"tai-lieu-{i}.docx")])
        browser.click('form[method="post"] button[type="submit"]')
        assert "Số tiếp nhận" in browser.text(), browser.text()[:2000]
        (nomination,) = _nominations()

        # 6. The Ban signs in and returns the dossier with a reason.
        browser.load(f"{live.url}/ban/dang-nhap", wait_for="Đăng nhập")
        browser.fill("#ten", "lan.nt")
        browser.fill("#mat_khau", "mat-khau-cua-ban")
        browser.click('form[method="post"] button[type="submit"]')
        board = browser.load(f"{live.url}/ban/75nam-tdaq-kh-ubnd", wait_for="Sở Y tế")
        assert board.found, board.excerpt()
        browser.evaluate("document.querySelector('table').scrollIntoView()")
        browser.screenshot(SHOTS / "ban-board.png")
        browser.load(f"{live.url}/ban/75nam-tdaq-kh-ubnd/de-nghi/{nomination.id}")
        browser.fill("#ly_do", "Thiếu chữ ký của thủ trưởng đơn vị trên tờ trình")
        returned = str(NominationStatus.RETURNED.value)
        browser.click(f'form:has(input[name="den"][value="{returned}"]) button[type="submit"]')
        assert _nominations()[0].status is NominationStatus.RETURNED

        # 7. The unit sees the reason on its page, corrects and resubmits.
        page = browser.load(link, wait_for="bị trả lại")
        assert page.has("Thiếu chữ ký của thủ trưởng đơn vị trên tờ trình"), page.excerpt()
        browser.screenshot(SHOTS / "unit.png", full_page=True)
        browser.click('a[href*="/de-nghi/sua/"]')
        first = browser.evaluate("document.querySelector('input[type=file]').id")
        browser.set_files(f"#{first}", [write_docx(tmp_path / "to-trinh-co-chu-ky.docx")])
        browser.click('form[method="post"] button[type="submit"]')
        assert "Số tiếp nhận" in browser.text(), browser.text()[:2000]
        assert _nominations()[0].status is NominationStatus.RESUBMITTED

        # 8. The Ban accepts it; the unit's page says so.
        browser.load(f"{live.url}/ban/75nam-tdaq-kh-ubnd/de-nghi/{nomination.id}")
        accepted = str(NominationStatus.ACCEPTED.value)
        browser.click(f'form:has(input[name="den"][value="{accepted}"]) button[type="submit"]')
        assert _nominations()[0].status is NominationStatus.ACCEPTED
        page = browser.load(link, wait_for=NominationStatus.ACCEPTED.label)
        assert page.found, page.excerpt()
        assert not browser.page_errors()

    # Each receipt was acknowledged once through the unit's contacts (the outbox here).
    acks = [m for m in _emls(live.settings, "syt") if "tiếp nhận" in str(m["Subject"])]
    assert len(acks) == 3, [str(m["Subject"]) for m in acks]
    assert any(number.group(1) in str(m["Subject"]) for m in acks)
