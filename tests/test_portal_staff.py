"""The Ban's pages: sign-in, the board with its filters, a unit's submissions and files,
the nomination review with its trail, the annex and the report downloads."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from docx import Document
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlmodel import select

from thidua.campaign.loading import LoadedCampaign, load_campaign
from thidua.ledger.files import FileBatch
from thidua.ledger.nominations import nominate
from thidua.ledger.review import move
from thidua.ledger.statuses import NominationStatus
from thidua.ledger.submissions import prepare, save
from thidua.portal import accounts, receipts
from thidua.portal.app import create_app
from thidua.portal.staff_pages import WRONG_LOGIN
from thidua.store.db import session_scope
from thidua.store.models import AuditEntry, Nomination, NominationEvent, Submission

from .nomination_helpers import HCM, dossier, request
from .portal_fixtures import Portal
from .submission_fixtures import write_pdf

SLUG = "75nam-tdaq-kh-ubnd"
CODE = "75NAM-TDAQ/KH-UBND"
USER, PASSWORD = "lan.nt", "mat-khau-dai-du"
#: After the 2023 plan's nomination window (03-04/7) and its report deadline (10/7).
AFTER = datetime(2023, 7, 20, 2, 0, tzinfo=UTC)


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def _login(portal: Portal, username: str = USER, password: str = PASSWORD) -> object:
    form = portal.client.get("/ban/dang-nhap")
    assert form.status_code == 200
    return portal.client.post(
        "/ban/dang-nhap",
        data={"csrf": _csrf(form.text), "ten": username, "mat_khau": password},
    )


def _audits(action: str) -> list[tuple[str, str, str]]:
    with session_scope() as session:
        rows = session.exec(select(AuditEntry).where(AuditEntry.action == action)).all()
        return [(r.actor, r.outcome, r.address) for r in rows]


@pytest.fixture
def staff(portal: Portal) -> Portal:
    """The portal with a staff account, signed in."""
    with session_scope() as session:
        accounts.add_user(session, username=USER, password=PASSWORD, display_name="Nguyễn Thị Lan")
    portal.at(AFTER)  # a session lasts 8 hours of the portal's clock
    answer = _login(portal)
    assert answer.status_code == 303  # type: ignore[attr-defined]
    return portal


def _seed() -> LoadedCampaign:
    return load_campaign(
        Path(__file__).parent.parent / "campaigns" / "ubnd_2023_75_nam_thi_dua_ai_quoc.py"
    )


def _submit(portal: Portal, tmp_path: Path, unit: str = "SYT") -> int:
    """SYT hands in its result report with a PDF through the ledger, on time, with a receipt."""
    portal.at(datetime(2023, 7, 6, 3, 0, tzinfo=UTC))
    pdf = tmp_path / "Báo cáo kết quả.pdf"
    write_pdf(pdf, "Bao cao")
    prepared = prepare(_seed(), unit=unit, milestone="bao-cao-ket-qua", files=[pdf], now=portal.now)
    batch = FileBatch()
    with session_scope() as session:
        saved = save(session, prepared, batch)
        assert saved.submission.id is not None
        receipts.issue(
            session,
            kind="submission",
            ref_id=saved.submission.id,
            campaign_code=CODE,
            unit_code=unit,
            at=portal.now,
        )
        number = saved.submission.id
    portal.at(AFTER)
    return number


def _nominate(tmp_path: Path) -> int:
    with session_scope() as session:
        made = nominate(session, _seed(), request(documents=dossier(tmp_path / "hs")), tz=HCM)
        assert made.id is not None
        return made.id


def _state(nomination_id: int) -> tuple[str, int]:
    with session_scope() as session:
        row = session.get(Nomination, nomination_id)
        assert row is not None
        events = session.exec(
            select(NominationEvent).where(NominationEvent.nomination_id == nomination_id)
        ).all()
        return str(row.status), len(events)


# --- signing in ------------------------------------------------------------------------


def test_login_wrong_password_and_unknown_user_answer_the_same_and_logout(portal: Portal) -> None:
    with session_scope() as session:
        accounts.add_user(session, username=USER, password=PASSWORD)
    wrong, unknown = _login(portal, password="sai-mat-khau-roi"), _login(portal, "khong-co")
    for answer in (wrong, unknown):
        assert answer.status_code == 400  # type: ignore[attr-defined]
        assert WRONG_LOGIN in answer.text  # type: ignore[attr-defined]
        assert "thidua_ban=" not in answer.headers.get("set-cookie", "")  # type: ignore[attr-defined]
    assert portal.client.get("/ban").status_code == 303
    ok = _login(portal)
    assert ok.status_code == 303 and ok.headers["location"] == "/ban"  # type: ignore[attr-defined]
    cookie = ok.headers["set-cookie"]  # type: ignore[attr-defined]
    assert "thidua_ban=" in cookie and "HttpOnly" in cookie and "Path=/ban" in cookie
    assert "samesite=strict" in cookie.lower() and "Secure" not in cookie  # http portal URL
    home = portal.client.get("/ban")
    assert home.status_code == 200 and CODE in home.text and "Đăng xuất" in home.text
    out = portal.client.post("/ban/dang-xuat", data={"csrf": _csrf(home.text)})
    assert out.status_code == 303 and out.headers["location"] == "/ban/dang-nhap"
    assert portal.client.get("/ban").status_code == 303
    logins = _audits("login")
    assert [(a, o) for a, o, _ in logins] == [
        ("anonymous", "refused"),
        ("anonymous", "refused"),
        (f"staff:{USER}", "ok"),
    ]
    assert all(address for _, _, address in logins)
    assert _audits("logout") == [(f"staff:{USER}", "ok", "testclient")]


def test_login_attempts_are_rate_limited(portal: Portal) -> None:
    portal.settings = replace(portal.settings, portal_rate_per_minute=3)
    with session_scope() as session:
        accounts.add_user(session, username=USER, password=PASSWORD)
    answers = [_login(portal, password=f"doan-sai-lan-{i}").status_code for i in range(3)]  # type: ignore[attr-defined]
    assert answers == [400, 400, 400]
    limited = _login(portal)  # even the right password waits
    assert limited.status_code == 429 and "Quá nhiều lần đăng nhập" in limited.text  # type: ignore[attr-defined]
    assert _audits("login")[-1][:2] == ("anonymous", "refused")
    portal.monotonic += 61
    assert _login(portal).status_code == 303  # type: ignore[attr-defined]


def test_the_https_portal_sets_a_secure_cookie(portal: Portal) -> None:
    portal.settings = replace(portal.settings, portal_url="https://thidua.example.vn")
    app = create_app(portal.settings, now=lambda: portal.now, monotonic=lambda: portal.monotonic)
    portal._client = TestClient(app, base_url="https://testserver", follow_redirects=False)
    with session_scope() as session:
        accounts.add_user(session, username=USER, password=PASSWORD)
    ok = _login(portal)
    assert ok.status_code == 303 and "Secure" in ok.headers["set-cookie"]  # type: ignore[attr-defined]
    assert portal.client.get("/ban").status_code == 200


def test_pages_without_a_session_go_to_the_login_page(portal: Portal) -> None:
    for path in (
        "/ban",
        f"/ban/{SLUG}",
        f"/ban/{SLUG}/don-vi/SYT",
        f"/ban/{SLUG}/de-nghi",
        f"/ban/{SLUG}/de-nghi/1",
        f"/ban/{SLUG}/tep/1/0",
        f"/ban/{SLUG}/phu-luc.xlsx",
        f"/ban/{SLUG}/bao-cao.docx",
    ):
        answer = portal.client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/ban/dang-nhap"
    forged = portal.client.post(f"/ban/{SLUG}/de-nghi/1", data={"den": "accepted"})
    assert forged.status_code == 303


def test_a_forged_login_form_is_refused_and_audited(portal: Portal) -> None:
    with session_scope() as session:
        accounts.add_user(session, username=USER, password=PASSWORD)
    portal.client.get("/ban/dang-nhap")
    answer = portal.client.post(
        "/ban/dang-nhap", data={"csrf": "gia.mao.x", "ten": USER, "mat_khau": PASSWORD}
    )
    assert answer.status_code == 403 and "Biểu mẫu không hợp lệ" in answer.text
    assert "thidua_ban=" not in answer.headers.get("set-cookie", "")
    assert _audits("login") == [("anonymous", "refused", "testclient")]


# --- the board -------------------------------------------------------------------------


def test_the_campaign_list_counts(staff: Portal, tmp_path: Path) -> None:
    _submit(staff, tmp_path)
    page = staff.client.get("/ban")
    assert page.status_code == 200
    assert f'href="/ban/{SLUG}"' in page.text and "7/KH-SOLIEU" in page.text
    row = page.text.split(f'href="/ban/{SLUG}"', 1)[1].split("</tr>", 1)[0]
    assert '<td data-label="Bản đã nộp">1</td>' in row


def test_the_board_filters_by_group_milestone_and_status(staff: Portal, tmp_path: Path) -> None:
    _submit(staff, tmp_path)
    whole = staff.client.get(f"/ban/{SLUG}")
    assert whole.status_code == 200 and "Sở Y tế" in whole.text and "Sở Tư pháp" in whole.text
    assert "quá hạn chưa nộp" in whole.text  # the others missed 10/7
    on_time = staff.client.get(f"/ban/{SLUG}", params={"trang_thai": "on_time"})
    assert on_time.status_code == 200
    assert "Sở Y tế" in on_time.text and "Sở Tư pháp" not in on_time.text
    assert "(1 đơn vị)" in on_time.text
    group = staff.client.get(f"/ban/{SLUG}", params={"nhom": "KHOI-VAN-HOA-XA-HOI"})
    assert "Sở Y tế" in group.text and "Sở Giáo dục và Đào tạo" in group.text
    assert "Sở Tư pháp" not in group.text
    milestone = staff.client.get(f"/ban/{SLUG}", params={"moc": "bao-cao-ket-qua"})
    assert milestone.status_code == 200
    assert "Nộp hồ sơ đề nghị Bằng khen" not in milestone.text.split("<table", 1)[1]
    # Everyone missed the nomination window; only the report tells SYT apart.
    missing = {"nhom": "KHOI-VAN-HOA-XA-HOI", "trang_thai": "missing"}
    assert "Sở Y tế</a>" in staff.client.get(f"/ban/{SLUG}", params=missing).text
    both = staff.client.get(f"/ban/{SLUG}", params={**missing, "moc": "bao-cao-ket-qua"})
    assert "Sở Giáo dục và Đào tạo" in both.text and "Sở Y tế</a>" not in both.text


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"nhom": "KHONG-CO"}, "Không có nhóm “KHONG-CO”"),
        ({"trang_thai": "lung-tung"}, "Trạng thái “lung-tung” không có"),
        ({"moc": "khong-co"}, "Không có mốc “khong-co”"),
    ],
)
def test_a_bad_filter_is_a_vietnamese_message(
    staff: Portal, params: dict[str, str], said: str
) -> None:
    answer = staff.client.get(f"/ban/{SLUG}", params=params)
    assert answer.status_code == 400
    assert said in answer.text and "--" not in answer.text.split('class="error"', 1)[1][:300]
    assert "Traceback" not in answer.text


def test_unknown_campaign_and_unit_are_404(staff: Portal) -> None:
    assert staff.client.get("/ban/khong-co").status_code == 404
    assert staff.client.get(f"/ban/{SLUG}/don-vi/KHONG-CO").status_code == 404


# --- a unit and its files --------------------------------------------------------------


def test_unit_detail_and_file_download(staff: Portal, tmp_path: Path) -> None:
    number = _submit(staff, tmp_path)
    page = staff.client.get(f"/ban/{SLUG}/don-vi/syt")
    assert page.status_code == 200
    assert "Sở Y tế" in page.text and "Báo cáo kết quả" in page.text and "đúng hạn" in page.text
    assert "Số tiếp nhận: <strong>2023/" in page.text
    link = f"/ban/{SLUG}/tep/{number}/0"
    assert link in page.text
    got = staff.client.get(link)
    assert got.status_code == 200 and got.content.startswith(b"%PDF-")
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"Bao cao ket qua.pdf\"; filename*=UTF-8''"
        + quote("Báo cáo kết quả.pdf", safe="")
    )
    assert got.headers["x-content-type-options"] == "nosniff"


def test_downloads_serve_only_recorded_files_inside_the_files_folder(
    staff: Portal, tmp_path: Path
) -> None:
    number = _submit(staff, tmp_path)
    for path in (
        f"/ban/{SLUG}/tep/{number}/1",
        f"/ban/{SLUG}/tep/{number}/..%2F..%2F..%2Fetc%2Fpasswd",
        f"/ban/{SLUG}/tep/..%2F..%2Fetc%2Fpasswd/0",
        f"/ban/{SLUG}/tep/%2Fetc%2Fpasswd/0",
        f"/ban/{SLUG}/tep/{number}/-1",
        f"/ban/{SLUG}/tep/99999999999999999999999/0",
        f"/ban/7-kh-solieu/tep/{number}/0",  # another campaign's URL
    ):
        answer = staff.client.get(path)
        assert answer.status_code == 404, path
        assert "%PDF" not in answer.text
    data = staff.settings.data_dir
    secret = data / "bi-mat.txt"
    secret.write_text("không được lộ", encoding="utf-8")
    inside = data / "files" / "lien-ket.txt"
    inside.symlink_to(secret)
    for target in (secret, inside, data / "files" / ".." / "bi-mat.txt"):
        with session_scope() as session:
            row = session.get(Submission, number)
            assert row is not None
            row.files = [{"name": "x.txt", "path": str(target), "sha256": "", "size": 1}]
            session.add(row)
        answer = staff.client.get(f"/ban/{SLUG}/tep/{number}/0")
        assert answer.status_code == 404 and "không được lộ" not in answer.text, target


# --- the nomination review -------------------------------------------------------------


def test_review_return_with_reason_accept_award_with_the_trail(
    staff: Portal, tmp_path: Path
) -> None:
    number = _nominate(tmp_path)
    staff.at(AFTER)
    listing = staff.client.get(f"/ban/{SLUG}/de-nghi")
    assert listing.status_code == 200 and "Nguyễn Văn An" in listing.text
    url = f"/ban/{SLUG}/de-nghi/{number}"
    page = staff.client.get(url)
    assert page.status_code == 200 and "Trả lại" in page.text and "Duyệt" in page.text
    assert "Khen thưởng</button>" not in page.text  # not before it is accepted
    file = staff.client.get(f"/ban/{SLUG}/ho-so/{number}/0")
    assert file.status_code == 200 and file.content.startswith(b"%PDF-")

    empty = staff.client.post(url, data={"csrf": _csrf(page.text), "den": "returned", "ly_do": " "})
    assert (
        empty.status_code == 400 and "cần ghi lý do" in empty.text and "--ly-do" not in empty.text
    )
    assert _state(number) == ("submitted", 1)

    forged = staff.client.post(url, data={"csrf": "gia-mao", "den": "accepted"})
    assert forged.status_code == 403 and _state(number) == ("submitted", 1)

    returned = staff.client.post(
        url, data={"csrf": _csrf(page.text), "den": "returned", "ly_do": "Thiếu chữ ký"}
    )
    assert returned.status_code == 303 and returned.headers["location"] == f"{url}?da=returned"
    assert _state(number) == ("returned", 2)
    with session_scope() as session:  # the unit hands it in again
        move(session, nomination_id=number, to=NominationStatus.RESUBMITTED, actor="SGDDT")
    page = staff.client.get(url)
    for to in ("accepted", "awarded"):
        done = staff.client.post(url, data={"csrf": _csrf(page.text), "den": to})
        assert done.status_code == 303, done.text
        page = staff.client.get(done.headers["location"])
    assert _state(number) == ("awarded", 5)
    assert "Đã chuyển hồ sơ sang trạng thái “được khen thưởng”" in page.text
    trail = page.text.split("Quá trình xử lý", 1)[1]
    assert trail.count(f"staff:{USER}") == 3 and "Thiếu chữ ký" in trail
    assert "nộp lại" in trail and "đã duyệt" in trail
    assert "không còn bước xử lý nào" in page.text

    again = staff.client.post(url, data={"csrf": _csrf(page.text), "den": "accepted"})
    assert again.status_code == 409 and "không thể chuyển" in again.text
    unknown = staff.client.post(url, data={"csrf": _csrf(page.text), "den": "withdrawn"})
    assert unknown.status_code == 400 and _state(number) == ("awarded", 5)
    reviews = _audits("review")
    assert [o for _, o, _ in reviews] == [
        "refused", "refused", "ok", "ok", "ok", "refused", "refused",
    ]  # fmt: skip
    assert {a for a, _, _ in reviews} == {f"staff:{USER}"}


def test_a_nomination_of_another_campaign_or_unknown_is_404(staff: Portal, tmp_path: Path) -> None:
    number = _nominate(tmp_path)
    assert staff.client.get(f"/ban/7-kh-solieu/de-nghi/{number}").status_code == 404
    assert staff.client.get(f"/ban/{SLUG}/de-nghi/999").status_code == 404
    assert staff.client.get(f"/ban/{SLUG}/de-nghi/abc").status_code == 404
    assert staff.client.get(f"/ban/{SLUG}/ho-so/{number}/9").status_code == 404


# --- documents -------------------------------------------------------------------------


def test_the_annex_downloads_as_xlsx(staff: Portal, tmp_path: Path) -> None:
    empty = staff.client.get(f"/ban/{SLUG}/phu-luc.xlsx")
    assert empty.status_code == 404 and "chưa có hồ sơ đề nghị" in empty.text
    _nominate(tmp_path)
    got = staff.client.get(f"/ban/{SLUG}/phu-luc.xlsx")
    assert got.status_code == 200
    assert got.headers["content-disposition"].startswith("attachment;")
    book = load_workbook(io.BytesIO(got.content))
    cells = [
        str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row
    ]
    assert "Nguyễn Văn An" in cells


def test_the_report_downloads_as_docx(staff: Portal, tmp_path: Path) -> None:
    _submit(staff, tmp_path)
    got = staff.client.get(f"/ban/{SLUG}/bao-cao.docx", params={"loai": "tong-ket"})
    assert got.status_code == 200, got.text
    assert got.headers["content-disposition"].startswith("attachment;")
    text = "\n".join(p.text for p in Document(io.BytesIO(got.content)).paragraphs)
    assert "BÁO CÁO" in text.upper()
    bad = staff.client.get(f"/ban/{SLUG}/bao-cao.docx", params={"loai": "lung-tung"})
    assert bad.status_code == 400 and "Loại báo cáo" in bad.text
