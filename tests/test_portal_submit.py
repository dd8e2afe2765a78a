"""Units hand in through the portal (issue 14): a report or plan (files, or the số hiệu and
date of a document sent through the e-document system), target figures, a registration;
each accepted one gets a số tiếp nhận and an acknowledgement, and reminders stop; every
refusal says why in the ledger's words and writes nothing."""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select
from thidua.flows.recording import record_campaign

from thidua.campaign.loading import load_campaign
from thidua.ledger.files import file_dir
from thidua.store import portal_rows, submission_rows
from thidua.store.db import session_scope
from thidua.store.models import AuditEntry, ReceiptRecord, Submission

from .portal_fixtures import AckRecorder, Portal
from .submission_fixtures import CODE, SEED_003, write_pdf

REPORT = "/nop/75nam-tdaq-kh-ubnd/bao-cao-ket-qua/-"
FIGURES_Q1 = "/nop/7-kh-solieu/so-lieu-quy/2024-Q1"
IN_2024 = datetime(2024, 3, 15, 2, 0, tzinfo=UTC)  # Friday 15/03/2024, 09:00 in Hà Nội

PORTAL_CAMPAIGN = """\
from thidua import *

campaign = Campaign(
    code="9/KH-CONG",
    title="Phong trào thi đua nộp qua cổng năm 2024",
    issuer="UBND tỉnh",
    issued="ngày 02/01/2024",
    period="năm 2024",
    organizer="BTDKT",
    registry="units.yaml",
    participants=Participants(groups=["KHOI-A", "CUM-X"]),
    targets=[
        Target(
            code="sang-kien", description="100% cán bộ có ít nhất 01 sáng kiến",
            numerator="Số cán bộ có sáng kiến", denominator="Tổng số cán bộ", goal="100%",
        ),
        Target(code="mo-hinh", description="Ít nhất 02 mô hình mới", numerator="Số mô hình", goal=2),
    ],
    milestones=[
        Milestone(kind="phát động", when="ngày 02/01/2024"),
        Milestone(kind="đăng ký thi đua", id="dang-ky", when="chậm nhất ngày 31/12/2024"),
        Milestone(kind="kế hoạch", id="ke-hoach", when="chậm nhất ngày 31/12/2024"),
        Milestone(
            kind="báo cáo", id="so-ket", when="trong ngày 03 và ngày 04 tháng 6 năm 2024",
            late="refuse",
        ),
    ],
)
"""


@pytest.fixture
def bed(portal: Portal) -> Portal:
    """The portal with a recording acknowledger and the campaign of plans and registrations."""
    path = portal.campaigns / "cong.py"
    path.write_text(PORTAL_CAMPAIGN, encoding="utf-8")
    with session_scope() as session:
        record_campaign(session, load_campaign(path))
    portal.acknowledge = AckRecorder()
    return portal


def recorder(portal: Portal) -> AckRecorder:
    assert isinstance(portal.acknowledge, AckRecorder)
    return portal.acknowledge


def csrf(portal: Portal, unit: str, where: str) -> str:
    form = portal.client.get(portal.unit_path(unit) + where)
    assert form.status_code == 200, form.text
    found = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert found, form.text
    return found.group(1)


def post(
    portal: Portal,
    unit: str,
    where: str,
    data: dict[str, str] | None = None,
    files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
    *,
    token: str | None = None,
) -> httpx.Response:
    fields = {"csrf": csrf(portal, unit, where) if token is None else token, **(data or {})}
    return portal.client.post(portal.unit_path(unit) + where, data=fields, files=files or [])


def pdf_bytes(tmp_path: Path, text: str = "Bao cao") -> bytes:
    return write_pdf(tmp_path / f"{text}.pdf", text).read_bytes()


def submissions() -> list[Submission]:
    with session_scope() as session:
        return list(session.exec(select(Submission)))


def receipts() -> list[ReceiptRecord]:
    with session_scope() as session:
        return list(session.exec(select(ReceiptRecord)))


def audits(unit: str) -> list[AuditEntry]:
    with session_scope() as session:
        return portal_rows.audit_entries(session, unit_code=unit)


def stored_files(portal: Portal) -> list[Path]:
    root = portal.settings.data_dir / "files"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def nothing_written(portal: Portal, before: int = 0) -> None:
    assert len(submissions()) == before and len(receipts()) == before
    assert len(stored_files(portal)) == before
    assert len(recorder(portal).sent) == before


# --- accepted -----------------------------------------------------------------------------


def test_a_report_uploaded_as_pdf_gets_a_receipt_and_stops_the_reminders(
    bed: Portal, tmp_path: Path
) -> None:
    with session_scope() as session:
        assert "SYT" not in submission_rows.submitted_units(
            session, campaign_code=SEED_003, milestone="bao-cao-ket-qua", occurrence=""
        )
    files = [("files", ("Báo cáo kết quả.pdf", pdf_bytes(tmp_path), "application/pdf"))]
    answer = post(bed, "SYT", REPORT, {"note": "Gửi kèm phụ lục"}, files)
    assert answer.status_code == 303, answer.text
    [receipt] = receipts()
    assert answer.headers["location"] == f"{bed.unit_path('SYT')}/bien-nhan/{receipt.id}"
    assert receipt.number == f"2023/{receipt.id:06d}" and receipt.kind == "submission"

    [row] = submissions()
    assert (row.unit_code, row.milestone, row.source, row.timing) == (
        "SYT",
        "bao-cao-ket-qua",
        "portal",
        "on_time",
    )
    assert row.recorded_by is not None and row.recorded_by.startswith("link:SYT#")
    assert row.id == receipt.ref_id and row.submitted_at == bed.now
    assert [f["name"] for f in row.files] == ["Báo cáo kết quả.pdf"]
    assert Path(row.files[0]["path"]).read_bytes()[:5] == b"%PDF-"
    assert [(a.action, a.outcome) for a in audits("SYT")] == [("nop", "ok")]

    [ack] = recorder(bed).sent
    assert ack["key"] == f"tiep-nhan/{receipt.number}" and receipt.number in ack["text"]
    assert ack["unit"] == "SYT" and "Báo cáo kết quả đợt thi đua" in ack["text"]

    shown = bed.client.get(answer.headers["location"])
    assert shown.status_code == 200
    assert receipt.number in shown.text and "Báo cáo kết quả.pdf (0,6 KB)" in shown.text
    assert "09:00 ngày 08/05/2023" in shown.text and "đúng hạn" in shown.text
    page = bed.client.get(bed.unit_path("SYT")).text
    assert "đã nộp, đúng hạn" in page and receipt.number in page

    # Reminders read who submitted: the unit is out of the audience at once.
    with session_scope() as session:
        assert "SYT" in submission_rows.submitted_units(
            session, campaign_code=SEED_003, milestone="bao-cao-ket-qua", occurrence=""
        )
    # Another unit cannot open this receipt, not even by its number.
    other = bed.client.get(f"{bed.unit_path('SGDDT')}/bien-nhan/{receipt.id}")
    assert other.status_code == 404 and receipt.number not in other.text


def test_a_document_sent_through_the_e_document_system_is_enough(bed: Portal) -> None:
    bad = post(bed, "SGDDT", REPORT, {"doc_number": "báo cáo số 5", "doc_date": "2023-05-09"})
    assert bad.status_code == 400
    assert "số hiệu văn bản “báo cáo số 5” không đúng dạng" in bad.text
    assert "ngày văn bản 09/05/2023 còn ở tương lai" in bad.text
    half = post(bed, "SGDDT", REPORT, {"doc_number": "125/BC-SGDĐT"})
    assert half.status_code == 400 and "thiếu ngày văn bản" in half.text
    empty = post(bed, "SGDDT", REPORT, {})
    assert empty.status_code == 400 and "hãy đính kèm tệp hoặc ghi số hiệu" in empty.text
    nothing_written(bed)

    ok = post(bed, "SGDDT", REPORT, {"doc_number": "Số: 125 / bc-sgdđt", "doc_date": "05/05/2023"})
    assert ok.status_code == 303, ok.text
    [row] = submissions()
    assert (row.doc_number, row.doc_date, row.files) == ("125/BC-SGDĐT", date(2023, 5, 5), [])
    shown = bed.client.get(ok.headers["location"]).text
    assert "Văn bản số 125/BC-SGDĐT ngày 05/05/2023" in shown
    assert [a.outcome for a in audits("SGDDT")] == ["refused"] * 3 + ["ok"]


def test_target_figures_are_checked_as_on_the_command_line(bed: Portal) -> None:
    bed.at(IN_2024)
    wrong = post(bed, "SO-A", FIGURES_Q1, {"fig-sang-kien": "50", "base-sang-kien": "40"})
    assert wrong.status_code == 400
    assert "tử số 50 lớn hơn mẫu số 40" in wrong.text
    assert "còn thiếu: mo-hinh" not in wrong.text  # one problem at a time, as the CLI
    assert 'value="50"' in wrong.text  # what was typed stays in the form
    nothing_written(bed)
    missing = post(bed, "SO-A", FIGURES_Q1, {"fig-sang-kien": "12", "base-sang-kien": "40"})
    assert missing.status_code == 400 and "còn thiếu: mo-hinh" in missing.text

    ok = post(
        bed,
        "SO-A",
        FIGURES_Q1,
        {"fig-sang-kien": "12", "base-sang-kien": "40", "fig-mo-hinh": "3"},
    )
    assert ok.status_code == 303, ok.text
    [row] = submissions()
    assert (row.occurrence, row.requirement) == ("2024-Q1", "target_figures")
    assert row.figures == {
        "sang-kien": {"value": 12, "base": 40},
        "mo-hinh": {"value": 3, "base": None},
    }
    shown = bed.client.get(ok.headers["location"]).text
    assert "12/40" in shown and "2024/" in shown


def test_a_registration_records_levels_and_commitments(bed: Portal) -> None:
    bed.at(IN_2024)
    where = "/nop/9-kh-cong/dang-ky/-"
    bad = post(bed, "XA-1", where, {"reg-sang-kien": "120%"})
    assert bad.status_code == 400 and "mức đăng ký chỉ tiêu “sang-kien” là tỉ lệ" in bad.text
    empty = post(bed, "XA-1", where, {"reg-sang-kien": "", "note": " "})
    assert empty.status_code == 400 and "hãy ghi mức đăng ký" in empty.text
    nothing_written(bed)
    ok = post(
        bed,
        "XA-1",
        where,
        {"reg-sang-kien": "90%", "reg-mo-hinh": "3", "note": "Tập thể lao động xuất sắc"},
    )
    assert ok.status_code == 303, ok.text
    [row] = submissions()
    assert row.figures == {"sang-kien": {"registered": 0.9}, "mo-hinh": {"registered": 3}}
    shown = bed.client.get(ok.headers["location"]).text
    assert "đăng ký 90%" in shown and "Tập thể lao động xuất sắc" in shown


def test_a_plan_form_names_what_it_asks_for(bed: Portal, tmp_path: Path) -> None:
    form = bed.client.get(bed.unit_path("SO-B") + "/nop/9-kh-cong/ke-hoach/-")
    assert form.status_code == 200 and "Nộp kế hoạch triển khai" in form.text
    assert 'type="file"' in form.text and 'name="doc_number"' in form.text
    assert "<script" not in form.text


# --- refused ------------------------------------------------------------------------------


def test_outside_the_window_of_a_refusing_milestone_nothing_is_taken(
    bed: Portal, tmp_path: Path
) -> None:
    bed.at(IN_2024)
    where = "/nop/9-kh-cong/so-ket/-"
    form = bed.client.get(bed.unit_path("SO-A") + where)
    assert "không nhận bản nộp lúc này: chỉ nhận trong ngày 03 và ngày 04 tháng 6" in form.text
    assert 'name="csrf"' not in form.text
    # A post made anyway (an old tab) gets the ledger's refusal.
    token = csrf(bed, "SO-A", "/nop/9-kh-cong/ke-hoach/-")
    files = [("files", ("so-ket.pdf", pdf_bytes(tmp_path), "application/pdf"))]
    refused = post(bed, "SO-A", where, {}, files, token=token)
    assert refused.status_code == 409
    assert "không nhận: Sở A nộp lúc 09:00 ngày 15/03/2024 (thứ Sáu), sớm 80 ngày" in refused.text
    nothing_written(bed)
    assert [a.outcome for a in audits("SO-A")] == ["refused"]


def test_a_pdf_that_is_text_is_refused_with_the_ledgers_words(bed: Portal) -> None:
    files = [("files", ("bao-cao.pdf", "Đây là văn bản".encode(), "application/pdf"))]
    refused = post(bed, "SYT", REPORT, {}, files)
    assert refused.status_code == 400
    assert "tệp “bao-cao.pdf”: đuôi tệp là .pdf nhưng nội dung không phải PDF" in refused.text
    nothing_written(bed)


def test_a_path_in_the_file_name_is_dropped(bed: Portal, tmp_path: Path) -> None:
    files = [("files", ("../../x.pdf", pdf_bytes(tmp_path), "application/pdf"))]
    ok = post(bed, "SYT", REPORT, {}, files)
    assert ok.status_code == 303, ok.text
    [row] = submissions()
    folder = file_dir(campaign=SEED_003, milestone="bao-cao-ket-qua", occurrence="", unit="SYT")
    assert [f["name"] for f in row.files] == ["x.pdf"]
    assert Path(row.files[0]["path"]) == folder / "x.pdf"
    assert stored_files(bed) == [folder / "x.pdf"]


def test_a_post_without_a_genuine_form_token_is_refused(bed: Portal, tmp_path: Path) -> None:
    files = [("files", ("bao-cao.pdf", pdf_bytes(tmp_path), "application/pdf"))]
    url = bed.unit_path("SYT") + REPORT
    missing = bed.client.post(url, files=files)
    assert missing.status_code == 403 and "Biểu mẫu không hợp lệ" in missing.text
    other_units = csrf(bed, "SGDDT", REPORT)  # genuine, but for another link
    for forged in (other_units, "gia-mao", csrf(bed, "SYT", REPORT)[:-2] + "xx"):
        answer = bed.client.post(url, data={"csrf": forged}, files=files)
        assert answer.status_code == 403
    nothing_written(bed)
    assert [a.outcome for a in audits("SYT")] == ["refused"] * 4


def test_two_posts_at_once_from_one_link_one_wins(bed: Portal, tmp_path: Path) -> None:
    token = csrf(bed, "SYT", REPORT)
    url = bed.unit_path("SYT") + REPORT
    answers: list[Any] = []
    start = threading.Barrier(2)

    def send(text: str) -> None:
        files = [("files", (f"{text}.pdf", pdf_bytes(tmp_path, text), "application/pdf"))]
        start.wait()
        answers.append(bed.client.post(url, data={"csrf": token}, files=files))

    threads = [threading.Thread(target=send, args=(t,)) for t in ("Mot", "Hai")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [303, 409]
    loser = next(a for a in answers if a.status_code == 409)
    assert "Sở Y tế đã nộp cho mốc “bao-cao-ket-qua”" in loser.text
    assert "(qua cổng thi đua); muốn thay thế bản đó, hãy liên hệ Ban" in loser.text
    assert "--thay-the" not in loser.text
    [row] = submissions()
    assert len(receipts()) == 1 and len(recorder(bed).sent) == 1
    assert stored_files(bed) == [Path(row.files[0]["path"])]
    assert sorted(a.outcome for a in audits("SYT")) == ["ok", "refused"]
    # Afterwards the form says it was handed in, with the winner's receipt.
    again = bed.client.get(url)
    assert "Đơn vị đã nộp mục này" in again.text and receipts()[0].number in again.text


def test_an_oversized_upload_is_refused_before_anything_is_stored(
    portal: Portal, tmp_path: Path
) -> None:
    portal.settings = portal.settings.with_(portal_upload_mb=1)
    portal.acknowledge = AckRecorder()
    big = b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024)
    answer = post(portal, "SYT", REPORT, {}, [("files", ("lon.pdf", big, "application/pdf"))])
    assert answer.status_code == 413 and "vượt quá 1 MB" in answer.text
    # Just over the file cap, under the request cap: refused by the upload itself.
    over = b"%PDF-1.4\n" + b"0" * (1024 * 1024)
    answer = post(portal, "SYT", REPORT, {}, [("files", ("vua.pdf", over, "application/pdf"))])
    assert answer.status_code == 413 and "Tệp “vua.pdf” vượt quá 1 MB" in answer.text
    nothing_written(portal)
    assert "refused" in [a.outcome for a in audits("SYT")]


def test_a_nomination_milestone_is_handed_in_on_its_own_form(bed: Portal) -> None:
    where = "/nop/75nam-tdaq-kh-ubnd/ho-so-bang-khen/-"
    moved = bed.client.get(bed.unit_path("SYT") + where)
    assert moved.status_code == 303
    assert moved.headers["location"].endswith("/de-nghi/75nam-tdaq-kh-ubnd/ho-so-bang-khen/-")
    nowhere = bed.client.get(bed.unit_path("SYT") + "/nop/7-kh-solieu/bao-cao/-")
    assert nowhere.status_code == 404 and "Không có mục phải nộp này" in nowhere.text
    assert CODE not in nowhere.text


@pytest.mark.parametrize(
    ("number", "day", "expected"),
    [
        ("25-bc/tu", "2023-05-05", "25-BC/TU"),  # a Party document (Hướng dẫn 36-HD/VPTW)
        ("07/2023/QĐ-UBND", "5/5/2023", "07/2023/QĐ-UBND"),  # a legal document, with its year
        ("Số: 125/UBND-VX", date(2023, 5, 5), "125/UBND-VX"),  # a công văn
        ("125/BC", "2023-05-05", "số hiệu văn bản “125/BC” không đúng dạng"),
        ("125/BC-UBND", "31/02/2023", "ngày văn bản “31/02/2023” không tồn tại"),
        ("125/BC-UBND", "hôm qua", "ngày văn bản “hôm qua” không hiểu được"),
    ],
)
def test_the_number_of_a_sent_document_is_read_as_written(
    number: str, day: str | date, expected: str
) -> None:
    from thidua.ledger.sent_documents import check_sent_document

    found, problems = check_sent_document(number, day, today=date(2023, 5, 8))
    if found is not None:
        assert (found.number, found.day, problems) == (expected, date(2023, 5, 5), [])
    else:
        assert [expected in p.message for p in problems] == [True], problems
