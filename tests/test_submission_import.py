"""`thidua import-submissions`: CSV and XLSX, every row checked first, all rows or none."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from thidua.ledger.statuses import SubmissionTiming
from thidua.store import submission_rows
from thidua.store.db import session_scope

from .submission_fixtures import CODE, SEED_003, run, write_xlsx


def rows(code: str = CODE) -> list:
    with session_scope() as session:
        found = submission_rows.submissions_for(session, campaign_code=code)
        session.expunge_all()
    return found


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


GOOD_CSV = """\
Mã đơn vị,Mốc,Kỳ,Thời điểm nộp,sang-kien,mo-hinh,Ghi chú
SO-A,so-lieu-quy,2024-Q1,19/03/2024 10:00,12/40,2,
SO-B,so-lieu-quy,quý I/2024,22/03/2024 08:30,"30/30","1,5",nộp qua bưu điện
XA-1,so-lieu-quy,2024-Q1,20/3/2024,5/10,0,
"""


def test_csv_import_records_every_row(store, capsys, tmp_path) -> None:
    code, out, err = run(
        capsys, "import-submissions", CODE, str(write_csv(tmp_path / "q1.csv", GOOD_CSV))
    )
    assert code == 0, err
    assert out == f"Đã nhập 3 bản nộp vào {CODE} từ q1.csv: 2 đúng hạn, 1 trễ hạn\n"
    got = {r.unit_code: r for r in rows()}
    assert set(got) == {"SO-A", "SO-B", "XA-1"}
    assert got["SO-B"].timing is SubmissionTiming.LATE and got["SO-B"].note == "nộp qua bưu điện"
    assert got["SO-B"].figures == {
        "sang-kien": {"value": 30, "base": 30},
        "mo-hinh": {"value": 1.5, "base": None},
    }
    assert {r.source for r in got.values()} == {"import"}
    assert {r.occurrence for r in got.values()} == {"2024-Q1"}


def test_csv_with_one_bad_row_imports_nothing_and_names_the_row(store, capsys, tmp_path) -> None:
    bad = GOOD_CSV.replace(
        'SO-B,so-lieu-quy,quý I/2024,22/03/2024 08:30,"30/30"',
        'SO-B,so-lieu-quy,quý I/2024,22/03/2024 08:30,"mười/30"',
    )
    code, out, err = run(
        capsys, "import-submissions", CODE, str(write_csv(tmp_path / "q1.csv", bad))
    )
    assert code == 1 and out == ""
    assert "q1.csv: 1 dòng có lỗi, không nhập dòng nào" in err
    assert "dòng 3, cột “sang-kien”: số liệu chỉ tiêu “sang-kien”: “mười” không phải là số" in err
    assert "(giá trị: “mười/30”)" in err
    assert rows() == []


def test_every_bad_row_is_reported_with_its_column_and_value(store, capsys, tmp_path) -> None:
    text = """\
Mã đơn vị,Mốc,Kỳ,Thời điểm nộp,sang-kien,mo-hinh
SO-Z,so-lieu-quy,2024-Q1,19/03/2024,1/2,1
SO-A,so-lieu-quy,2024-Q7,19/03/2024,1/2,1
SO-B,so-lieu-quy,2024-Q1,32/03/2024,1/2,1
XA-1,so-lieu-quy,2024-Q1,19/03/2024,3/2,-1
XA-2,so-lieu-quy,2024-Q1,19/03/2024,1/2,1
XA-2,so-lieu-quy,2024-Q1,19/03/2024,1/2,1
"""
    code, _, err = run(capsys, "import-submissions", CODE, str(write_csv(tmp_path / "x.csv", text)))
    assert code == 1
    assert "x.csv: 5 dòng có lỗi, không nhập dòng nào" in err
    assert "dòng 2, cột “Mã đơn vị”: không có đơn vị “SO-Z”" in err
    assert "dòng 3, cột “Kỳ”: mốc “so-lieu-quy” không có kỳ “2024-Q7”" in err
    assert "dòng 4, cột “Thời điểm nộp”: thời điểm nộp “32/03/2024”" in err
    assert "dòng 5, cột “sang-kien”" in err and "tử số 3 lớn hơn mẫu số 2" in err
    assert "dòng 5, cột “mo-hinh”" in err and "không âm" in err
    assert "dòng 7: trùng với dòng 6" in err
    assert rows() == []


def test_xlsx_import_with_english_headers_dates_and_base_columns(store, capsys, tmp_path) -> None:
    book = write_xlsx(
        tmp_path / "so-lieu.xlsx",
        [
            ["Số liệu chỉ tiêu quý II/2024"],  # a title row above the header, as offices do
            [],
            ["STT", "Unit", "Milestone", "Occurrence", "Submitted at", "sang-kien",
             "sang-kien mẫu số", "mo-hinh", "Note", "Recorded by"],
            [1, "SO-A", "so-lieu-quy", "2024-Q2", datetime(2024, 6, 20, 16, 0), 18, 20, 3, None, "Hà"],
            [2, "XA-2", "so-lieu-quy", "2024-Q2", datetime(2024, 6, 24, 9, 15), 7, 12, 0, "muộn", "Hà"],
        ],
    )  # fmt: skip
    code, out, err = run(capsys, "import-submissions", CODE, str(book))
    assert code == 0, err
    assert out == f"Đã nhập 2 bản nộp vào {CODE} từ so-lieu.xlsx: 1 đúng hạn, 1 trễ hạn\n"
    got = {r.unit_code: r for r in rows()}
    assert got["SO-A"].figures["sang-kien"] == {"value": 18, "base": 20}
    assert got["SO-A"].submitted_at == datetime(2024, 6, 20, 9, 0, tzinfo=UTC)
    assert got["SO-A"].recorded_by == "Hà" and got["SO-A"].timing is SubmissionTiming.ON_TIME
    assert got["XA-2"].timing is SubmissionTiming.LATE and got["XA-2"].note == "muộn"


def test_dry_run_and_duplicates_against_the_store(store, capsys, tmp_path) -> None:
    path = write_csv(tmp_path / "q1.csv", GOOD_CSV)
    code, out, _ = run(capsys, "import-submissions", CODE, str(path), "--dry-run")
    assert code == 0
    assert (
        out
        == "Kiểm tra xong q1.csv: 3 dòng hợp lệ (2 đúng hạn, 1 trễ hạn); chưa ghi gì (--dry-run)\n"
    )
    assert rows() == []
    assert run(capsys, "import-submissions", CODE, str(path))[0] == 0
    code, _, err = run(capsys, "import-submissions", CODE, str(path))
    assert code == 1 and "3 dòng có lỗi" in err
    assert "dòng 2, cột “Mã đơn vị”: Sở A đã nộp mốc “so-lieu-quy”" in err
    assert "muốn thay thế thì nhập lại và chọn thay thế bản đã có" in err
    assert err.endswith("\n(thay thế các bản đã ghi nhận: --thay-the)\n")
    code, out, _ = run(capsys, "import-submissions", CODE, str(path), "--thay-the")
    assert code == 0 and "thay thế 3 bản đã có" in out
    assert len(rows()) == 3


def test_semicolon_csv_from_excel_with_a_bom(store, capsys, tmp_path) -> None:
    text = "\ufeffUnit;Milestone;Submitted at\nSYT;bao-cao-ket-qua;10/07/2023 17:00\n"
    code, out, err = run(
        capsys, "import-submissions", SEED_003, str(write_csv(tmp_path / "bc.csv", text))
    )
    assert code == 0, err
    assert "1 đúng hạn, 0 trễ hạn" in out
    assert [r.unit_code for r in rows(SEED_003)] == ["SYT"]


def test_unreadable_files_and_headers(store, capsys, tmp_path) -> None:
    cp1258 = tmp_path / "a.csv"  # “Mã đơn vị” as Excel saves it on an old Windows (Windows-1258)
    cp1258.write_bytes(b"M\xe3 \xf0\xf5n vi\xf2,Mo\xf4\xec c\nSYT,bao-cao-ket-qua\n")
    code, _, err = run(capsys, "import-submissions", SEED_003, str(cp1258))
    assert code == 1 and "không phải bảng mã UTF-8" in err

    unknown = write_csv(tmp_path / "b.csv", "Mã đơn vị,Mốc,Số liệu lạ\nSYT,bao-cao-ket-qua,1\n")
    code, _, err = run(capsys, "import-submissions", SEED_003, str(unknown))
    assert code == 1 and "cột “Số liệu lạ”: cột không dùng được" in err

    no_time = write_csv(tmp_path / "t.csv", "Mã đơn vị,Mốc\nSYT,bao-cao-ket-qua\n")
    code, _, err = run(capsys, "import-submissions", SEED_003, str(no_time))
    assert code == 1 and "thiếu cột “Thời điểm nộp”" in err

    blank = "Mã đơn vị,Mốc,Thời điểm nộp\nSYT,bao-cao-ket-qua,\n"
    code, _, err = run(
        capsys, "import-submissions", SEED_003, str(write_csv(tmp_path / "u.csv", blank))
    )
    assert code == 1 and "dòng 2, cột “Thời điểm nộp”: thiếu thời điểm nộp" in err

    no_header = write_csv(tmp_path / "c.csv", "a,b\n1,2\n")
    code, _, err = run(capsys, "import-submissions", SEED_003, str(no_header))
    assert code == 1 and "không tìm thấy dòng tiêu đề" in err

    fake = tmp_path / "d.xlsx"
    fake.write_text("không phải Excel", encoding="utf-8")
    code, _, err = run(capsys, "import-submissions", SEED_003, str(fake))
    assert code == 1 and "không phải tệp Excel .xlsx" in err

    code, _, err = run(capsys, "import-submissions", SEED_003, str(tmp_path / "khong-co.csv"))
    assert code == 1 and "không tìm thấy tệp" in err
    assert rows(SEED_003) == []
