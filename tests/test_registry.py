"""Units registry: loading YAML / CSV / XLSX and reporting every problem at once."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from thidua.config import EnvSource, Settings, get_settings, set_settings
from thidua.errors import Problem, RegistryError
from thidua.registry import Group, Unit, UnitKind, contacts, load_registry, parse_registry
from thidua.registry.table_source import MAX_FILE_BYTES, SETTING

SMTP = "mailtos://${SMTP_USER}:${SMTP_PASSWORD}@mail.caobang.gov.vn?to=songoaivu@caobang.gov.vn"

YAML = f"""\
name: Tỉnh Cao Bằng
groups:
  - code: KHOI-TONG-HOP
    name: Khối các cơ quan tổng hợp
    kind: khoi
    head: SNV
units:
  - code: UBND-TINH
    name: UBND tỉnh Cao Bằng
    kind: co_quan_tinh
    contacts: [outbox://ubnd-tinh]
  - code: SNV
    name: Sở Nội vụ
    kind: so_nganh
    groups: [KHOI-TONG-HOP]
    supervisor: UBND-TINH
    contacts: [outbox://snv]
  - code: SNGV
    name: Sở Ngoại vụ
    kind: so_nganh
    groups: [KHOI-TONG-HOP]
    supervisor: UBND-TINH
    head: Giám đốc Nguyễn Văn A
    headcount: 38
    contacts:
      - outbox://sngv
      - {SMTP}
  - code: SNGV.VP
    name: Văn phòng Sở Ngoại vụ
    kind: phong
    supervisor: SNGV
    headcount: 7
    contacts: [outbox://sngv-vp]
"""

ENGLISH_HEADER = ["code", "name", "kind", "groups", "supervisor", "head", "headcount", "contacts"]
VIETNAMESE_HEADER = [
    "Mã đơn vị",
    "Tên đơn vị",
    "Loại",
    "Cụm/Khối",
    "Đơn vị cấp trên",
    "Thủ trưởng",
    "Số CBCCVC",
    "Liên hệ",
]
ROWS: list[list[Any]] = [
    ["UBND-TINH", "UBND tỉnh Cao Bằng", "co_quan_tinh", "", "", "", None, "outbox://ubnd-tinh"],
    ["SNV", "Sở Nội vụ", "so_nganh", "KHOI-TONG-HOP", "UBND-TINH", "", None, "outbox://snv"],
    [
        "SNGV",
        "Sở Ngoại vụ",
        "so_nganh",
        "KHOI-TONG-HOP",
        "UBND-TINH",
        "Giám đốc Nguyễn Văn A",
        38,
        f"outbox://sngv\n{SMTP}",
    ],
    ["SNGV.VP", "Văn phòng Sở Ngoại vụ", "phong", "", "SNGV", "", 7, "outbox://sngv-vp"],
]
# the same rows as an office would type them: labels instead of codes, Excel floats
VIETNAMESE_ROWS: list[list[Any]] = [
    ["ubnd-tinh", "UBND tỉnh Cao Bằng", "UBND tỉnh", "", "", "", None, "outbox://ubnd-tinh"],
    ["SNV", "Sở Nội vụ", "Sở, ban, ngành", "khoi-tong-hop", "UBND-TINH", "", None, "outbox://snv"],
    [
        "SNGV",
        "Sở  Ngoại vụ ",
        "sở ngành",
        "KHOI-TONG-HOP",
        "UBND-TINH",
        "Giám đốc Nguyễn Văn A",
        38.0,
        f"outbox://sngv ; {SMTP}",
    ],
    ["SNGV.VP", "Văn phòng Sở Ngoại vụ", "Phòng", None, "sngv", None, 7.0, "outbox://sngv-vp"],
]
GROUP_HEADER = ["code", "name", "kind", "head"]
GROUP_ROWS = [["KHOI-TONG-HOP", "Khối các cơ quan tổng hợp", "khoi", "SNV"]]


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path):
    """Keep the contact-check cache inside the test's own directory."""
    set_settings(Settings(data_dir=tmp_path / "data"))
    yield
    set_settings(None)


def write_csv(path: Path, header: list[str], rows: list[list[Any]], delimiter: str = ",") -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows([["" if v is None else v for v in row] for row in rows])
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def base() -> dict[str, Any]:
    """A small valid registry as plain data."""
    return {
        "groups": [{"code": "KHOI-A", "name": "Khối A", "kind": "khoi", "head": "SNV"}],
        "units": [
            {
                "code": "UBND",
                "name": "UBND tỉnh",
                "kind": "co_quan_tinh",
                "contacts": ["outbox://u"],
            },
            {
                "code": "SNV",
                "name": "Sở Nội vụ",
                "kind": "so_nganh",
                "groups": ["KHOI-A"],
                "supervisor": "UBND",
                "contacts": ["outbox://snv"],
            },
            {
                "code": "SNGV",
                "name": "Sở Ngoại vụ",
                "kind": "so_nganh",
                "groups": ["KHOI-A"],
                "supervisor": "UBND",
                "contacts": ["outbox://sngv"],
            },
        ],
    }


def problems_of(data: Any, **kwargs: Any) -> list[Problem]:
    with pytest.raises(RegistryError) as err:
        parse_registry(data, **kwargs)
    return err.value.problems


def errors_of(data: Any, **kwargs: Any) -> list[Problem]:
    return [p for p in problems_of(data, **kwargs) if p.severity == "error"]


# --- loading -------------------------------------------------------------------


def test_yaml_registry_and_lookups(tmp_path: Path) -> None:
    path = tmp_path / "units.yaml"
    path.write_text(YAML, encoding="utf-8")
    reg = load_registry(path)

    assert reg.source == str(path)
    assert reg.name == "Tỉnh Cao Bằng"
    assert list(reg.units) == ["UBND-TINH", "SNV", "SNGV", "SNGV.VP"]
    assert reg.warnings == []
    assert len(reg) == 4
    assert [u.code for u in reg] == list(reg.units)
    assert "sngv" in reg and "SNGV" in reg and "NOPE" not in reg and 3 not in reg

    sngv = reg.unit("sngv")
    assert sngv == Unit(
        code="SNGV",
        name="Sở Ngoại vụ",
        kind=UnitKind.SO_NGANH,
        groups=("KHOI-TONG-HOP",),
        supervisor="UBND-TINH",
        head="Giám đốc Nguyễn Văn A",
        headcount=38,
        contacts=("outbox://sngv", SMTP),
    )
    assert reg.groups == {
        "KHOI-TONG-HOP": Group(
            code="KHOI-TONG-HOP", name="Khối các cơ quan tổng hợp", kind="khoi", head="SNV"
        )
    }
    with pytest.raises(KeyError):
        reg.unit("NOPE")
    assert [u.code for u in reg.members("khoi-tong-hop")] == ["SNV", "SNGV"]
    with pytest.raises(KeyError):
        reg.members("NOPE")
    assert [u.code for u in reg.of_kind(UnitKind.SO_NGANH, "phong")] == ["SNV", "SNGV", "SNGV.VP"]
    assert [u.code for u in reg.of_kind("Phòng, ban thuộc cơ quan")] == ["SNGV.VP"]
    assert reg.supervisor("SNGV.VP") == sngv
    assert reg.supervisor("UBND-TINH") is None
    assert [u.code for u in reg.group_heads("SNGV")] == ["SNV"]
    assert reg.group_heads("SNV") == []  # the head itself has no head to escalate to
    assert reg.group_heads("UBND-TINH") == []


def test_models_are_frozen_and_strict() -> None:
    unit = Unit(code="A", name="A", kind="xa")
    with pytest.raises(ValueError):
        unit.name = "B"  # type: ignore[misc]
    with pytest.raises(ValueError):
        Unit(code="A", name="A", kind="xa", typo=1)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("header", "rows", "delimiter"),
    [
        (ENGLISH_HEADER, ROWS, ","),
        (VIETNAMESE_HEADER, VIETNAMESE_ROWS, ","),
        # Excel on Vietnamese Windows (decimal comma) separates with “;”
        (VIETNAMESE_HEADER, VIETNAMESE_ROWS, ";"),
    ],
)
def test_csv_equals_yaml(
    tmp_path: Path, header: list[str], rows: list[Any], delimiter: str
) -> None:
    yaml_path = tmp_path / "units.yaml"
    yaml_path.write_text(YAML, encoding="utf-8")
    expected = load_registry(yaml_path)

    csv_path = write_csv(tmp_path / "units.csv", header, rows, delimiter)
    write_csv(tmp_path / "units.groups.csv", GROUP_HEADER, GROUP_ROWS)
    reg = load_registry(csv_path)
    assert reg.units == expected.units
    assert list(reg.units) == list(expected.units)
    assert reg.groups == expected.groups
    assert reg.source == str(csv_path)


@pytest.mark.parametrize(
    ("units_sheet", "groups_sheet", "header", "rows"),
    [
        ("units", "groups", ENGLISH_HEADER, ROWS),
        ("Đơn vị", "Cụm khối", VIETNAMESE_HEADER, VIETNAMESE_ROWS),
    ],
)
def test_xlsx_equals_yaml(
    tmp_path: Path, units_sheet: str, groups_sheet: str, header: list[str], rows: list[Any]
) -> None:
    yaml_path = tmp_path / "units.yaml"
    yaml_path.write_text(YAML, encoding="utf-8")
    expected = load_registry(yaml_path)

    path = write_xlsx(
        tmp_path / "units.xlsx",
        {
            groups_sheet: [
                ["Mã", "Tên", "Loại", "Trưởng khối"],
                ["KHOI-TONG-HOP", "Khối các cơ quan tổng hợp", "Khối", "SNV"],
            ],
            units_sheet: [["DANH SÁCH ĐƠN VỊ THI ĐUA"], [], ["STT", *header, "Ghi chú"]]
            + [[n, *row, None] for n, row in enumerate(rows, 1)]
            + [[None] * 10],
        },
    )
    reg = load_registry(path)
    assert reg.units == expected.units
    assert reg.groups == expected.groups


def test_groups_are_implicit_without_definitions(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "units.xlsx", {"Sheet1": [ENGLISH_HEADER, *ROWS]})
    reg = load_registry(path)
    assert reg.groups == {
        "KHOI-TONG-HOP": Group(code="KHOI-TONG-HOP", name="KHOI-TONG-HOP", kind="nhom")
    }
    data = base()
    del data["groups"]
    assert parse_registry(data).groups["KHOI-A"].kind == "nhom"


def test_csv_with_bom_title_rows_and_empty_rows(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    text = (
        "DANH SÁCH ĐƠN VỊ\n\n"
        "STT,Mã,Tên,Loại,Liên hệ,Biên chế\n"
        "1,SNGV,Sở Ngoại vụ,Sở ban ngành,outbox://sngv,1.234\n"
        ",,,,,\n"
        "2,XA-A,Xã A,UBND xã,outbox://xa-a,12.0\n"
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    reg = load_registry(path)
    assert list(reg.units) == ["SNGV", "XA-A"]
    assert reg.unit("SNGV").headcount == 1234  # Vietnamese thousands separator
    assert reg.unit("XA-A").kind is UnitKind.XA
    assert reg.unit("XA-A").headcount == 12


def test_table_problems_carry_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(
        'code,name,kind,contacts\nA,Đơn vị A,so_nganh,"outbox://a\noutbox://a2"\nB,Đơn vị B,sao,outbox://b\n',
        encoding="utf-8",
    )
    [problem] = problems_of_file(path)
    assert problem.path == "units[B].kind"
    assert problem.source == f"{path}:4"

    xlsx = write_xlsx(tmp_path / "u.xlsx", {"Đơn vị": [["Mã", "Tên", "Loại"], ["A", "A", "sao"]]})
    [problem, warning] = problems_of_file(xlsx)
    assert problem.source == f"{xlsx} (trang “Đơn vị”, dòng 2)"
    assert warning.severity == "warning"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["code", "name", "kind", "nhom cha"], "cột 4 “nhom cha” không dùng được"),
        (["code", "name", "kind", "mã"], "trùng ý nghĩa"),
        (["ten", "loai"], "không tìm thấy dòng tiêu đề"),
    ],
)
def test_bad_table_headers(tmp_path: Path, header: list[str], message: str) -> None:
    path = write_csv(tmp_path / "units.csv", header, [["A", "B", "xa", "x"]])
    assert any(message in p.message for p in problems_of_file(path))


def test_yaml_problems_carry_line(tmp_path: Path) -> None:
    path = tmp_path / "units.yaml"
    path.write_text(YAML.replace("kind: phong", "kind: phongg"), encoding="utf-8")
    [problem] = problems_of_file(path)
    assert problem.path == "units[SNGV.VP].kind"
    assert problem.source == f"{path}:28"
    assert problem.value == "phongg"


def problems_of_file(path: Path) -> list[Problem]:
    with pytest.raises(RegistryError) as err:
        load_registry(path)
    return err.value.problems


# --- files that cannot be read ---------------------------------------------------


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# Windows-1258 bytes, as old Vietnamese Windows tools save them
BOMB = """\
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
units: [*d, *d, *d, *d, *d, *d, *d, *d, *d]
"""


@pytest.mark.parametrize(
    ("name", "content", "message", "where"),
    [
        ("missing.yaml", None, "không tìm thấy tệp", None),
        ("units.json", "{}", "dùng một trong: .yaml, .yml, .csv, .xlsx", None),
        ("units.xls", b"\xd0\xcf", "hãy lưu lại dạng .xlsx", None),
        ("units.yaml", "units: [\n  {code: A\n", "lỗi cú pháp YAML ở dòng 3", ":3"),
        ("units.yaml", "units: []\n---\nunits: []\n", "lỗi cú pháp YAML", None),
        ("units.yaml", "x: !!python/object:os.system {}\n", "thẻ YAML “!!python/object:", ":1"),
        ("units.yaml", "- a\n- b\n", "phải là một bảng", None),
        ("units.yaml", "", "tệp rỗng", None),
        ("units.yaml", BOMB, "không được dùng tham chiếu YAML", ":2"),
        ("units.yaml", b"name: Cao B\xe3\xccng\n", "UTF-8", ":1"),
        ("units.csv", "mã,tên\nA,Sở\n".encode("utf-16"), "UTF-16", None),
        ("units.csv", b"ma,ten\nA,S\xf5 N\xf4\xf2i vu\n", "CSV UTF-8", ":2"),
        ("units.xlsx", b"PK\x03\x04 not really a zip", "lưu lại dạng “Excel Workbook", None),
    ],
)
def test_unreadable_files(
    tmp_path: Path, name: str, content: str | bytes | None, message: str, where: str | None
) -> None:
    path = tmp_path / name if content is None else write(tmp_path, name, content)
    [problem] = problems_of_file(path)
    assert message in problem.message
    assert problem.source is not None and problem.source.startswith(str(path))
    if where:
        assert problem.source == f"{path}{where}"


def test_directory_is_not_a_registry(tmp_path: Path) -> None:
    (tmp_path / "units.yaml").mkdir()
    [problem] = problems_of_file(tmp_path / "units.yaml")
    assert "không phải là một tệp" in problem.message


def test_huge_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "units.yaml"
    with path.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    [problem] = problems_of_file(path)
    assert "quá lớn" in problem.message
    assert f"{SETTING} = 50000" in problem.message


def _max_units(n: int) -> None:
    """The limit as an admin sets it: through the environment variable the messages name."""
    set_settings(
        Settings.load(
            [EnvSource({SETTING: str(n), "THIDUA_DATA_DIR": str(get_settings().data_dir)})]
        )
    )


def _registry_of(tmp_path: Path, fmt: str) -> Path:
    if fmt == "xlsx":
        return write_xlsx(
            tmp_path / "units.xlsx",
            {"units": [ENGLISH_HEADER, *ROWS], "groups": [GROUP_HEADER, *GROUP_ROWS]},
        )
    if fmt == "csv":
        write_csv(tmp_path / "units.groups.csv", GROUP_HEADER, GROUP_ROWS)
        return write_csv(tmp_path / "units.csv", ENGLISH_HEADER, ROWS)
    return write(tmp_path, "units.yaml", YAML)


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "yaml"])
def test_registry_over_the_unit_limit_names_the_setting(tmp_path: Path, fmt: str) -> None:
    path = _registry_of(tmp_path, fmt)
    _max_units(len(ROWS) - 1)
    [problem] = problems_of_file(path)
    assert f"{SETTING} = {len(ROWS) - 1}" in problem.message
    assert f"quá {len(ROWS) - 1}" in problem.message
    assert "tách danh mục" in problem.message


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "yaml"])
def test_registry_within_a_raised_limit_is_accepted(tmp_path: Path, fmt: str) -> None:
    path = _registry_of(tmp_path, fmt)
    _max_units(len(ROWS) - 1)
    with pytest.raises(RegistryError):
        load_registry(path)
    _max_units(len(ROWS))  # exactly as many units as the limit: accepted, not the cached refusal
    assert list(load_registry(path).units) == [row[0] for row in ROWS]


def test_registry_file_size_limit_grows_with_the_unit_limit(tmp_path: Path) -> None:
    path = tmp_path / "units.yaml"
    with path.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    _max_units(100_000)  # twice the default: 10 MB files are read (and this one is all NULs)
    [problem] = problems_of_file(path)
    assert "quá lớn" not in problem.message
    assert "ký tự NUL" in problem.message


def test_a_registry_cached_under_a_higher_limit_is_refused_under_a_lower_one(
    tmp_path: Path,
) -> None:
    path = _registry_of(tmp_path, "xlsx")
    _max_units(len(ROWS))
    load_registry(path)  # valid: its compiled cache is written
    _max_units(len(ROWS) - 1)
    [problem] = problems_of_file(path)
    assert f"{SETTING} = {len(ROWS) - 1}" in problem.message


def test_duplicate_yaml_keys_are_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path, "units.yaml", YAML.replace("    kind: phong\n", "    kind: phong\n    code: X\n")
    )
    problems = problems_of_file(path)
    assert [p.path for p in problems] == ["units[3].code"]
    assert "lặp lại (đã có ở dòng 28)" in problems[0].message


# --- validation rules ------------------------------------------------------------


def _set(path: str, value: Any):
    """A mutation of `base()` that sets (or, with value ..., deletes) one field."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is ...:
            del target[int(last) if last.isdigit() else last]
        elif last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


RULES = [
    # (id, mutation, expected path, words of the message, offending value)
    ("unit-not-mapping", _set("units.1", "SNV"), "units[1]", "mỗi mục phải là một bảng", "SNV"),
    ("units-missing", _set("units", ...), "units", "thiếu danh sách đơn vị", ...),
    ("units-not-list", _set("units", "SNV"), "units", "phải là một danh sách", "str"),
    ("unknown-top-field", _set("unit", []), "unit", "trường “unit”", ...),
    (
        "unknown-unit-field",
        _set("units.1.supervisr", "UBND"),
        "units[1].supervisr",
        "“supervisor”",
        ...,
    ),
    ("unknown-group-field", _set("groups.0.leader", "SNV"), "groups[0].leader", "“leader”", ...),
    ("code-missing", _set("units.1.code", ...), "units[1].code", "thiếu mã đơn vị", ...),
    ("code-invalid", _set("units.1.code", "SỞ NV"), "units[1].code", "không dấu", "SỞ NV"),
    ("code-not-string", _set("units.1.code", 83), "units[1].code", "phải là chuỗi", 83),
    (
        "code-duplicate",
        _set("units.2.code", "snv"),
        "units[2].code",
        "bị trùng với units[1]",
        "snv",
    ),
    ("name-missing", _set("units.1.name", " "), "units[SNV].name", "thiếu tên đơn vị", ...),
    ("name-not-text", _set("units.1.name", ["x"]), "units[SNV].name", "chuỗi văn bản", ["x"]),
    ("kind-missing", _set("units.1.kind", ...), "units[SNV].kind", "so_nganh (Sở, ban, ngành", ...),
    (
        "kind-invalid",
        _set("units.1.kind", "sở nội vụ"),
        "units[SNV].kind",
        "loại đơn vị không hợp lệ",
        ...,
    ),
    (
        "kind-invalid-list",
        _set("units.1.kind", "bộ"),
        "units[SNV].kind",
        "hop_tac_xa (Hợp tác xã)",
        "bộ",
    ),
    (
        "group-unknown",
        _set("units.1.groups", ["KHOI-B"]),
        "units[SNV].groups[0]",
        "không có nhóm “KHOI-B”",
        "KHOI-B",
    ),
    ("groups-not-list", _set("units.1.groups", 5), "units[SNV].groups", "cần danh sách nhóm", 5),
    (
        "supervisor-unknown",
        _set("units.1.supervisor", "UBDN"),
        "units[SNV].supervisor",
        "có phải là “UBND”",
        "UBDN",
    ),
    (
        "supervisor-self",
        _set("units.1.supervisor", "SNV"),
        "units[SNV].supervisor",
        "chính mình",
        "SNV",
    ),
    (
        "supervisor-cycle",
        _set("units.0.supervisor", "SNV"),
        "units[UBND].supervisor",
        "UBND → SNV → UBND",
        "SNV",
    ),
    (
        "headcount-negative",
        _set("units.1.headcount", -1),
        "units[SNV].headcount",
        "số nguyên không âm",
        -1,
    ),
    (
        "headcount-fraction",
        _set("units.1.headcount", 2.5),
        "units[SNV].headcount",
        "số nguyên không âm",
        2.5,
    ),
    (
        "headcount-bool",
        _set("units.1.headcount", True),
        "units[SNV].headcount",
        "số nguyên không âm",
        True,
    ),
    (
        "headcount-text",
        _set("units.1.headcount", "ba mươi"),
        "units[SNV].headcount",
        "ví dụ 38",
        "ba mươi",
    ),
    (
        "group-code-duplicate",
        lambda d: d["groups"].append({"code": "khoi-a", "name": "B"}),
        "groups[1].code",
        "mã nhóm bị trùng",
        "khoi-a",
    ),
    (
        "group-code-invalid",
        _set("groups.0.code", "KHỐI A"),
        "groups[0].code",
        "mã nhóm (code) không hợp lệ",
        "KHỐI A",
    ),
    (
        "group-name-missing",
        _set("groups.0.name", ...),
        "groups[KHOI-A].name",
        "thiếu tên nhóm",
        ...,
    ),
    (
        "group-kind-invalid",
        _set("groups.0.kind", "đoàn"),
        "groups[KHOI-A].kind",
        "khoi (khối thi đua)",
        "đoàn",
    ),
    (
        "group-head-unknown",
        _set("groups.0.head", "SNX"),
        "groups[KHOI-A].head",
        "trưởng nhóm phải là mã một đơn vị",
        "SNX",
    ),
    ("groups-not-list", _set("groups", {"KHOI-A": {}}), "groups", "phải là một danh sách", "dict"),
    (
        "contact-not-url",
        _set("units.1.contacts", ["snv@caobang.gov.vn"]),
        "units[SNV].contacts[0]",
        "lược-đồ://",
        ...,
    ),
    (
        "contact-bad-outbox",
        _set("units.1.contacts", ["outbox://Sở"]),
        "units[SNV].contacts[0]",
        "hộp thư outbox",
        ...,
    ),
    (
        "contact-not-string",
        _set("units.1.contacts", [42]),
        "units[SNV].contacts[0]",
        "phải là chuỗi",
        ...,
    ),
    (
        "contacts-not-list",
        _set("units.1.contacts", {"a": 1}),
        "units[SNV].contacts",
        "cần danh sách địa chỉ",
        ...,
    ),
    (
        "contact-literal-password",
        _set("units.1.contacts", ["mailtos://bot:hunter2@mail.vn?to=a@b.vn"]),
        "units[SNV].contacts[0]",
        "${SMTP_PASSWORD}",
        "mailtos://bot:****@mail.vn/a%40b.vn",
    ),
    (
        "contact-literal-token",
        _set("units.1.contacts", ["json://${H}/?token=hunter2"]),
        "units[SNV].contacts[0]",
        "tham số “token”",
        "json://${H}/?token=****",
    ),
    (
        "contact-half-placeholder",
        _set("units.1.contacts", ["mailtos://${U}:x${P}@mail.vn"]),
        "units[SNV].contacts[0]",
        "bí mật phải lấy từ biến môi trường",
        "mailtos://${U}:****@mail.vn",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "path", "words", "value"), [r[1:] for r in RULES], ids=[r[0] for r in RULES]
)
def test_validation_rule(mutate: Any, path: str, words: str, value: Any) -> None:
    data = base()
    mutate(data)
    errors = errors_of(data, source="units.yaml", check_contacts=False)
    matching = [p for p in errors if p.path == path]
    assert matching, [p.render() for p in errors]
    assert words in matching[0].message
    if value is not ...:
        assert matching[0].value == value
    assert all(p.source == "units.yaml" for p in errors)


@pytest.mark.parametrize("data", [[], "units: []", None, 3])
def test_registry_must_be_a_mapping(data: Any) -> None:
    [problem] = errors_of(data)
    assert problem.path == ""
    assert "phải là một bảng có các khóa name, groups, units" in problem.message


def test_every_problem_is_reported_at_once() -> None:
    data = base()
    chosen = {
        "unknown-top-field",
        "unknown-unit-field",
        "code-duplicate",
        "kind-invalid-list",
        "supervisor-cycle",
        "group-head-unknown",
        "contact-literal-token",
    }
    rules = [r for r in RULES if r[0] in chosen]
    for rule in rules:
        rule[1](data)
    errors = errors_of(data, check_contacts=False)
    assert {p.path for p in errors} == {r[2] for r in rules}
    with pytest.raises(RegistryError) as err:
        parse_registry(data, check_contacts=False)
    assert err.value.subject == "Danh mục đơn vị <dict>"
    assert f"{len(err.value.errors)} lỗi" in str(err.value)


def test_longer_cycle_is_reported_once() -> None:
    data = base()
    data["units"][0]["supervisor"] = "SNGV"
    data["units"][2]["supervisor"] = "SNV"
    [problem] = errors_of(data, check_contacts=False)
    assert "UBND → SNGV → SNV → UBND" in problem.message


def test_unit_without_contacts_is_a_warning() -> None:
    data = base()
    del data["units"][1]["contacts"]
    reg = parse_registry(data)
    [warning] = reg.warnings
    assert (warning.path, warning.severity) == ("units[SNV].contacts", "warning")
    assert reg.unit("SNV").contacts == ()


def test_head_outside_its_group_and_empty_group_are_warnings() -> None:
    data = base()
    data["groups"][0]["head"] = "UBND"
    data["groups"].append({"code": "CUM-1", "name": "Cụm 1", "kind": "Cụm thi đua"})
    reg = parse_registry(data)
    assert {(w.path, w.severity) for w in reg.warnings} == {
        ("groups[KHOI-A].head", "warning"),
        ("groups[CUM-1]", "warning"),
    }
    assert reg.groups["CUM-1"].kind == "cum"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("so_nganh", UnitKind.SO_NGANH),
        ("Sở, ban, ngành", UnitKind.SO_NGANH),
        ("SỞ BAN NGÀNH", UnitKind.SO_NGANH),
        ("UBND xã", UnitKind.XA),
        ("Phường", UnitKind.PHUONG),
        ("UBND thị trấn", UnitKind.THI_TRAN),
        ("Phòng", UnitKind.PHONG),
        ("UBND huyện", UnitKind.HUYEN),
        ("Thành phố", UnitKind.HUYEN),
        ("MTTQ", UnitKind.DOAN_THE),
        ("Lực lượng vũ trang", UnitKind.LUC_LUONG_VU_TRANG),
        ("Đơn vị sự nghiệp", UnitKind.DON_VI_SU_NGHIEP),
        ("Doanh nghiệp", UnitKind.DOANH_NGHIEP),
        ("HTX", UnitKind.HOP_TAC_XA),
        ("Tỉnh ủy", UnitKind.CO_QUAN_TINH),
        ("khác", UnitKind.KHAC),
    ],
)
def test_unit_kind_accepts_vietnamese_labels(text: str, kind: UnitKind) -> None:
    assert UnitKind.parse(text) is kind


def test_every_unit_kind_has_a_label_that_parses_back() -> None:
    for kind in UnitKind:
        assert kind.label and UnitKind.parse(kind.label) is kind


def test_codes_are_normalised_to_upper_case() -> None:
    data = base()
    data["units"][1]["code"] = "snv"
    data["units"][2]["supervisor"] = "ubnd"
    reg = parse_registry(data)
    assert list(reg.units) == ["UBND", "SNV", "SNGV"]
    assert reg.unit("SNGV").supervisor == "UBND"


def test_registry_equality_ignores_source() -> None:
    assert parse_registry(base(), source="a") == parse_registry(base(), source="b")


# --- contacts through Apprise ----------------------------------------------------


def test_contacts_checked_through_apprise_check(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def fake(urls: Any) -> dict[str, str | None]:
        urls = list(urls)
        seen.extend(urls)
        return {u: ("Apprise không hiểu địa chỉ này" if "zalo" in u else None) for u in urls}

    monkeypatch.setattr(contacts, "check_contacts", fake)
    data = base()
    data["units"][1]["contacts"] = [SMTP, "zalo://snv", "mailtos://bot:hunter2@x.vn"]
    [problem, secret] = sorted(errors_of(data), key=lambda p: p.path)
    assert (problem.path, problem.value) == ("units[SNV].contacts[1]", "zalo://snv")
    assert secret.path == "units[SNV].contacts[2]"
    # literal secrets are never sent to the check (nor to its cache)
    assert "mailtos://bot:hunter2@x.vn" not in seen and SMTP in seen

    seen.clear()
    with pytest.raises(RegistryError):
        parse_registry(data, check_contacts=False)
    assert seen == []


def test_real_apprise_check_of_a_registry() -> None:
    data = base()
    data["units"][1]["contacts"] = [SMTP, "zalo://snv"]
    [problem] = errors_of(data)
    assert problem.path == "units[SNV].contacts[1]"
    assert "không hỗ trợ lược đồ “zalo://”" in problem.message


def test_no_secret_in_any_problem(tmp_path: Path) -> None:
    secret = "hunter2-Very-Secret"
    data = base()
    data["units"][1]["contacts"] = [
        f"mailtos://bot:{secret}@mail.vn?to=a@b.vn",
        f"json://h.vn/?apikey={secret}",
        f"zalo://bot:{secret}@x",
    ]
    data["units"][2]["contacts"] = f"mailtos://bot:{secret}@x.vn ; json://h/?key={secret}"
    problems = problems_of(data)
    assert len([p for p in problems if p.severity == "error"]) == 5
    rendered = "\n".join(p.render() for p in problems)
    assert secret not in rendered


def test_a_valid_registry_is_compiled_once_and_reloaded_equal(tmp_path: Path) -> None:
    from thidua.config import get_settings

    path = tmp_path / "units.yaml"
    path.write_text(
        "groups: [{code: K, name: Khối, kind: khoi, head: A}]\n"
        "units:\n"
        "  - {code: A, name: Sở A, kind: so_nganh, groups: [K], headcount: 5,"
        " contacts: ['outbox://a']}\n"
        "  - {code: B, name: Sở B, kind: so_nganh, groups: [K], supervisor: A}\n",
        encoding="utf-8",
    )
    first = load_registry(path)
    compiled = list((get_settings().cache_dir / "registries").glob("*.jsonl"))
    assert len(compiled) == 1
    again = load_registry(path)
    assert again == first and again.warnings == first.warnings
    assert again.unit("B").kind is UnitKind.SO_NGANH and again.unit("A").groups == ("K",)
    assert [w.path for w in again.warnings] == [w.path for w in first.warnings] != []

    # A changed file is read afresh, and an invalid one is reported, never served stale.
    path.write_text(path.read_text("utf-8").replace("supervisor: A", "supervisor: Z"), "utf-8")
    with pytest.raises(RegistryError) as info:
        load_registry(path)
    assert any(p.value == "Z" for p in info.value.problems)


def test_compiled_units_share_what_they_repeat_and_copies_stay_apart(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "units.xlsx",
        {"units": [ENGLISH_HEADER, *ROWS], "groups": [GROUP_HEADER, *GROUP_ROWS]},
    )
    first = load_registry(path)
    again = load_registry(path)  # from its compiled cache
    assert again == first
    snv, sngv = again.unit("SNV"), again.unit("SNGV")
    assert snv.groups is sngv.groups and snv.supervisor is sngv.supervisor
    # One fields set serves every cached unit: a copy with changes must not touch the others.
    renamed = snv.model_copy(update={"name": "Sở Nội vụ (mới)"})
    assert renamed.name == "Sở Nội vụ (mới)" and again.unit("SNV").name == "Sở Nội vụ"
    assert renamed.model_fields_set is not snv.model_fields_set
    assert snv.model_fields_set == set(Unit.model_fields)  # as the cache always marked them


def test_a_damaged_compiled_registry_is_compiled_again(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "units.xlsx",
        {"units": [ENGLISH_HEADER, *ROWS], "groups": [GROUP_HEADER, *GROUP_ROWS]},
    )
    first = load_registry(path)
    [compiled] = (get_settings().cache_dir / "registries").glob("*.jsonl")
    lines = compiled.read_text(encoding="utf-8").splitlines()
    compiled.write_text("\n".join(lines[:-1]), encoding="utf-8")  # a unit lost
    assert load_registry(path) == first
    compiled.write_text("\n".join([*lines[:2], "{not json", *lines[3:]]), encoding="utf-8")
    assert load_registry(path) == first
    assert len(compiled.read_text(encoding="utf-8").splitlines()) == len(lines)  # rewritten
