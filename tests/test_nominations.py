"""Nominations (hồ sơ đề nghị khen thưởng) on the real store: dossier, window, duplicates, workflow, CLI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from thidua.campaign.kinds import NomineeKind
from thidua.cli.main import main
from thidua.config import get_settings, set_settings
from thidua.errors import NominationError, OutsideWindow
from thidua.ledger.dossier import IncompleteDossier, find_award, match_item, parse_kind
from thidua.ledger.files import FileCheckError
from thidua.ledger.nominations import DuplicateNomination, insert_nomination
from thidua.ledger.review import history, move, parse_status
from thidua.ledger.statuses import NominationStatus, SubmissionTiming
from thidua.store.db import session_scope
from thidua.store.models import Nomination

from .conftest import CAMPAIGNS
from .nomination_helpers import (
    BANG_KHEN,
    CODE_2023,
    CODE_SNGV,
    DOSSIER_2023,
    HCM,
    at,
    dossier,
    nominate_in,
    pdf,
    request,
    seed_2023,
    sngv,
    store_state,
    stored_files,
)

S = NominationStatus


def refusal(engine: Engine, loaded, req, error: type[Exception] = NominationError) -> Exception:
    """Nominate expecting `error`; assert the store and the files are unchanged; the error."""
    before = store_state(engine)
    with pytest.raises(error) as info:
        nominate_in(engine, loaded, req)
    assert store_state(engine) == before
    return info.value


def refused(engine: Engine, loaded, req, error: type[Exception] = NominationError) -> str:
    """The message of `refusal`: the library's own wording, which never names a CLI flag."""
    message = str(refusal(engine, loaded, req, error))
    assert "(--" not in message, message
    return message


# --- recording ------------------------------------------------------------------------


def test_a_complete_nomination_is_recorded_with_its_documents_and_first_event(
    fresh_db: Engine, tmp_path: Path
) -> None:
    nomination = nominate_in(fresh_db, seed_2023(), request(documents=dossier(tmp_path)))
    assert nomination.id is not None
    assert (
        nomination.unit_code == "SGDDT"
        and nomination.award == "bang_khen_cua_chu_tich_uy_ban_nhan_dan_tinh"
    )
    assert nomination.nominee_kind == "ca_nhan" and nomination.nominee_key == "nguyen_van_an"
    assert nomination.milestone == "ho-so-bang-khen" and nomination.occurrence == ""
    assert nomination.timing is SubmissionTiming.ON_TIME and nomination.status is S.SUBMITTED
    assert [d["document"] for d in nomination.documents] == DOSSIER_2023
    for d in nomination.documents:
        kept = Path(d["path"])
        assert kept.is_file() and kept.is_relative_to(get_settings().data_dir / "files")
        assert kept.read_bytes().startswith(b"%PDF-") and d["size"] == kept.stat().st_size
    with session_scope(fresh_db) as session:
        _, events = history(session, nomination.id)
    assert [(e.from_status, e.to_status, e.actor) for e in events] == [
        (None, S.SUBMITTED, "Văn thư SGDDT")
    ]


@pytest.mark.parametrize(
    ("given", "item"),
    [
        ("1", DOSSIER_2023[0]),
        ("3", DOSSIER_2023[2]),
        ("Tờ trình đề nghị khen thưởng", DOSSIER_2023[0]),
        ("TO TRINH DE NGHI KHEN THUONG", DOSSIER_2023[0]),
        ("biên bản", DOSSIER_2023[1]),
        ("Bao cao thanh tich", DOSSIER_2023[2]),
    ],
)
def test_dossier_items_match_by_number_name_or_unique_prefix(given: str, item: str) -> None:
    assert match_item(seed_2023().spec.awards[0], given) == item


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ("4", "tài liệu số 4 không có"),
        ("B", "khớp với nhiều tài liệu"),
        ("Giấy chứng nhận", "“Giấy chứng nhận” không có"),
    ],
)
def test_an_unknown_or_ambiguous_item_lists_the_dossier(given: str, said: str) -> None:
    with pytest.raises(NominationError) as info:
        match_item(seed_2023().spec.awards[0], given)
    message = str(info.value)
    assert said in message
    assert all(f"{i}. {name}" in message for i, name in enumerate(DOSSIER_2023, 1))


def test_an_incomplete_dossier_is_refused_listing_what_is_missing(
    fresh_db: Engine, tmp_path: Path
) -> None:
    only_first = dossier(tmp_path)[:1]
    message = refused(fresh_db, seed_2023(), request(documents=only_first), IncompleteDossier)
    assert "còn thiếu 2 tài liệu" in message
    assert f"  2. {DOSSIER_2023[1]}" in message and f"  3. {DOSSIER_2023[2]}" in message
    assert DOSSIER_2023[0] not in message


def test_the_same_document_twice_is_refused(fresh_db: Engine, tmp_path: Path) -> None:
    docs = [*dossier(tmp_path), ("Tờ trình", str(pdf(tmp_path, "khac.pdf")))]
    message = refused(fresh_db, seed_2023(), request(documents=docs))
    assert f"tài liệu “{DOSSIER_2023[0]}” được nộp hai lần" in message


def test_a_pdf_that_is_not_a_pdf_is_refused_naming_the_file(
    fresh_db: Engine, tmp_path: Path
) -> None:
    fake = tmp_path / "bao_cao_thanh_tich.pdf"
    fake.write_text("Báo cáo thành tích (bản nháp)", encoding="utf-8")
    docs = [*dossier(tmp_path)[:2], ("3", str(fake))]
    message = refused(fresh_db, seed_2023(), request(documents=docs), FileCheckError)
    assert "“bao_cao_thanh_tich.pdf”" in message and "không phải PDF" in message


def test_files_are_not_stored_when_a_later_rule_refuses(fresh_db: Engine, tmp_path: Path) -> None:
    nominate_in(fresh_db, seed_2023(), request(documents=dossier(tmp_path, "a")))
    kept = stored_files()
    duplicate = request(documents=dossier(tmp_path, "b"))  # new files, same nominee
    refused(fresh_db, seed_2023(), duplicate, DuplicateNomination)
    assert stored_files() == kept


# --- window ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "said"),
    [("05/07/2023 08:00", "đã quá thời hạn"), ("02/07/2023 16:00", "chưa đến thời hạn")],
)
def test_outside_the_window_is_refused_saying_the_window(
    fresh_db: Engine, tmp_path: Path, moment: str, said: str
) -> None:
    req = request(documents=dossier(tmp_path), at=at(moment))
    message = refused(fresh_db, seed_2023(), req, OutsideWindow)
    assert said in message
    assert "trong ngày 03 và ngày 04 tháng 7 năm 2023" in message
    assert f"hồ sơ nộp lúc {moment[-5:]} ngày {moment[:10]}" in message


def test_the_last_minute_of_the_window_is_on_time(fresh_db: Engine, tmp_path: Path) -> None:
    req = request(documents=dossier(tmp_path), at=at("04/07/2023 23:59"))
    assert nominate_in(fresh_db, seed_2023(), req).timing is SubmissionTiming.ON_TIME


def test_a_late_nomination_is_kept_and_marked_when_the_campaign_accepts_it(
    fresh_db: Engine,
) -> None:
    req = request(
        unit="SNGV-QLBG",
        name="Hoàng Thị Mai",
        position="Chuyên viên",
        workplace="Phòng Quản lý biên giới",
        achievement="Tham mưu tốt công tác biên giới",
        at=at("26/05/2026 09:00"),
    )
    nomination = nominate_in(fresh_db, sngv(), req)
    assert nomination.timing is SubmissionTiming.LATE and nomination.milestone == "nomination"


def test_a_time_in_the_future_is_refused(fresh_db: Engine, tmp_path: Path) -> None:
    from datetime import timedelta

    from thidua.store.models import utcnow

    req = request(documents=dossier(tmp_path), at=utcnow() + timedelta(days=2))
    assert "chưa tới" in refused(fresh_db, seed_2023(), req)


# --- who, what, which award ---------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["Bằng khen", "bang khen", BANG_KHEN, "BANG KHEN CUA CHU TICH UY BAN NHAN DAN TINH"]
)
def test_the_award_is_found_by_name_or_prefix_ignoring_case_and_diacritics(text: str) -> None:
    assert find_award(seed_2023().spec, text).name == BANG_KHEN


def test_an_unknown_award_lists_the_campaigns_awards(fresh_db: Engine, tmp_path: Path) -> None:
    message = refused(fresh_db, seed_2023(), request(award="Huân chương Lao động"))
    assert "“Huân chương Lao động” không có" in message
    assert f"1. {BANG_KHEN}" in message
    assert "2. Giấy khen của Thủ trưởng các cơ quan, đơn vị, địa phương" in message


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("tập thể", NomineeKind.COLLECTIVE),
        ("ca_nhan", NomineeKind.INDIVIDUAL),
        ("Cá nhân", NomineeKind.INDIVIDUAL),
        ("hộ gia đình", NomineeKind.HOUSEHOLD),
    ],
)
def test_nominee_kinds_accept_their_aliases(text: str, kind: NomineeKind) -> None:
    assert parse_kind(text, seed_2023().spec.awards[0]) is kind


def test_a_kind_the_award_does_not_allow_is_refused(fresh_db: Engine) -> None:
    req = request(unit="SNGV-QLBG", kind="hộ gia đình", name="Hộ ông Nông Văn Dũng", position=None)
    message = refused(fresh_db, sngv(), req)
    assert "không dành cho hộ gia đình" in message and "tập thể, cá nhân" in message
    message = refused(fresh_db, sngv(), request(unit="SNGV-QLBG", kind="doanh nghiệp"))
    assert "“doanh nghiệp”" in message and "tap_the" in message


@pytest.mark.parametrize(
    ("unit", "said"),
    [
        ("KHONG-CO", "“KHONG-CO” không có trong danh sách đơn vị"),
        ("SNGV-VP", "SNGV-VP (Văn phòng Sở Ngoại vụ) không tham gia"),
    ],
)
def test_the_nominating_unit_must_take_part(fresh_db: Engine, unit: str, said: str) -> None:
    assert said in refused(fresh_db, sngv(), request(unit=unit))


def test_an_individual_needs_position_and_workplace_and_everyone_an_achievement(
    fresh_db: Engine, tmp_path: Path
) -> None:
    docs = dossier(tmp_path)
    error = refusal(fresh_db, seed_2023(), request(documents=docs, position=" ", workplace=None))
    assert "cần ghi chức vụ và đơn vị công tác" in str(error)
    assert isinstance(error, NominationError) and error.fields == ("position", "workplace")
    error = refusal(fresh_db, seed_2023(), request(documents=docs, achievement="  "))
    assert str(error) == "thiếu tóm tắt thành tích"
    assert isinstance(error, NominationError) and error.field == "achievement"
    error = refusal(fresh_db, seed_2023(), request(documents=docs, name=" "))
    assert str(error) == "thiếu tên đối tượng được đề nghị"
    assert isinstance(error, NominationError) and error.field == "nominee_name"
    collective = request(documents=docs, kind="tập thể", name="Phòng Khảo thí")
    assert "chức vụ chỉ ghi cho cá nhân" in refused(fresh_db, seed_2023(), collective)


# --- duplicates -----------------------------------------------------------------------


def test_the_same_nominee_for_the_same_achievement_is_refused_naming_the_first(
    fresh_db: Engine, tmp_path: Path
) -> None:
    first = nominate_in(fresh_db, seed_2023(), request(documents=dossier(tmp_path)))
    again = request(
        unit="SYT",  # another unit, other spelling: still the same person and achievement
        name="nguyễn  văn AN",
        achievement="hoàn thành xuất sắc nhiệm vụ 6 tháng đầu năm 2023",
        documents=dossier(tmp_path, "b"),
        at=at("04/07/2023 09:00"),
    )
    message = refused(fresh_db, seed_2023(), again, DuplicateNomination)
    assert f"hồ sơ số {first.id} của đơn vị SGDDT" in message
    assert "nộp lúc 10:00 ngày 03/07/2023" in message and "“Nguyễn Văn An”" in message
    other = request(achievement="Có sáng kiến cấp tỉnh năm 2023", documents=dossier(tmp_path, "c"))
    assert nominate_in(fresh_db, seed_2023(), other).id != first.id


def test_the_unique_key_is_the_last_guard_with_the_same_message(
    fresh_db: Engine, tmp_path: Path
) -> None:
    first = nominate_in(fresh_db, seed_2023(), request(documents=dossier(tmp_path)))
    before = store_state(fresh_db)
    twin = Nomination(
        **first.model_dump(exclude={"id", "unit_code", "documents"}),
        unit_code="SYT",
        documents=[],
    )
    with pytest.raises(DuplicateNomination) as info, session_scope(fresh_db) as session:
        insert_nomination(session, twin, actor="SYT", tz=HCM)
    assert f"hồ sơ số {first.id} của đơn vị SGDDT" in str(info.value)
    assert store_state(fresh_db) == before


# --- workflow -------------------------------------------------------------------------


def moved(engine: Engine, nomination_id: int, to: NominationStatus, **kwargs) -> Nomination:
    with session_scope(engine) as session:
        return move(
            session,
            nomination_id=nomination_id,
            to=to,
            actor=kwargs.pop("actor", "BTDKT"),
            **kwargs,
        )


def refused_move(engine: Engine, nomination_id: int, to: NominationStatus, **kwargs) -> str:
    before = store_state(engine)
    with pytest.raises(NominationError) as info:
        moved(engine, nomination_id, to, **kwargs)
    assert store_state(engine) == before
    assert "(--" not in str(info.value)  # the library's wording: no CLI flag
    return str(info.value)


def test_the_workflow_keeps_an_audit_trail(fresh_db: Engine, tmp_path: Path) -> None:
    n = nominate_in(fresh_db, seed_2023(), request(documents=dossier(tmp_path)))
    moved(fresh_db, n.id, S.RETURNED, reason="Báo cáo thành tích chưa có xác nhận của thủ trưởng")
    better = pdf(tmp_path / "moi", "bao_cao_da_ky.pdf", "signed")
    again = moved(
        fresh_db,
        n.id,
        S.RESUBMITTED,
        actor="SGDDT",
        documents=[("Báo cáo", str(better))],
        loaded=seed_2023(),
    )
    assert [d["document"] for d in again.documents] == DOSSIER_2023
    assert [d["name"] for d in again.documents] == [
        "to_trinh.pdf",
        "bien_ban.pdf",
        "bao_cao_da_ky.pdf",
    ]
    moved(fresh_db, n.id, S.ACCEPTED)
    final = moved(fresh_db, n.id, S.AWARDED, actor="UBND tỉnh", reason="Quyết định 1234/QĐ-UBND")
    assert final.status is S.AWARDED
    with session_scope(fresh_db) as session:
        _, events = history(session, n.id)
    assert [(e.from_status, e.to_status, e.actor, e.reason) for e in events] == [
        (None, S.SUBMITTED, "Văn thư SGDDT", None),
        (S.SUBMITTED, S.RETURNED, "BTDKT", "Báo cáo thành tích chưa có xác nhận của thủ trưởng"),
        (S.RETURNED, S.RESUBMITTED, "SGDDT", None),
        (S.RESUBMITTED, S.ACCEPTED, "BTDKT", None),
        (S.ACCEPTED, S.AWARDED, "UBND tỉnh", "Quyết định 1234/QĐ-UBND"),
    ]
    assert all(e.at.tzinfo is not None for e in events)


def test_invalid_moves_are_refused_with_the_current_status_and_the_allowed_ones(
    fresh_db: Engine, tmp_path: Path
) -> None:
    n = nominate_in(fresh_db, seed_2023(), request(documents=dossier(tmp_path)))
    message = refused_move(fresh_db, n.id, S.AWARDED)
    assert "đang ở trạng thái “đã nộp”, không thể chuyển sang “được khen thưởng”" in message
    assert "duyệt (accept), trả lại (return), rút (withdraw)" in message
    assert refused_move(fresh_db, n.id, S.RETURNED, reason="  ").endswith("cần ghi lý do")
    replacement = [("1", str(pdf(tmp_path, "x.pdf")))]
    message = refused_move(fresh_db, n.id, S.ACCEPTED, documents=replacement, loaded=seed_2023())
    assert "chỉ khi nộp lại (resubmit)" in message
    moved(fresh_db, n.id, S.RETURNED, reason="Thiếu chữ ký")
    moved(fresh_db, n.id, S.WITHDRAWN, actor="SGDDT")
    message = refused_move(fresh_db, n.id, S.RESUBMITTED)
    assert "đang ở trạng thái “đã rút”" in message and "không còn bước nào" in message
    assert "không có hồ sơ đề nghị số 999" in refused_move(fresh_db, 999, S.ACCEPTED)


def test_statuses_are_named_in_vietnamese_or_english() -> None:
    assert parse_status("trả lại") is S.RETURNED
    assert parse_status("khong duoc khen thuong") is S.NOT_AWARDED
    assert parse_status("awarded") is S.AWARDED
    with pytest.raises(NominationError, match="“xong” không hợp lệ"):
        parse_status("xong")


# --- the command ----------------------------------------------------------------------


@pytest.fixture
def cli_store(fresh_db: Engine) -> Iterator[Engine]:
    """The CLI's store is the test database (SQLite or PostgreSQL)."""
    url = fresh_db.url.render_as_string(hide_password=False)
    set_settings(get_settings().with_(database_url=url, campaigns_dir=CAMPAIGNS))
    yield fresh_db


def run(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def nominate_args(folder: Path, *extra: str) -> list[str]:
    docs = dossier(folder)
    return [
        "nominate", CODE_2023, "--don-vi", "HUYEN-HOA-AN", "--hinh-thuc", "bằng khen",
        "--loai", "ca_nhan", "--ten", "Lương Thị Hoa", "--chuc-vu", "Chủ tịch UBND xã",
        "--noi-cong-tac", "UBND xã Hồng Việt, huyện Hòa An",
        "--thanh-tich", "Dẫn đầu phong trào xây dựng nông thôn mới",
        "--tai-lieu", f"Tờ trình={docs[0][1]}", "--tai-lieu", f"2={docs[1][1]}",
        "--tai-lieu", f"báo cáo thành tích={docs[2][1]}", "--luc", "03/7/2023 14:30",
        *extra,
    ]  # fmt: skip


def test_the_commands_nominate_list_move_and_show_history(
    cli_store: Engine, capsys, tmp_path: Path
) -> None:
    code, out, err = run(capsys, *nominate_args(tmp_path, "--by", "Văn phòng HĐND-UBND Hòa An"))
    assert code == 0, err
    assert "Hồ sơ số 1 (đã nộp, đúng hạn)" in out and "Cá nhân: Lương Thị Hoa" in out
    assert "HUYEN-HOA-AN · Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh: 1/2" in out

    code, out, _ = run(capsys, "nominations", CODE_2023)
    assert code == 0
    assert "│ 1  │ HUYEN-HOA-AN │ Bằng khen │ cá nhân   │ Lương Thị Hoa │ đã nộp" in out
    assert "  HUYEN-HOA-AN · Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh: 1/2" in out

    code, out, _ = run(
        capsys, "nomination", "return", "1", "--ly-do", "Thiếu chữ ký", "--by", "BTDKT"
    )
    assert code == 0 and "trả lại — lý do: Thiếu chữ ký" in out
    code, out, _ = run(capsys, "nominations", CODE_2023, "--trang-thai", "trả lại")
    assert "1 hồ sơ" in out and "Lương Thị Hoa" in out
    code, out, _ = run(capsys, "nominations", CODE_2023, "--status", "accepted")
    assert code == 0 and "chưa có hồ sơ đề nghị khen thưởng nào (trạng thái “accepted”)" in out
    code, _, err = run(capsys, "nomination", "award", "1")
    assert code == 1 and "lỗi: hồ sơ số 1 đang ở trạng thái “trả lại”" in err

    code, out, _ = run(capsys, "nomination", "history", "1")
    assert code == 0
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines()[4:6]]
    assert [row[1:] for row in rows] == [
        ["—", "đã nộp", "Văn phòng HĐND-UBND Hòa An", ""],
        ["đã nộp", "trả lại", "BTDKT", "Thiếu chữ ký"],
    ]
    assert "Tờ trình đề nghị khen thưởng: to_trinh.pdf" in out


def test_the_english_aliases_work_too(cli_store: Engine, capsys, tmp_path: Path) -> None:
    docs = dossier(tmp_path)
    code, out, err = run(
        capsys, "nominate", CODE_2023, "--unit", "SYT", "--award", "Bang khen", "--kind", "tap_the",
        "--name", "Khoa Hồi sức tích cực, Bệnh viện Đa khoa tỉnh",
        "--workplace", "Bệnh viện Đa khoa tỉnh Cao Bằng", "--achievement", "Cứu chữa người bệnh",
        *(x for _, p in docs for x in ("--document", f"{_}={p}")), "--at", "2023-07-04 08:00",
    )  # fmt: skip
    assert code == 0, err
    assert "Tập thể: Khoa Hồi sức tích cực, Bệnh viện Đa khoa tỉnh" in out
    code, out, _ = run(capsys, "nominations", CODE_2023, "--unit", "syt")
    assert "(đơn vị SYT)" in out and "SYT · Bằng khen của Chủ tịch Ủy ban nhân dân tỉnh: 1/2" in out


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (("--luc", "05/7/2023 10:00"), ["đã quá thời hạn"]),
        (("--hinh-thuc", "Cờ thi đua"), ["“Cờ thi đua” không có", "(--hinh-thuc)\n"]),
        (("--loai", "tổ chức"), ["loại đối tượng “tổ chức”", "(--loai)\n"]),
        (
            ("--tai-lieu", "khongco"),
            [
                "phải có dạng MỤC=ĐƯỜNG-DẪN",
                '(nộp mỗi tài liệu bằng --tai-lieu "TÊN hoặc SỐ=ĐƯỜNG-DẪN")\n',
            ],
        ),
        (("--luc", "ngày mai"), ["“ngày mai” không hiểu được"]),
        (("--ten", " "), ["lỗi: thiếu tên đối tượng được đề nghị (--ten)\n"]),
    ],
)
def test_mistakes_exit_1_in_vietnamese_and_change_nothing(
    cli_store: Engine, capsys, tmp_path: Path, change: tuple[str, str], said: list[str]
) -> None:
    """The terminal names the flag of the field at fault, after the library's message."""
    args = nominate_args(tmp_path)
    flag, value = change
    if flag in args and flag != "--tai-lieu":
        args[args.index(flag) + 1] = value
    else:
        args += [flag, value]
    before = store_state(cli_store)
    code, _, err = run(capsys, *args)
    assert code == 1 and err.startswith("lỗi: ") and all(part in err for part in said), err
    assert store_state(cli_store) == before


def test_an_unknown_campaign_code_names_the_known_ones(cli_store: Engine, capsys) -> None:
    code, _, err = run(capsys, "nominations", "1/KH-KHONGCO")
    assert code == 1 and "“1/KH-KHONGCO”" in err and CODE_SNGV in err
