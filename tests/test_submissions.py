"""Submissions: `thidua submit` on the real store, timing against windows, figures, files."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from thidua.campaign.lookup import find_campaign
from thidua.campaign.plan import compile_plan
from thidua.errors import OutsideWindow, SubmissionError
from thidua.ledger.figures import Figure, attainment, meets, total, validate_figures
from thidua.ledger.files import FileBatch, FileCheckError, check_file, store_file
from thidua.ledger.statuses import SubmissionTiming
from thidua.ledger.submissions import find_occurrence, prepare
from thidua.ledger.timing import parse_time, stamp, window_text
from thidua.store import submission_rows
from thidua.store.db import session_scope

from .submission_fixtures import (
    CODE,
    SEED_003,
    run,
    write_docx,
    write_pdf,
    write_png,
    write_xlsx,
    write_zip,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
WINDOW = "chỉ nhận trong ngày 03 và ngày 04 tháng 7 năm 2023 (thứ Hai, thứ Ba)"


def rows(code: str = SEED_003, **where: str) -> list:
    with session_scope() as session:
        found = submission_rows.submissions_for(session, campaign_code=code, **where)
        session.expunge_all()
    return found


def files_in(data: Path) -> list[Path]:
    return sorted(p for p in (data / "files").rglob("*") if p.is_file()) if data.exists() else []


# --- timing against the 2023 seed's nomination window --------------------------------


@pytest.mark.parametrize(
    ("local", "timing", "days"),
    [
        ("02/07/2023 23:59", SubmissionTiming.EARLY, 1),
        ("03/07/2023 00:00", SubmissionTiming.ON_TIME, 0),
        ("04/07/2023 23:59", SubmissionTiming.ON_TIME, 0),
        ("05/07/2023 00:00", SubmissionTiming.LATE, 1),
        ("07/07/2023 10:00", SubmissionTiming.LATE, 3),
    ],
)
def test_window_of_the_2023_nomination_milestone(
    campaigns: Path, local: str, timing: SubmissionTiming, days: int
) -> None:
    loaded = find_campaign(SEED_003, folder=campaigns, use_store=False)
    milestone = loaded.spec.milestone("ho-so-bang-khen")
    at = parse_time(local, tz=VN)
    occ = find_occurrence(loaded.spec, milestone, None, at)
    assert stamp(occ, at, tz=VN) == (timing, days)
    assert window_text(occ) == WINDOW.removeprefix("chỉ nhận ")


def test_a_deadline_without_window_is_never_early(campaigns: Path) -> None:
    loaded = find_campaign(SEED_003, folder=campaigns, use_store=False)
    milestone = loaded.spec.milestone("bao-cao-ket-qua")  # “chậm nhất ngày 10/7/2023”
    occ = find_occurrence(loaded.spec, milestone, None, parse_time("01/02/2023", tz=VN))
    assert stamp(occ, parse_time("01/02/2023 08:00", tz=VN), tz=VN) == (SubmissionTiming.ON_TIME, 0)
    assert stamp(occ, parse_time("10/7/2023 23:59", tz=VN), tz=VN) == (SubmissionTiming.ON_TIME, 0)
    assert stamp(occ, parse_time("12/7/2023 0h01", tz=VN), tz=VN) == (SubmissionTiming.LATE, 2)
    assert window_text(occ) == "đến hết ngày 10 tháng 7 năm 2023 (thứ Hai)"


def test_the_day_is_the_local_day_not_utc(campaigns: Path) -> None:
    """04/07 23:30 in Hà Nội is 16:30 UTC the same day; 05/07 06:00 local is 04/07 23:00 UTC."""
    loaded = find_campaign(SEED_003, folder=campaigns, use_store=False)
    occ = find_occurrence(
        loaded.spec,
        loaded.spec.milestone("ho-so-bang-khen"),
        None,
        datetime(2023, 7, 4, tzinfo=UTC),
    )
    assert stamp(occ, datetime(2023, 7, 4, 23, 0, tzinfo=UTC), tz=VN)[0] is SubmissionTiming.LATE
    assert stamp(occ, datetime(2023, 7, 2, 18, 0, tzinfo=UTC), tz=VN)[0] is SubmissionTiming.ON_TIME


def test_window_with_late_accept_marks_early_and_late(store, capsys) -> None:
    code, out, _ = run(
        capsys, "submit", CODE, "--don-vi", "SO-A", "--moc", "ho-so", "--luc", "01/11/2024 9:00"
    )
    assert code == 0
    assert "SỚM 3 ngày (trước khi mở nhận)" in out
    code, out, _ = run(
        capsys, "submit", CODE, "--unit", "XA-1", "--milestone", "ho-so", "--at", "7/11/2024 14h"
    )
    assert code == 0 and "TRỄ HẠN 2 ngày" in out
    got = {r.unit_code: r.timing for r in rows(CODE)}
    assert got == {"SO-A": SubmissionTiming.EARLY, "XA-1": SubmissionTiming.LATE}


# --- refusals write nothing --------------------------------------------------------------


def test_late_nomination_is_refused_and_nothing_is_written(store, capsys, tmp_path) -> None:
    pdf = write_pdf(tmp_path / "to-trinh.pdf")
    code, out, err = run(
        capsys,
        "submit", SEED_003, "--don-vi", "SYT", "--moc", "ho-so-bang-khen",
        "--luc", "05/07/2023 08:15", "--tep", str(pdf),
    )  # fmt: skip
    assert code == 1 and out == ""
    assert "Sở Y tế nộp lúc 08:15 ngày 05/07/2023 (thứ Tư), trễ hạn 1 ngày" in err
    assert WINDOW in err
    assert rows() == []
    assert files_in(tmp_path / "data") == []


def test_early_nomination_is_refused_too(store, capsys) -> None:
    code, _, err = run(
        capsys, "submit", SEED_003, "--don-vi", "SYT", "--moc", "ho-so-bang-khen",
        "--luc", "30/6/2023 10:00",
    )  # fmt: skip
    assert code == 1 and "sớm 3 ngày" in err and WINDOW in err
    assert rows() == []


def test_nomination_inside_the_window_is_recorded(store, capsys, tmp_path) -> None:
    docx = write_docx(tmp_path / "Tờ trình.docx")
    code, out, _ = run(
        capsys, "submit", SEED_003, "--don-vi", "syt", "--moc", "ho-so-bang-khen",
        "--luc", "04/07/2023 23:59", "--tep", str(docx), "--nguoi-nhap", "Văn thư",
    )  # fmt: skip
    assert code == 0
    assert out == (
        "Đã ghi nhận: Sở Y tế nộp hồ sơ đề nghị khen thưởng cho mốc “Nộp hồ sơ đề nghị Bằng "
        "khen (trực tuyến mức độ 4)” lúc 23:59 ngày 04/07/2023 (thứ Ba) — đúng hạn; 1 tệp: "
        "Tờ trình.docx\n"
    )
    [row] = rows()
    assert row.unit_code == "SYT" and row.timing is SubmissionTiming.ON_TIME
    assert row.submitted_at == datetime(2023, 7, 4, 16, 59, tzinfo=UTC)
    assert row.requirement == "nomination_dossier" and row.recorded_by == "Văn thư"
    [stored] = row.files
    copy = Path(stored["path"])
    assert (
        copy.parent
        == tmp_path / "data" / "files" / "75nam-tdaq-kh-ubnd" / "ho-so-bang-khen" / "-" / "SYT"
    )
    assert copy.read_bytes() == docx.read_bytes()
    assert stored["sha256"] == hashlib.sha256(docx.read_bytes()).hexdigest()
    assert stored["size"] == docx.stat().st_size and stored["name"] == "Tờ trình.docx"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--don-vi", "SXX", "--moc", "bao-cao-ket-qua"), ["không có đơn vị “SXX”"]),
        (("--don-vi", "BTDKT", "--moc", "bao-cao-ket-qua"), ["“BTDKT”", "không thuộc đối tượng"]),
        (("--don-vi", "SYT", "--moc", "bao-cao"), ["không có mốc “bao-cao”", "bao-cao-ket-qua"]),
        (("--don-vi", "SYT", "--moc", "launch"), ["“launch”", "không yêu cầu nộp gì"]),
        (("--don-vi", "SYT", "--moc", "bao-cao-ket-qua", "--ky", "2024"), ["không chia kỳ"]),
        (("--don-vi", "SYT", "--moc", "bao-cao-ket-qua", "--luc", "31/02/2023"), ["“31/02/2023”"]),
        (("--don-vi", "SYT", "--moc", "bao-cao-ket-qua", "--luc", "hôm qua"), ["“hôm qua”"]),
        (("--don-vi", "SYT", "--moc", "bao-cao-ket-qua", "--luc", "1/1/2999"), ["tương lai"]),
    ],
)
def test_bad_input_is_named_and_changes_nothing(store, capsys, args, words) -> None:
    code, out, err = run(capsys, "submit", SEED_003, *args)
    assert code == 1 and out == "" and err.startswith("lỗi: ")
    for word in words:
        assert word in err
    assert rows() == []


def test_unknown_campaign(store, capsys) -> None:
    code, _, err = run(capsys, "submit", "9/KH-KHONG", "--don-vi", "SYT", "--moc", "x")
    assert code == 1 and "“9/KH-KHONG”" in err and SEED_003 in err


# --- duplicates ---------------------------------------------------------------------------


def test_duplicate_is_refused_then_replaced(store, capsys) -> None:
    base = ("submit", SEED_003, "--don-vi", "SYT", "--moc", "bao-cao-ket-qua")
    code, out, _ = run(capsys, *base, "--luc", "10/7/2023 16:30", "--ghi-chu", "bản đầu")
    assert code == 0 and out.rstrip().endswith("— đúng hạn")
    [first] = rows()

    code, out, err = run(capsys, *base, "--luc", "12/7/2023 08:00")
    assert code == 1 and out == ""
    assert "Sở Y tế đã nộp cho mốc “bao-cao-ket-qua”" in err
    assert "bản nộp lúc 16:30 ngày 10/07/2023 (thứ Hai) đã được ghi nhận lúc" in err
    # The library says to choose replacing; the terminal names the flag that does it.
    assert err.endswith(
        "muốn thay thế bản đó thì ghi nhận lại và chọn thay thế bản đã có (--thay-the)\n"
    )
    [still] = rows()
    assert (still.submitted_at, still.note) == (first.submitted_at, "bản đầu")

    code, out, _ = run(capsys, *base, "--luc", "12/7/2023 08:00", "--thay-the")
    assert code == 0
    assert "TRỄ HẠN 2 ngày (thay thế bản ghi nhận lúc" in out
    [replaced] = rows()
    assert replaced.id == first.id and replaced.timing is SubmissionTiming.LATE
    assert replaced.note is None


def test_dry_run_checks_everything_and_writes_nothing(store, capsys) -> None:
    base = ("submit", SEED_003, "--don-vi", "SYT", "--moc", "bao-cao-ket-qua", "--luc", "9/7/2023")
    code, out, _ = run(capsys, *base, "--dry-run")
    assert code == 0 and out.startswith("Hợp lệ, chưa ghi (--dry-run): Sở Y tế nộp báo cáo")
    assert rows() == []
    run(capsys, *base)
    code, _, err = run(capsys, *base, "--dry-run")
    assert code == 1 and "đã được ghi nhận" in err


# --- a submission stops reminders -------------------------------------------------------------


def test_a_submission_stops_reminders_for_that_unit(store, capsys, campaigns) -> None:
    from thidua.tasks.actions import load_action, resolve_audience

    path = str(campaigns / "so_lieu.py")
    loaded = find_campaign(CODE)
    plan = compile_plan(loaded.spec, loaded.registry)
    key = next(a.key for a in plan.actions if a.milestone == "bao-cao" and a.kind == "reminder")
    ctx = load_action.fn(path, key)
    before = resolve_audience.fn(ctx)
    assert sorted(before.recipients) == ["SO-A", "SO-B", "XA-1", "XA-2"]

    code, _, _ = run(
        capsys, "submit", CODE, "--don-vi", "XA-2", "--moc", "bao-cao", "--luc", "2/12/2024"
    )
    assert code == 0
    with session_scope() as session:
        assert submission_rows.submitted_units(
            session, campaign_code=CODE, milestone="bao-cao", occurrence=""
        ) == {"XA-2"}
    after = resolve_audience.fn(ctx)
    assert sorted(after.recipients) == ["SO-A", "SO-B", "XA-1"]
    assert after.submitted == 1 and after.total == 4


# --- target figures -------------------------------------------------------------------------


def test_figures_for_a_quarter_are_recorded(store, capsys) -> None:
    code, out, _ = run(
        capsys, "submit", CODE, "--don-vi", "SO-B", "--moc", "so-lieu-quy", "--ky", "quý II/2024",
        "--so-lieu", "sang-kien=12/40", "--so-lieu", "mo-hinh=2,5", "--luc", "20/06/2024 17:00",
    )  # fmt: skip
    assert code == 0
    assert "nộp số liệu chỉ tiêu cho mốc “Báo cáo số liệu chỉ tiêu” quý II/2024" in out
    [row] = rows(CODE)
    assert row.occurrence == "2024-Q2"
    assert row.figures == {
        "sang-kien": {"value": 12, "base": 40},
        "mo-hinh": {"value": 2.5, "base": None},
    }


def test_occurrence_is_chosen_by_the_day_or_must_be_given(store, capsys) -> None:
    base = (
        "submit",
        CODE,
        "--don-vi",
        "SO-A",
        "--moc",
        "so-lieu-quy",
        "--so-lieu",
        "sang-kien=1/2",
    )
    code, _, err = run(capsys, *base, "--so-lieu", "mo-hinh=1", "--luc", "10/06/2024")
    assert code == 1
    assert "có 4 kỳ" in err and "2024-Q2 (quý II/2024, đến hết ngày 20 tháng 6 năm 2024" in err
    assert "--ky" in err
    code, out, _ = run(capsys, *base, "--so-lieu", "mo-hinh=1", "--luc", "20/06/2024 08:00")
    assert code == 0 and "quý II/2024" in out


@pytest.mark.parametrize(
    ("figures", "words"),
    [
        (["sang-kien=12/40", "mo-hinh=mười"], ["“mo-hinh”", "“mười” không phải là số"]),
        (["sang-kien=12/40", "mo-hinh=-1"], ["“mo-hinh”", "không âm"]),
        (["sang-kien=12", "mo-hinh=1"], ["“sang-kien” là tỉ lệ", "sang-kien=12/40"]),
        (["sang-kien=41/40", "mo-hinh=1"], ["tử số 41 lớn hơn mẫu số 40"]),
        (["sang-kien=0/0", "mo-hinh=1"], ["mẫu số (Tổng số cán bộ) phải lớn hơn 0"]),
        (["sang-kien=1/4", "mo-hinh=1/2"], ["“mo-hinh” là số lượng", "không có mẫu số"]),
        (["sang-kien=1/4", "mo-hinh=1", "sang-kin=3"], ["“sang-kin”", "sang-kien, mo-hinh"]),
        (["sang-kien=1/4"], ["còn thiếu: mo-hinh"]),
        (["sang-kien 1/4"], ["“sang-kien 1/4”", "MÃ-CHỈ-TIÊU=giá trị"]),
    ],
)
def test_bad_figures_are_refused(store, capsys, figures, words) -> None:
    args = [a for f in figures for a in ("--so-lieu", f)]
    code, _, err = run(
        capsys, "submit", CODE, "--don-vi", "SO-A", "--moc", "so-lieu-quy", "--ky", "2024-Q1",
        "--luc", "19/3/2024", *args,
    )  # fmt: skip
    assert code == 1
    for word in words:
        assert word in err
    assert rows(CODE) == []


def test_attainment_and_meets(campaigns: Path) -> None:
    spec = find_campaign(CODE, folder=campaigns, use_store=False).spec
    ratio, count = spec.targets
    figures = validate_figures(spec, {"sang-kien": "30/40", "mo-hinh": "3"}, required=True)
    assert figures == {"sang-kien": Figure(30, 40), "mo-hinh": Figure(3)}
    assert attainment(ratio, figures["sang-kien"]) == pytest.approx(0.75)
    assert not meets(ratio, figures["sang-kien"])
    assert (
        meets(ratio, {"value": 40, "base": 40})
        and attainment(ratio, {"value": 40, "base": 40}) == 1
    )
    assert attainment(count, figures["mo-hinh"]) == pytest.approx(1.5) and meets(
        count, {"value": 2}
    )
    assert attainment(ratio, None) is None and not meets(ratio, None)
    assert total([{"value": 30, "base": 40}, {"value": 10, "base": 10}]) == Figure(40, 50)
    assert validate_figures(spec, {"mo-hinh": 1.5})["mo-hinh"] == Figure(1.5)
    assert validate_figures(spec, {"MO-HINH": "12.5"})["mo-hinh"] == Figure(12.5)


# --- files ------------------------------------------------------------------------------------


def test_a_pdf_that_is_really_text_is_refused_naming_the_file(store, capsys, tmp_path) -> None:
    fake = tmp_path / "bao-cao-ket-qua.pdf"
    fake.write_text("Báo cáo kết quả thi đua năm 2023", encoding="utf-8")
    code, out, err = run(
        capsys, "submit", SEED_003, "--don-vi", "SYT", "--moc", "bao-cao-ket-qua",
        "--luc", "10/7/2023", "--tep", str(write_pdf(tmp_path / "ok.pdf")), "--tep", str(fake),
    )  # fmt: skip
    assert code == 1 and out == ""
    assert "tệp “bao-cao-ket-qua.pdf”" in err
    assert "không phải PDF" in err and "văn bản thuần" in err
    assert rows() == [] and files_in(tmp_path / "data") == []


def test_check_file_knows_what_each_type_is(tmp_path: Path) -> None:
    good = [
        write_pdf(tmp_path / "a.pdf"),
        write_docx(tmp_path / "b.docx"),
        write_xlsx(tmp_path / "c.xlsx", [["Mã đơn vị"], ["SYT"]]),
        write_png(tmp_path / "d.png"),
    ]
    (tmp_path / "e.txt").write_text("Ghi chú tiếng Việt", encoding="utf-8")
    good.append(tmp_path / "e.txt")
    for path in good:
        check_file(path)

    bad: dict[str, tuple[Path, str]] = {}
    (tmp_path / "x.docx").write_bytes((tmp_path / "c.xlsx").read_bytes())
    bad["x.docx"] = (tmp_path / "x.docx", "bên trong là Excel (XLSX)")
    bad["y.xlsx"] = (write_zip(tmp_path / "y.xlsx"), "không có [Content_Types].xml")
    (tmp_path / "z.doc").write_bytes((tmp_path / "b.docx").read_bytes())
    bad["z.doc"] = (tmp_path / "z.doc", "tệp nén ZIP")
    (tmp_path / "w.png").write_bytes(b"GIF89a" + b"\x00" * 20)
    bad["w.png"] = (tmp_path / "w.png", "ảnh GIF")
    (tmp_path / "v.txt").write_bytes("Báo cáo".encode("cp1258"))
    bad["v.txt"] = (tmp_path / "v.txt", "không phải văn bản UTF-8")
    (tmp_path / "u.pdf").write_bytes(b"")
    bad["u.pdf"] = (tmp_path / "u.pdf", "tệp rỗng")
    (tmp_path / "t.exe").write_bytes(b"MZ")
    bad["t.exe"] = (tmp_path / "t.exe", "không nhận đuôi “.exe”")
    bad["s.pdf"] = (tmp_path / "s.pdf", "không tìm thấy tệp")
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100 + "Workbook".encode("utf-16-le")
    (tmp_path / "r.doc").write_bytes(ole)
    bad["r.doc"] = (tmp_path / "r.doc", "của chương trình khác")
    (tmp_path / "q.xls").write_bytes(ole)
    check_file(tmp_path / "q.xls")
    for name, (path, words) in bad.items():
        with pytest.raises(FileCheckError) as caught:
            check_file(path)
        assert str(caught.value).startswith(f"tệp “{name}”: ") and words in str(caught.value), (
            name,
            str(caught.value),
        )


def test_store_file_never_overwrites_and_undo_removes_only_new_copies(store, tmp_path) -> None:
    where = {"campaign": SEED_003, "milestone": "ho-so-bang-khen", "occurrence": "", "unit": "SYT"}
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = store_file(write_pdf(tmp_path / "a" / "to-trinh.pdf", "one"), **where)
    other = write_pdf(tmp_path / "b" / "to-trinh.pdf", "two")
    batch = FileBatch()
    second = batch.store(other, **where)
    again = batch.store(tmp_path / "a" / "to-trinh.pdf", **where)  # same content: reused
    assert Path(second["path"]).name == "to-trinh (2).pdf"
    assert again["path"] == first["path"]
    batch.undo()
    assert Path(first["path"]).is_file() and not Path(second["path"]).exists()


def test_files_removed_when_the_database_write_fails(store, tmp_path, monkeypatch) -> None:
    loaded = find_campaign(SEED_003)
    prepared = prepare(
        loaded,
        unit="SYT",
        milestone="bao-cao-ket-qua",
        submitted_at="10/7/2023 10:00",
        files=[write_pdf(tmp_path / "bc.pdf")],
    )

    def broken(session: Session, **fields: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(submission_rows, "add_submission", broken)
    from thidua.ledger.submissions import record

    with pytest.raises(RuntimeError):
        record(prepared)
    assert files_in(tmp_path / "data") == []
    assert rows() == []


def test_prepare_reports_every_problem_of_a_submission(campaigns: Path) -> None:
    loaded = find_campaign(CODE, folder=campaigns, use_store=False)
    with pytest.raises(SubmissionError) as caught:
        prepare(
            loaded,
            unit="SO-Z",
            milestone="so-lieu-quy",
            occurrence="2024-Q3",
            submitted_at="ngày mai",
            figures={"sang-kien": "x/2", "mo-hinh": "1"},
        )
    fields = [e.field for e in caught.value.errors]
    assert fields == ["unit", "submitted_at", "figures.sang-kien"]
    with pytest.raises(OutsideWindow):
        prepare(find_campaign(SEED_003, folder=campaigns, use_store=False), unit="SYT",
                milestone="ho-so-bang-khen", submitted_at="5/7/2023 00:01")  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20/5/2026 09:30", datetime(2026, 5, 20, 9, 30, tzinfo=VN)),
        ("20-05-2026 9h30", datetime(2026, 5, 20, 9, 30, tzinfo=VN)),
        ("9 giờ 30 phút ngày 20/5/2026", datetime(2026, 5, 20, 9, 30, tzinfo=VN)),
        ("lúc 16:45, ngày 03/07/2023", datetime(2023, 7, 3, 16, 45, tzinfo=VN)),
        ("2026-05-20 09:30", datetime(2026, 5, 20, 9, 30, tzinfo=VN)),
        ("2026-05-20T02:30:00+00:00", datetime(2026, 5, 20, 2, 30, tzinfo=UTC)),
        ("20/5/2026", datetime(2026, 5, 20, 0, 0, tzinfo=VN)),
    ],
)
def test_parse_time(text: str, expected: datetime) -> None:
    assert parse_time(text, tz=VN) == expected


def test_listing(store, capsys) -> None:
    run(
        capsys,
        "submit",
        SEED_003,
        "--don-vi",
        "SYT",
        "--moc",
        "bao-cao-ket-qua",
        "--luc",
        "11/7/2023 8:00",
    )
    run(
        capsys,
        "submit",
        SEED_003,
        "--don-vi",
        "SGDDT",
        "--moc",
        "bao-cao-ket-qua",
        "--luc",
        "7/7/2023",
    )
    code, out, _ = run(capsys, "submissions", SEED_003, "--moc", "bao-cao-ket-qua")
    assert code == 0
    assert "│ bao-cao-ket-qua │ -  │ SYT (Sở Y tế)" in out and "trễ hạn" in out
    assert "bao-cao-ket-qua: 2/32 đơn vị đã nộp (1 không đúng hạn)" in out
    code, out, _ = run(capsys, "submissions", CODE)
    assert code == 0 and "chưa ghi nhận bản nộp nào" in out
