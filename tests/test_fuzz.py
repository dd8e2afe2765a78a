"""Fuzzing what admins type: date phrases, offsets, registries and campaign files.

The contract under test: any input ends in success or in one of thidua's own
errors (a ThiduaError subclass, with a Vietnamese message); never another
exception. Each crash found by fuzzing or by the corpus of bad input
(tests/bad_inputs/) has a named regression test at the end of this file. In CI (``CI`` set) every run draws the same examples.
"""

from __future__ import annotations

import csv
import io
import math
import os
import tempfile
import textwrap
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from thidua.campaign.loading import load_campaign
from thidua.dates.offset import MAX_OFFSET_DAYS, parse_offset
from thidua.dates.phrases import parse_date, parse_phrase
from thidua.dates.span import DateSpan
from thidua.errors import CampaignFileError, PhraseError, RegistryError
from thidua.registry import UnitKind, load_registry, parse_registry

from .conftest import SMALL_REGISTRY

#: THIDUA_FUZZ_SCALE=20 runs twenty times more examples, for a deliberate bug hunt.
SCALE = float(os.environ.get("THIDUA_FUZZ_SCALE", "1"))


def fuzz(examples: int) -> settings:
    """Settings sized for the whole file to run in well under a minute."""
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        derandomize=bool(os.environ.get("CI")),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def _vietnamese(text: str) -> bool:
    """A message is Vietnamese when it carries Vietnamese letters, not just ASCII."""
    return any(
        c in text for c in "àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ"
    )


def _same_days_written_out(span: DateSpan) -> DateSpan:
    """The span parsed again from its days written plainly: an independent route to them.

    A span the parser produced must be one it can read back as dates, inside the years
    it accepts (1900–2201), whatever phrase led to it.
    """
    day = "ngày {:%d/%m/%Y}"
    written = (
        day.format(span.start)
        if span.is_day
        else "từ " + day.format(span.start) + " đến " + day.format(span.end)
    )
    return parse_date(written)


# Integers past 4,300 digits cannot even be printed by Python (ValueError).
_HUGE = st.sampled_from([5000, -5000, 400, 20]).map(lambda n: 10 ** abs(n) * (1 if n > 0 else -1))


# --- date phrases -----------------------------------------------------------------

_WORDS = st.sampled_from(
    [
        "ngày", "Ngày", "NGÀY", "tháng", "năm", "quý", "quí", "từ", "Từ", "đến", "tới", "hết",
        "đến hết", "trước", "chậm nhất", "không muộn hơn", "hạn chót", "thời hạn", "kể từ",
        "bắt đầu từ", "là", "và", "trong", "các", "cuối", "đầu", "giữa", "sau", "tiếp theo",
        "của", "giai đoạn", "nhiệm kỳ", "thứ", "thứ Hai", "thứ Ba", "thứ Tư", "thứ 7",
        "Chủ nhật", "CN", "hằng năm", "mỗi quý", "mùng", "mồng", "tuần", "làm việc",
        "I", "II", "III", "IV", "V", "X", "/", "-", "–", ".", ",", ":", ";", "(", ")", "“", "”",
        "0", "00", "1", "01", "02", "03", "04", "6", "7", "10", "12", "13", "15", "20", "25",
        "28", "29", "30", "31", "32", "99", "100", "2023", "2026", "2027", "2030", "1900",
        "1899", "2200", "2201", "20266", "0000", "\u0301", "\u0300", "\u00a0", "\u200b", "\t",
        "١٢", "２０２６", "Ⅳ",
    ]
)  # fmt: skip
_PHRASES = (
    st.lists(_WORDS, max_size=14).map(" ".join)
    | st.lists(_WORDS, max_size=10).map("".join)
    | st.text(max_size=60)
    | st.lists(_WORDS | st.text(max_size=3), max_size=10).map(" ".join)
)
_YEARS = st.none() | st.integers(1800, 2300) | st.integers() | st.booleans() | _HUGE
_QUARTERS = st.none() | st.integers(-1, 6) | st.integers() | st.booleans() | _HUGE


@fuzz(600)
@given(_PHRASES, _YEARS, _QUARTERS)
@example("ngày 31/2/2026", None, None)
@example("từ 20/5 đến 10/02", 2026, None)
@example("hết quý", 2026, 5)
@example("ngày 15 tháng cuối quý", 10**30, 1)
def test_phrase_parser_raises_only_phrase_errors(text: str, year: Any, quarter: Any) -> None:
    try:
        phrase = parse_phrase(text)
    except PhraseError as exc:
        assert exc.phrase == text
        assert _vietnamese(exc.reason), exc.reason
        return
    try:
        span = phrase.resolve(year, quarter)
    except PhraseError as exc:
        assert _vietnamese(exc.reason), exc.reason
        return
    assert _same_days_written_out(span) == span, (text, span)
    assert phrase.resolve(year, quarter) == span  # resolving twice gives the same days
    assert span.start.year >= 1900 and span.end.year <= 2201
    if phrase.is_complete:  # a phrase that names its own days ignores the context
        assert span == phrase.resolve()


@fuzz(300)
@given(_PHRASES, _YEARS, _QUARTERS)
def test_parse_date_raises_only_phrase_errors(text: str, year: Any, quarter: Any) -> None:
    try:
        span = parse_date(text, year=year, quarter=quarter)
    except PhraseError:
        return
    assert _same_days_written_out(span) == span, (text, span)
    # parse_date is parse_phrase + resolve: the two routes agree.
    assert parse_phrase(text).resolve(year, quarter) == span


_OFFSET_WORDS = st.sampled_from(
    [
        "ngày", "tuần", "làm việc", "trước", "trước hạn", "trước thời hạn", "trước ngày", "ba",
        "mười", "một", "hai", "năm", "lăm", "tư", "-", "+", "0", "1", "3", "7", "52", "53",
        "366", "367", "999999", "1000000", "١", "３", " ", "ngay lam viec", "\u0301",
    ]
)  # fmt: skip


@fuzz(400)
@given(
    st.integers()
    | _HUGE
    | st.booleans()
    | st.floats(allow_nan=True)
    | st.none()
    | st.lists(_OFFSET_WORDS, max_size=6).map(" ".join)
    | st.text(max_size=40)
)
@example("3 ngày")
@example(-(10**40))
@example("9" * 500 + " ngày")
def test_offset_parser_raises_only_phrase_errors(value: Any) -> None:
    try:
        offset = parse_offset(value)
    except PhraseError as exc:
        assert _vietnamese(exc.reason), exc.reason
        return
    assert 0 <= offset.days <= MAX_OFFSET_DAYS
    assert _vietnamese(offset.label())


# --- registries as data -------------------------------------------------------------

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | _HUGE
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["SO-A", "so-a", "KHOI-A", "UBND", "xa", "khối", "mười", "-5", "1.234"])
    | st.dates()
    | st.datetimes()
)
_CODES = st.sampled_from(["UBND", "SO-A", "so-a", "SO-B", "XA-1", "KHOI-A", "CUM-X", ""]) | st.text(
    max_size=6
)
_KINDS = st.sampled_from([k.value for k in UnitKind] + ["Sở", "UBND xã", "bệnh viện", ""])
_URLS = st.sampled_from(
    [
        "outbox://so-a",
        "outbox://Xã",
        "mailto://a@b",
        "mailtos://${SMTP_USER}:${SMTP_PASSWORD}@mail.example.com?to=a@example.com",
        "mailtos://user:secret@mail.example.com",
        "tgram://${TOKEN}/123",
        "thu://x",
        "json://localhost:8080/x?-h=${",
        "",
        " outbox://a",
        "https://user:p@ss@host/",
    ]
)
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3), max_leaves=6)
_UNIT = st.fixed_dictionaries(
    {},
    optional={
        "code": _CODES | _SCALARS,
        "name": st.text(max_size=10) | _SCALARS,
        "kind": _KINDS | _SCALARS,
        "groups": st.lists(_CODES, max_size=3) | _VALUES,
        "supervisor": _CODES | _SCALARS,
        "head": _VALUES,
        "headcount": _SCALARS,
        "contacts": st.lists(_URLS, max_size=2) | _VALUES,
        "ten": _SCALARS,
    },
)
_GROUP = st.fixed_dictionaries(
    {},
    optional={
        "code": _CODES | _SCALARS,
        "name": st.text(max_size=10) | _SCALARS,
        "kind": st.sampled_from(["khoi", "cum", "nhom", "khối thi đua", "liên minh"]) | _SCALARS,
        "head": _CODES | _SCALARS,
    },
)
_REGISTRY_DATA = (
    st.fixed_dictionaries(
        {},
        optional={
            "name": _VALUES,
            "units": st.lists(_UNIT | _VALUES, max_size=6) | _VALUES,
            "groups": st.lists(_GROUP | _VALUES, max_size=3) | _VALUES,
            "khac": _VALUES,
        },
    )
    | _VALUES
)


@fuzz(400)
@given(_REGISTRY_DATA)
@example({"units": [{"code": "A", "name": "x\x00y", "kind": "xa"}]})
@example({"units": [{"code": "A", "name": "A", "kind": "xa", "headcount": math.inf}]})
def test_registry_data_yields_a_registry_or_a_registry_error(data: Any) -> None:
    try:
        registry = parse_registry(data, check_contacts=False)
    except RegistryError as exc:
        assert exc.errors
        assert all(_vietnamese(p.message) for p in exc.problems), exc.render()
        return
    for unit in registry:
        assert unit.code == unit.code.upper() and unit.name.strip()
        assert all(unicode_ok(text) for text in (unit.name, unit.head or ""))


def unicode_ok(text: str) -> bool:
    """No control characters: they break terminals, e-mail headers and PostgreSQL."""
    return not any(ord(c) < 32 or ord(c) == 127 for c in text)


@fuzz(60)
@given(st.lists(_URLS | st.text(max_size=20).map(lambda s: f"mailtos://{s}"), max_size=3))
def test_contacts_are_checked_through_apprise_without_crashing(urls: list[str]) -> None:
    data = {"units": [{"code": "A", "name": "A", "kind": "xa", "contacts": urls}]}
    try:
        parse_registry(data, check_contacts=True)
    except RegistryError as exc:
        assert all(_vietnamese(p.message) for p in exc.problems), exc.render()


# --- registries as files ---------------------------------------------------------------


def _load_text(suffix: str, content: str | bytes) -> None:
    """Write `content` to a fresh file and load it; only RegistryError may escape."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"units{suffix}"
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        try:
            load_registry(path, check_contacts=False)
        except RegistryError as exc:
            assert exc.errors
            assert all(_vietnamese(p.message) for p in exc.problems), exc.render()


def _yaml_dump(data: Any) -> str:
    """YAML text of `data`; an int too long for PyYAML to print is written out by hand."""
    try:
        return yaml.safe_dump(data, allow_unicode=True)
    except ValueError:
        return "units:\n  - {code: A, name: A, kind: xa, headcount: " + "9" * 5000 + "}\n"


_YAML_PIECES = st.sampled_from(
    [
        "units:", "groups:", "name:", "- ", "  ", "    ", "\n", "{", "}", "[", "]", ",", ": ",
        "code: SO-A", "kind: xa", "name: Sở A", "&a", "*a", "!!python/object:os.system", "!x",
        "<<: ", "? ", "---", "...", "|", ">", "'", '"', "#", "%YAML 1.1", "\t", "~", "null",
        "2026-03-01", "0x1F", ".inf", "headcount: mười", "contacts: [outbox://a]",
    ]
)  # fmt: skip


@fuzz(300)
@given(
    st.lists(_YAML_PIECES, max_size=30).map("".join)
    | _REGISTRY_DATA.map(_yaml_dump)
    | st.text(max_size=80)
)
@example("units: " + "[" * 30 + "]" * 30)
@example("a: &a [x, x]\nunits: *a\n")
def test_yaml_files_yield_a_registry_or_a_registry_error(text: str) -> None:
    _load_text(".yaml", text)


_HEADERS = st.sampled_from(
    [
        "Mã đơn vị", "Tên đơn vị", "Loại", "Cụm khối", "Đơn vị cấp trên", "Số CBCCVC",
        "Liên hệ", "STT", "Ghi chú", "code", "name", "Tên", "Điện thoại", "",
    ]
)  # fmt: skip
_CELLS = (
    st.sampled_from(["SO-A", "UBND", "xa", "Sở A", "KHOI-A; CUM-X", "mười", "-3", "1.234", "12,0"])
    | st.sampled_from(["outbox://so-a", '"', '""', "a,b", "x\ny", "\x00", "="])
    | st.text(max_size=8)
)


@fuzz(250)
@given(
    st.lists(_HEADERS, min_size=0, max_size=9),
    st.lists(st.lists(_CELLS, max_size=9), max_size=6),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1258", "latin-1"]),
    st.booleans(),
)
def test_csv_files_yield_a_registry_or_a_registry_error(
    header: list[str], rows: list[list[str]], delimiter: str, encoding: str, raw: bool
) -> None:
    if raw:
        # hand-joined, so that quotes are left unbalanced the way people leave them
        text = "\n".join(delimiter.join(r) for r in [header, *rows]) + "\n"
    else:
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=delimiter).writerows([header, *rows])
        text = buffer.getvalue()
    _load_text(".csv", text.encode(encoding, errors="replace"))


@fuzz(25)
@given(
    st.lists(
        st.lists(
            st.none()
            | st.integers(-(10**12), 10**12)
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.booleans()
            | st.dates(min_value=date(1900, 1, 1))
            | st.datetimes(min_value=datetime(1900, 1, 1))
            | _CELLS.filter(lambda s: not any(ord(c) < 32 for c in s)),
            max_size=8,
        ),
        max_size=6,
    ),
    st.booleans(),
)
def test_xlsx_files_yield_a_registry_or_a_registry_error(
    rows: list[list[Any]], header: bool
) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    if header:
        sheet.append(["Mã đơn vị", "Tên đơn vị", "Loại", "Số CBCCVC", "Liên hệ"])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    _load_text(".xlsx", buffer.getvalue())


# --- campaign files ----------------------------------------------------------------------

_CAMPAIGN = textwrap.dedent(
    """\
    from thidua import *

    campaign = Campaign(
        code={code},
        title="Đợt thi đua thử nghiệm",
        issuer="UBND tỉnh",
        issued={issued},
        period={period},
        organizer={organizer},
        registry="units.yaml",
        participants=Participants(groups={groups}),
        awards=[Award(name="Bằng khen", nominees={nominees},
                      quota=Quota(per_unit={per_unit}, max_ratio={ratio}))],
        milestones=[
            Milestone(kind="phát động", when="ngày 02/3/2026"),
            Milestone(kind={kind}, id={id}, when={when}, reminders={reminders},
                      escalation=Escalation(after={after}, to={to})),
        ],
    )
    """
)
_ANY = _SCALARS | st.lists(_SCALARS, max_size=2)
_CAMPAIGN_FIELDS = {
    "code": st.sampled_from(["12/KH-TEST", "KH", "", "1/2/3"]) | _ANY,
    "issued": _PHRASES | _ANY,
    "period": st.sampled_from(["năm 2026", "Từ ngày 01/3/2026 đến ngày 30/6/2026"]) | _PHRASES,
    "organizer": st.sampled_from(["BTDKT", "SO-Z", "btdkt"]) | _ANY,
    "groups": st.lists(st.sampled_from(["KHOI-A", "CUM-X", "KHOI-Z", "khoi-a"]), max_size=2) | _ANY,
    "nominees": st.lists(st.sampled_from(["tập thể", "cá nhân", "tổ chức", 3]), max_size=2) | _ANY,
    "per_unit": st.integers(-3, 3) | _ANY,
    "ratio": st.sampled_from(["30%", "130%", "0%", "-5%", "1%", 0.3, 2, "abc"]) | _ANY,
    "kind": st.sampled_from(["báo cáo", "sơ kết", "tổng kết", "hồ sơ", "hội nghị"]) | _ANY,
    "id": st.sampled_from(["bao-cao", "launch", "Báo cáo", None]) | _ANY,
    "when": _PHRASES | _ANY,
    "reminders": st.lists(st.integers(-5, 400) | _OFFSET_WORDS, max_size=3) | _ANY,
    "after": st.integers(-5, 400) | st.lists(_OFFSET_WORDS, max_size=3).map(" ".join) | _ANY,
    "to": st.sampled_from(["supervisor", "group_head", "organizer", "SO-Z", "KHOI-A"]) | _ANY,
}


def _source(value: Any) -> str:
    """Python source that evaluates to `value` inside a campaign file."""
    if isinstance(value, list):
        return "[" + ", ".join(_source(v) for v in value) + "]"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        # the same magnitude, written as an expression: a 5,000-digit literal is a SyntaxError
        return f"({'-' if value < 0 else ''}2**{value.bit_length() - 1})"
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    if isinstance(value, datetime | date):
        return f"__import__('datetime').{type(value).__name__}.fromisoformat({value.isoformat()!r})"
    return repr(value)


@pytest.fixture(scope="module")
def campaign_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz-campaigns")
    (folder / "units.yaml").write_text(SMALL_REGISTRY, encoding="utf-8")
    return folder


#: A file that loads: random fields almost never all fit, and the success branch must run.
_VALID_FIELDS = {
    "code": "12/KH-TEST",
    "issued": "ngày 02/3/2026",
    "period": "Từ ngày 01/3/2026 đến ngày 30/6/2026",
    "organizer": "BTDKT",
    "groups": ["KHOI-A", "CUM-X"],
    "nominees": ["tập thể"],
    "per_unit": 1,
    "ratio": "30%",
    "kind": "báo cáo",
    "id": "bao-cao",
    "when": "ngày 10/5/2026",
    "reminders": [3],
    "after": 3,
    "to": "supervisor",
}


@fuzz(120)
@given(st.fixed_dictionaries(_CAMPAIGN_FIELDS))
@example(_VALID_FIELDS)
@example({**_VALID_FIELDS, "period": "năm 2026"})
def test_campaign_files_load_or_fail_with_a_campaign_file_error(
    campaign_folder: Path, fields: dict[str, Any]
) -> None:
    text = _CAMPAIGN.format(**{name: _source(value) for name, value in fields.items()})
    path = campaign_folder / "camp.py"
    path.write_text(text, encoding="utf-8")
    try:
        loaded = load_campaign(path)
    except CampaignFileError as exc:
        assert exc.errors
        assert all(_vietnamese(p.message) for p in exc.errors), exc.render()
        return
    # The file's period is the days its phrase names, as parse_date reads them alone.
    assert loaded.spec.period == parse_date(fields["period"]), fields["period"]
    assert loaded.spec.period.phrase == fields["period"]


# --- regressions found by fuzzing and by the corpus ------------------------------------------------


def test_deeply_nested_yaml_is_refused_before_libyaml_overflows(tmp_path: Path) -> None:
    """100,000 nested “[” made libyaml's recursive composer segfault the process."""
    path = tmp_path / "units.yaml"
    path.write_text("units: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    [problem] = info.value.errors
    assert "lồng nhau quá 20 cấp" in problem.message and problem.source == f"{path}:1"


def test_control_characters_in_names_are_refused() -> None:
    data = {"units": [{"code": "A", "name": "Sở\x07 A", "kind": "xa", "contacts": ["outbox://a"]}]}
    with pytest.raises(RegistryError) as info:
        parse_registry(data)
    [problem] = info.value.errors
    assert problem.path == "units[A].name" and "U+0007" in problem.message
    assert problem.value == "Sở\\x07 A"


def test_nul_bytes_in_a_csv_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(b"code,name,kind\nA,S\x00 A,xa\n")
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    assert "NUL" in info.value.errors[0].message and info.value.errors[0].source == f"{path}:2"


@pytest.mark.parametrize(
    ("tag", "shown"),
    [("!!python/object/apply:os.system", "!!python/object/apply:os.system"), ("!so", "!so")],
)
def test_yaml_tags_are_named_not_called_syntax_errors(tmp_path: Path, tag: str, shown: str) -> None:
    path = tmp_path / "units.yaml"
    path.write_text(f"name: x\nunits:\n  - {{code: A, name: {tag} [1]}}\n", encoding="utf-8")
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    [problem] = info.value.errors
    assert problem.value == shown and "cú pháp" not in problem.message
    assert problem.source == f"{path}:3"


def test_unclosed_csv_quote_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text('code,name,kind\nA,Sở A,xa\nB,"Sở B,xa\nC,Sở C,xa\n', encoding="utf-8")
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    [problem] = info.value.errors
    assert "dấu nháy kép chưa đóng" in problem.message and problem.source == f"{path}:3"


def test_a_runaway_csv_header_is_one_problem(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(",".join(["code", "name", *(f"c{i}" for i in range(5000))]) + "\n")
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    assert "5002 cột" in info.value.errors[0].message
    assert len(info.value.errors) <= 60


def test_a_campaign_file_raising_base_exception_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "camp.py"
    path.write_text("class Stop(BaseException):\n    pass\n\nraise Stop('dừng')\n")
    with pytest.raises(CampaignFileError) as info:
        load_campaign(path)
    [problem] = info.value.errors
    assert problem.message == "tệp gây lỗi khi chạy: Stop: dừng" and problem.source == f"{path}:4"


def test_keyboard_interrupt_in_a_campaign_file_still_interrupts(tmp_path: Path) -> None:
    path = tmp_path / "camp.py"
    path.write_text("raise KeyboardInterrupt\n")
    with pytest.raises(KeyboardInterrupt):
        load_campaign(path)


def test_numbers_too_long_to_print_are_described() -> None:
    """Python refuses str() of ints over 4,300 digits; every message used to crash on them."""
    from thidua.errors import Problem, quote

    assert quote(10**5000) == "<số có khoảng 5001 chữ số>"
    assert quote(-(10**5000)) == "-<số có khoảng 5001 chữ số>"
    assert quote([10**5000]) == "<list>"
    assert quote("x" * 5000).endswith("…” (5000 ký tự)")
    assert "5001 chữ số" in Problem("a", "b", 10**5000).render()


def test_a_year_too_long_to_print_is_refused_with_a_phrase_error() -> None:
    with pytest.raises(PhraseError, match="năm <số có khoảng 5001 chữ số> nằm ngoài"):
        parse_phrase("15/12").resolve(10**5000)
    with pytest.raises(PhraseError, match="không quá 366 ngày"):
        parse_offset(10**5000)


def test_a_milestone_id_that_is_not_text_does_not_break_the_field_path(tmp_path: Path) -> None:
    (tmp_path / "units.yaml").write_text(SMALL_REGISTRY, encoding="utf-8")
    path = tmp_path / "camp.py"
    path.write_text(
        _CAMPAIGN.format(
            code="'12/KH-TEST'",
            issued="'ngày 02/3/2026'",
            period="'năm 2026'",
            organizer="'BTDKT'",
            groups="['KHOI-A']",
            nominees="['tập thể']",
            per_unit="1",
            ratio="None",
            kind="'báo cáo'",
            id="10**5000",
            when="'ngày 10/5/2026'",
            reminders="[]",
            after="1",
            to="'supervisor'",
        ),
        encoding="utf-8",
    )
    with pytest.raises(CampaignFileError) as info:
        load_campaign(path)
    [problem] = info.value.errors
    assert problem.path == "milestones[1].id" and "5001 chữ số" in problem.render()
