"""The unit's nomination forms on the portal: a dossier with real files becomes a nomination
with a receipt, an audit record and an acknowledgement; every refusal (window, quota,
duplicate, missing document, bad file, forged form) writes nothing; a returned nomination
shows its reason and is handed in again by its own unit only."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func
from sqlmodel import select

from thidua.config import get_settings
from thidua.ledger.review import history, move
from thidua.ledger.statuses import NominationStatus
from thidua.store.db import session_scope
from thidua.store.models import AuditEntry, Nomination, NominationEvent, ReceiptRecord

from .portal_fixtures import AckRecorder, Portal
from .submission_fixtures import write_docx, write_pdf, write_png

S = NominationStatus
SLUG = "75nam-tdaq-kh-ubnd"
FORM = f"/de-nghi/{SLUG}/ho-so-bang-khen/-"
BANG_KHEN = "bang_khen_cua_chu_tich_uy_ban_nhan_dan_tinh"
#: Monday 03/07/2023 10:00 in Hà Nội: inside the 2023 plan's window (03–04/7, late refused).
IN_WINDOW = datetime(2023, 7, 3, 3, 0, tzinfo=UTC)
#: Wednesday 05/07/2023 10:00: past it.
AFTER_WINDOW = datetime(2023, 7, 5, 3, 0, tzinfo=UTC)


@pytest.fixture
def acks(portal: Portal) -> AckRecorder:
    recorder = AckRecorder()
    portal.acknowledge = recorder
    portal.at(IN_WINDOW)
    return recorder


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def dossier(folder: Path, tag: str = "") -> dict[int, Path]:
    """The three documents of the Bằng khen dossier, as real PDF / DOCX files."""
    folder.mkdir(parents=True, exist_ok=True)
    return {
        1: write_pdf(folder / f"to_trinh{tag}.pdf", f"To trinh {tag}"),
        2: write_docx(folder / f"bien_ban{tag}.docx", f"Biên bản {tag}"),
        3: write_pdf(folder / f"bao_cao{tag}.pdf", f"Bao cao {tag}"),
    }


def person(**changes: str) -> dict[str, str]:
    fields = {
        "hinh-thuc": BANG_KHEN,
        "loai": "ca_nhan",
        "ten": "Nguyễn Văn An",
        "chuc-vu": "Trưởng phòng Giáo dục Trung học",
        "noi-cong-tac": "Sở Giáo dục và Đào tạo",
        "thanh-tich": "Hoàn thành xuất sắc nhiệm vụ 6 tháng đầu năm 2023",
    }
    return {**fields, **changes}


def post_form(
    portal: Portal,
    path: str,
    fields: dict[str, str],
    files: dict[int, Path],
    *,
    names: dict[int, str] | None = None,
    csrf: str | None = None,
) -> httpx.Response:
    """GET the form (for its CSRF token), then POST it with `files` as tai-lieu-N."""
    if csrf is None:
        csrf = csrf_of(portal.client.get(path).text)
    uploads: list[tuple[str, tuple[str, bytes, str]]] = [
        (
            f"tai-lieu-{n}",
            ((names or {}).get(n, p.name), p.read_bytes(), "application/octet-stream"),
        )
        for n, p in sorted(files.items())
    ]
    # An empty file part, as a browser sends for an input left empty.
    for n in range(1, 4):
        if n not in files:
            uploads.append((f"tai-lieu-{n}", ("", b"", "application/octet-stream")))
    return portal.client.post(path, data={"csrf": csrf, **fields}, files=uploads)


def nominate_as(
    portal: Portal, unit: str, files: dict[int, Path], **changes: str
) -> httpx.Response:
    return post_form(portal, portal.unit_path(unit) + FORM, person(**changes), files)


def stored_files() -> list[Path]:
    root = get_settings().data_dir / "files"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def counts() -> tuple[int, int, int, list[Path]]:
    """Nominations, their events, receipts, and the files kept in the store."""
    with session_scope() as session:
        rows = tuple(
            session.exec(select(func.count()).select_from(table)).one()
            for table in (Nomination, NominationEvent, ReceiptRecord)
        )
    return (*rows, stored_files())


def audits(outcome: str) -> list[AuditEntry]:
    with session_scope() as session:
        return list(
            session.exec(
                select(AuditEntry).where(AuditEntry.outcome == outcome).order_by(AuditEntry.id)
            )
        )


def receipt_id(response: httpx.Response, portal: Portal, unit: str) -> int:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    prefix = portal.unit_path(unit) + "/bien-nhan/"
    assert location.startswith(prefix), location
    return int(location.removeprefix(prefix))


# --- a full dossier -------------------------------------------------------------------------


def test_a_full_dossier_is_recorded_with_a_receipt_an_audit_and_an_acknowledgement(
    portal: Portal, acks: AckRecorder, tmp_path: Path
) -> None:
    path = portal.unit_path("SGDDT") + FORM
    form = portal.client.get(path)
    assert form.status_code == 200
    for text in (
        "Nộp hồ sơ đề nghị Bằng khen",
        "1. Tờ trình đề nghị khen thưởng",
        "3. Báo cáo thành tích (mẫu số 07, Nghị định số 91/2017/NĐ-CP)",
        "SGDDT · Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh",
        "0/2",
        'enctype="multipart/form-data"',
    ):
        assert text in form.text, text
    assert "<script" not in form.text

    files = dossier(tmp_path / "up")
    # A hostile browser file name is only ever a name: it lands inside the store's folder.
    response = post_form(portal, path, person(), files, names={3: "../../../../etc/bao_cao.pdf"})
    number = receipt_id(response, portal, "SGDDT")

    with session_scope() as session:
        [nomination] = session.exec(select(Nomination)).all()
        receipt = session.get(ReceiptRecord, number)
        assert nomination.id is not None
        _, events = history(session, nomination.id)
    assert receipt is not None and receipt.kind == "nomination"
    assert receipt.ref_id == nomination.id and receipt.unit_code == "SGDDT"
    assert receipt.number == f"2023/{receipt.id:06d}"
    assert receipt.issued_at == IN_WINDOW
    assert (nomination.unit_code, nomination.status, nomination.nominee_kind) == (
        "SGDDT",
        S.SUBMITTED,
        "ca_nhan",
    )
    assert nomination.submitted_at == IN_WINDOW
    assert [d["document"] for d in nomination.documents] == [
        "Tờ trình đề nghị khen thưởng",
        "Biên bản xét khen thưởng của Hội đồng thi đua, khen thưởng",
        "Báo cáo thành tích (mẫu số 07, Nghị định số 91/2017/NĐ-CP)",
    ]
    root = (get_settings().data_dir / "files").resolve()
    for document, original in zip(nomination.documents, files.values(), strict=True):
        kept = Path(document["path"])
        assert kept.resolve().is_relative_to(root)
        assert kept.read_bytes() == original.read_bytes()
    assert nomination.documents[2]["name"] == "bao_cao.pdf"
    [event] = events
    assert event.to_status is S.SUBMITTED and event.at == IN_WINDOW
    assert re.fullmatch(r"link:SGDDT#\d+", event.actor)

    [ok] = audits("ok")
    assert (ok.action, ok.actor, ok.unit_code, ok.campaign_code) == (
        "nominate",
        event.actor,
        "SGDDT",
        "75NAM-TDAQ/KH-UBND",
    )
    assert f"hồ sơ số {nomination.id}" in (ok.detail or "")

    [ack] = acks.sent
    assert ack["unit"] == "SGDDT" and ack["key"] == f"tiep-nhan/{receipt.number}"
    assert f"số tiếp nhận {receipt.number}" in ack["text"]
    assert "Nguyễn Văn An" in ack["text"] and "Bằng khen" in ack["text"]

    again = portal.client.get(path)
    assert "1/2" in again.text and "Nguyễn Văn An" in again.text


# --- refusals write nothing -------------------------------------------------------------------


def _refused(
    portal: Portal, response: httpx.Response, before: tuple[Any, ...], status: int, *said: str
) -> None:
    assert response.status_code == status, response.text
    unfolded = re.sub(r"\s+", " ", response.text)
    for text in said:
        assert text in unfolded, (text, unfolded)
    assert "Traceback" not in response.text
    assert counts() == before
    refused = audits("refused")
    assert refused and refused[-1].unit_code is not None


def test_a_missing_document_is_refused_with_the_ledger_message(
    portal: Portal, acks: AckRecorder, tmp_path: Path
) -> None:
    files = dossier(tmp_path)
    del files[2]
    before = counts()
    response = nominate_as(portal, "SGDDT", files)
    _refused(
        portal,
        response,
        before,
        400,
        "chưa đủ, còn thiếu 1 tài liệu",
        "2. Biên bản xét khen thưởng của Hội đồng thi đua, khen thưởng",
    )
    assert 'value="Nguyễn Văn An"' in response.text  # what was typed is kept
    assert acks.sent == []


def test_a_file_whose_content_is_not_its_extension_is_refused(
    portal: Portal, acks: AckRecorder, tmp_path: Path
) -> None:
    files = dossier(tmp_path)
    files[3] = write_png(tmp_path / "bao_cao_that.pdf")
    before = counts()
    response = nominate_as(portal, "SGDDT", files)
    _refused(
        portal,
        response,
        before,
        400,
        "tài liệu “Báo cáo thành tích (mẫu số 07, Nghị định số 91/2017/NĐ-CP)”",
        "đuôi tệp là .pdf nhưng nội dung không phải",
    )
    assert "/tmp" not in response.text and "thidua-upload" not in response.text


def test_a_dossier_after_the_window_is_refused(
    portal: Portal, acks: AckRecorder, tmp_path: Path
) -> None:
    portal.at(AFTER_WINDOW)
    before = counts()
    response = nominate_as(portal, "SGDDT", dossier(tmp_path))
    _refused(
        portal,
        response,
        before,
        409,
        "đã quá thời hạn của mốc",
        "kế hoạch không nhận hồ sơ ngoài thời hạn này",
    )


def test_the_same_nominee_twice_is_refused(
    portal: Portal, acks: AckRecorder, tmp_path: Path
) -> None:
    receipt_id(nominate_as(portal, "SGDDT", dossier(tmp_path / "a", "a")), portal, "SGDDT")
    before = counts()
    # Another unit, the same person spelt without diacritics, the same achievement.
    response = nominate_as(portal, "SYT", dossier(tmp_path / "b", "b"), ten="nguyen van an")
    _refused(portal, response, before, 409, "đã được đề nghị với cùng thành tích")
    assert len(acks.sent) == 1


def test_a_nomination_over_the_unit_quota_is_refused(
    portal: Portal, acks: AckRecorder, tmp_path: Path
) -> None:
    # Sở Tài chính: 01 per unit.
    first = nominate_as(
        portal, "STC", dossier(tmp_path / "a", "a"), **{"noi-cong-tac": "Sở Tài chính"}
    )
    receipt_id(first, portal, "STC")
    assert "1/1" in portal.client.get(portal.unit_path("STC") + FORM).text
    before = counts()
    response = nominate_as(
        portal,
        "STC",
        dossier(tmp_path / "b", "b"),
        ten="Trần Thị Bình",
        **{"noi-cong-tac": "Sở Tài chính"},
    )
    _refused(portal, response, before, 409, "vượt hạn mức STC · Bằng khen", "tối đa 1 hồ sơ")


def test_a_forged_or_missing_csrf_token_is_refused(
    portal: Portal, acks: AckRecorder, tmp_path: Path
) -> None:
    path = portal.unit_path("SGDDT") + FORM
    other = csrf_of(portal.client.get(portal.unit_path("SYT") + FORM).text)
    for token in ("gia-mao", other):  # forged, and another unit's
        before = counts()
        response = post_form(portal, path, person(), dossier(tmp_path), csrf=token)
        _refused(portal, response, before, 403, "Biểu mẫu không hợp lệ")
    assert acks.sent == []


def test_unknown_pages_and_milestones_that_are_not_nominations_are_404(
    portal: Portal, acks: AckRecorder
) -> None:
    home = portal.unit_path("SGDDT")
    for path in (
        f"{home}/de-nghi/khong-co/ho-so-bang-khen/-",
        f"{home}/de-nghi/{SLUG}/bao-cao-ket-qua/-",
        f"{home}/de-nghi/{SLUG}/ho-so-bang-khen/2023",
        f"/u/{'A' * 43}{FORM}",
    ):
        assert portal.client.get(path).status_code == 404, path


# --- a returned nomination ------------------------------------------------------------------


def _return(nomination_id: int, reason: str) -> None:
    with session_scope() as session:
        move(
            session,
            nomination_id=nomination_id,
            to=S.RETURNED,
            actor="staff:lan.nt",
            reason=reason,
            now=IN_WINDOW,
        )


def _only_nomination() -> Nomination:
    with session_scope() as session:
        [nomination] = session.exec(select(Nomination)).all()
    return nomination


def test_a_returned_nomination_shows_its_reason_and_is_handed_in_again(
    portal: Portal, acks: AckRecorder, tmp_path: Path
) -> None:
    receipt_id(nominate_as(portal, "SGDDT", dossier(tmp_path / "a", "a")), portal, "SGDDT")
    first = _only_nomination()
    assert first.id is not None
    edit = portal.unit_path("SGDDT") + f"/de-nghi/sua/{first.id}"
    submitted = portal.client.get(edit)
    assert submitted.status_code == 200 and "<form" not in submitted.text
    assert "chỉ hồ sơ bị trả lại" in submitted.text.lower()

    _return(first.id, "Báo cáo thành tích chưa có xác nhận của thủ trưởng; thiếu số liệu, tỷ lệ")
    page = portal.client.get(edit)
    assert page.status_code == 200
    assert "Báo cáo thành tích chưa có xác nhận của thủ trưởng; thiếu số liệu, tỷ lệ" in page.text
    assert "Đang có: bao_caoa.pdf" in page.text

    later = datetime(2023, 7, 6, 2, 0, tzinfo=UTC)  # after the window: a return is answered late
    portal.at(later)
    new_report = write_pdf(tmp_path / "bao_cao_moi.pdf", "Bao cao co xac nhan")
    response = post_form(
        portal,
        edit,
        person(**{"thanh-tich": "Hoàn thành xuất sắc nhiệm vụ, có xác nhận của thủ trưởng"}),
        {3: new_report},
    )
    number = receipt_id(response, portal, "SGDDT")

    after = _only_nomination()
    assert after.status is S.RESUBMITTED
    assert after.achievement == "Hoàn thành xuất sắc nhiệm vụ, có xác nhận của thủ trưởng"
    assert after.documents[0] == first.documents[0]  # kept
    assert after.documents[2]["name"] == "bao_cao_moi.pdf"
    assert Path(after.documents[2]["path"]).read_bytes() == new_report.read_bytes()
    with session_scope() as session:
        _, events = history(session, first.id)
        receipt = session.get(ReceiptRecord, number)
    last = events[-1]
    assert (last.from_status, last.to_status, last.at) == (S.RETURNED, S.RESUBMITTED, later)
    assert re.fullmatch(r"link:SGDDT#\d+", last.actor)
    assert receipt is not None and receipt.ref_id == first.id and receipt.issued_at == later
    assert [a.action for a in audits("ok")] == ["nominate", "nominate.resubmit"]
    assert len(acks.sent) == 2 and f"số tiếp nhận {receipt.number}" in acks.sent[1]["text"]
    assert "nộp lại" in acks.sent[1]["text"]

    # Handed in again, it is no longer open to correction.
    before = counts()
    fresh = csrf_of(portal.client.get(portal.unit_path("SGDDT") + FORM).text)
    again = post_form(portal, edit, person(), {}, csrf=fresh)
    _refused(portal, again, before, 409, "chỉ hồ sơ bị trả lại mới được nộp lại")


def test_a_correction_that_breaks_a_rule_changes_nothing(
    portal: Portal, acks: AckRecorder, tmp_path: Path
) -> None:
    receipt_id(nominate_as(portal, "SGDDT", dossier(tmp_path / "a", "a")), portal, "SGDDT")
    nomination = _only_nomination()
    assert nomination.id is not None
    _return(nomination.id, "Thiếu chữ ký")
    edit = portal.unit_path("SGDDT") + f"/de-nghi/sua/{nomination.id}"
    before = counts()
    bad = post_form(
        portal, edit, person(**{"chuc-vu": ""}), {1: write_png(tmp_path / "to_trinh.pdf")}
    )
    _refused(portal, bad, before, 400, "cần ghi chức vụ")
    assert _only_nomination().status is S.RETURNED
    bad_file = post_form(portal, edit, person(), {1: write_png(tmp_path / "to_trinh.pdf")})
    _refused(portal, bad_file, before, 400, "đuôi tệp là .pdf nhưng nội dung không phải")
    unchanged = _only_nomination()
    assert (unchanged.status, unchanged.documents) == (S.RETURNED, nomination.documents)


def test_another_units_nomination_is_not_found(
    portal: Portal, acks: AckRecorder, tmp_path: Path
) -> None:
    receipt_id(nominate_as(portal, "SGDDT", dossier(tmp_path / "a", "a")), portal, "SGDDT")
    nomination = _only_nomination()
    assert nomination.id is not None
    _return(nomination.id, "Thiếu chữ ký")
    foreign = portal.unit_path("SYT") + f"/de-nghi/sua/{nomination.id}"
    assert portal.client.get(foreign).status_code == 404
    csrf = csrf_of(portal.client.get(portal.unit_path("SYT") + FORM).text)
    before = counts()
    response = post_form(portal, foreign, person(), {}, csrf=csrf)
    assert response.status_code == 404 and "Nguyễn Văn An" not in response.text
    assert counts() == before and _only_nomination().status is S.RETURNED
    for missing in ("999999", "0", "abc", "9" * 30):
        assert (
            portal.client.get(portal.unit_path("SGDDT") + f"/de-nghi/sua/{missing}").status_code
            == 404
        )


def test_an_acknowledgement_that_cannot_be_sent_does_not_undo_the_receipt(
    portal: Portal, tmp_path: Path
) -> None:
    def broken(**_: str) -> None:
        raise OSError("máy chủ thư không trả lời")

    portal.acknowledge = broken
    portal.at(IN_WINDOW)
    number = receipt_id(nominate_as(portal, "SGDDT", dossier(tmp_path)), portal, "SGDDT")
    with session_scope() as session:
        assert session.get(ReceiptRecord, number) is not None
    assert _only_nomination().status is S.SUBMITTED
