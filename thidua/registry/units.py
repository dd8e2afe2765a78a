"""The units registry: who can be notified, in which groups, reporting to whom.

A registry comes from YAML, or from a CSV / XLSX list as offices keep them in
Excel (English or Vietnamese headers). Whatever the format, the rows become one
plain dict that `parse_registry` validates as a whole: every problem is collected
with its field path and file line, then raised as one `RegistryError`, so an
admin fixes the file in one pass. Contact URLs are checked by `thidua.registry.contacts`.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from thidua.errors import Problem, RegistryError
from thidua.registry import contacts as _contacts
from thidua.store.cache import cache_dir, fingerprint, read_json, source_fingerprint, write_json
from thidua.text import names as _names
from thidua.text.names import MAX_NAME, Name, clean_text, escaped

MAX_FILE_BYTES = 5 * 1024 * 1024
#: an .xlsx is a zip: its unpacked size is bounded too (zip bombs)
MAX_XLSX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ROWS = 50_000
#: title rows above the header row that a table may have (“DANH SÁCH ĐƠN VỊ…”)
MAX_HEADER_SEARCH = 10
MAX_COLUMNS = 60
#: people in one unit; a bigger number is a typo (and would overflow quota arithmetic)
MAX_HEADCOUNT = 1_000_000
#: registry, units, a unit, its contacts: four levels; anything far deeper is an attack
MAX_YAML_DEPTH = 20

SUFFIXES = (".yaml", ".yml", ".csv", ".xlsx")
CODE_PATTERN = r"^[A-Z0-9][A-Z0-9_.\-]*$"
_CODE = re.compile(CODE_PATTERN)
_CODE_HELP = "chữ cái không dấu, chữ số, “_”, “.”, “-”, bắt đầu bằng chữ hoặc số, ví dụ “SNGV”"
_SECRET_HELP = "bí mật phải lấy từ biến môi trường, ví dụ ${SMTP_PASSWORD}"


def fold(text: str) -> str:
    """Lowercase ASCII form of Vietnamese text with words separated by one space."""
    text = unicodedata.normalize("NFD", text.strip().lower()).replace("đ", "d")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


# --- models --------------------------------------------------------------------


class UnitKind(StrEnum):
    """What kind of body a unit is; campaigns target units by kind."""

    SO_NGANH = "so_nganh"
    DOAN_THE = "doan_the"
    LUC_LUONG_VU_TRANG = "luc_luong_vu_trang"
    HUYEN = "huyen"
    XA = "xa"
    PHUONG = "phuong"
    THI_TRAN = "thi_tran"
    PHONG = "phong"
    DON_VI_SU_NGHIEP = "don_vi_su_nghiep"
    DOANH_NGHIEP = "doanh_nghiep"
    HOP_TAC_XA = "hop_tac_xa"
    CO_QUAN_TINH = "co_quan_tinh"
    KHAC = "khac"

    @property
    def label(self) -> str:
        """Vietnamese name of the kind, for messages."""
        return _KIND_LABELS[self]

    @classmethod
    def parse(cls, value: Any) -> UnitKind:
        """The kind named by its code or a Vietnamese label; ValueError listing the kinds."""
        if isinstance(value, UnitKind):
            return value
        if isinstance(value, str):
            found = _KIND_LOOKUP.get(fold(value))
            if found is not None:
                return found
        raise ValueError(f"loại đơn vị không hợp lệ; dùng một trong: {cls.allowed()}")

    @classmethod
    def allowed(cls) -> str:
        """The accepted kinds, for error messages."""
        return ", ".join(f"{kind.value} ({kind.label})" for kind in cls)


_KIND_LABELS: dict[UnitKind, str] = {
    UnitKind.SO_NGANH: "Sở, ban, ngành cấp tỉnh",
    UnitKind.DOAN_THE: "Mặt trận Tổ quốc, đoàn thể",
    UnitKind.LUC_LUONG_VU_TRANG: "Lực lượng vũ trang",
    UnitKind.HUYEN: "UBND huyện, thành phố",
    UnitKind.XA: "UBND xã",
    UnitKind.PHUONG: "UBND phường",
    UnitKind.THI_TRAN: "UBND thị trấn",
    UnitKind.PHONG: "Phòng, ban thuộc cơ quan",
    UnitKind.DON_VI_SU_NGHIEP: "Đơn vị sự nghiệp",
    UnitKind.DOANH_NGHIEP: "Doanh nghiệp",
    UnitKind.HOP_TAC_XA: "Hợp tác xã",
    UnitKind.CO_QUAN_TINH: "Cơ quan cấp tỉnh (UBND, HĐND tỉnh, Tỉnh ủy)",
    UnitKind.KHAC: "Khác",
}

# What offices actually write in the "Loại" column of their lists (folded).
_KIND_ALIASES: dict[UnitKind, tuple[str, ...]] = {
    UnitKind.SO_NGANH: (
        "so",
        "ban",
        "nganh",
        "so nganh",
        "so ban nganh",
        "so ban nganh tinh",
        "co quan chuyen mon",
        "co quan chuyen mon thuoc ubnd tinh",
    ),
    UnitKind.DOAN_THE: (
        "doan the",
        "mttq",
        "mat tran",
        "mat tran to quoc",
        "mttq doan the",
        "to chuc chinh tri xa hoi",
    ),
    UnitKind.LUC_LUONG_VU_TRANG: ("llvt", "cong an", "quan su", "bien phong", "bo doi bien phong"),
    UnitKind.HUYEN: (
        "huyen",
        "ubnd huyen",
        "thanh pho",
        "ubnd thanh pho",
        "thi xa",
        "ubnd thi xa",
        "huyen thanh pho",
        "cap huyen",
    ),
    UnitKind.XA: ("xa", "ubnd xa"),
    UnitKind.PHUONG: ("phuong", "ubnd phuong"),
    UnitKind.THI_TRAN: ("thi tran", "ubnd thi tran"),
    UnitKind.PHONG: ("phong", "phong ban", "phong chuyen mon", "phong ban chuyen mon"),
    UnitKind.DON_VI_SU_NGHIEP: ("dvsn", "don vi su nghiep cong lap"),
    UnitKind.DOANH_NGHIEP: ("dn", "cong ty"),
    UnitKind.HOP_TAC_XA: ("htx",),
    UnitKind.CO_QUAN_TINH: ("ubnd tinh", "hdnd tinh", "tinh uy", "co quan cap tinh"),
    UnitKind.KHAC: ("khac",),
}

_KIND_LOOKUP: dict[str, UnitKind] = {}
for _kind in UnitKind:
    for _name in (_kind.value, _KIND_LABELS[_kind], *_KIND_ALIASES[_kind]):
        _KIND_LOOKUP.setdefault(fold(_name), _kind)

GroupKind = Literal["khoi", "cum", "nhom"]
_GROUP_KIND_LOOKUP: dict[str, GroupKind] = {
    "khoi": "khoi",
    "khoi thi dua": "khoi",
    "cum": "cum",
    "cum thi dua": "cum",
    "nhom": "nhom",
}
_GROUP_KINDS_HELP = "khoi (khối thi đua), cum (cụm thi đua), nhom (nhóm)"


class _Model(BaseModel):
    # defer_build: a registry served from its compiled cache never validates, so
    # building validators at import would be wasted on most CLI calls.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Group(_Model):
    """A named set of units: khối / cụm thi đua, or any other group (nhóm)."""

    code: str = Field(pattern=CODE_PATTERN)
    name: Name = Field(min_length=1)
    kind: GroupKind = "nhom"
    head: str | None = None


class Unit(_Model):
    """One unit (đơn vị) of the registry and the addresses it is notified at."""

    code: str = Field(pattern=CODE_PATTERN)
    name: Name = Field(min_length=1)
    kind: UnitKind
    groups: tuple[str, ...] = ()
    supervisor: str | None = None
    head: str | None = None
    headcount: int | None = Field(default=None, ge=0)
    contacts: tuple[str, ...] = ()
    # Shown to people (a notice's contact line), never used to send: contacts do that.
    phone: str | None = None
    email: str | None = None


def _close_matches(word: str, candidates: Sequence[str], n: int = 1) -> list[str]:
    """Did-you-mean suggestions; difflib is imported only when a mistake is found."""
    import difflib

    return difflib.get_close_matches(word, candidates, n=n)


def _key(code: str) -> str:
    return code.strip().upper()


@dataclass(kw_only=True)
class Registry:
    """A validated registry; codes are upper case and lookups ignore case.

    Equality compares contents (name, units, groups), not where they came from.
    """

    units: dict[str, Unit]
    groups: dict[str, Group] = field(default_factory=dict)
    name: str | None = None
    source: str = field(default="<dict>", compare=False)
    warnings: list[Problem] = field(default_factory=list, compare=False, repr=False)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and _key(code) in self.units

    def __len__(self) -> int:
        return len(self.units)

    def __iter__(self) -> Iterator[Unit]:
        return iter(self.units.values())

    def unit(self, code: str) -> Unit:
        """The unit with `code`; KeyError if there is none."""
        return self.units[_key(code)]

    def group(self, code: str) -> Group:
        """The group with `code`; KeyError if there is none."""
        return self.groups[_key(code)]

    def members(self, group_code: str) -> list[Unit]:
        """Units of the group, in registry order; KeyError for an unknown group."""
        code = self.group(group_code).code
        return [unit for unit in self.units.values() if code in unit.groups]

    def of_kind(self, *kinds: UnitKind | str) -> list[Unit]:
        """Units of any of `kinds` (codes or Vietnamese labels), in registry order."""
        wanted = {UnitKind.parse(kind) for kind in kinds}
        return [unit for unit in self.units.values() if unit.kind in wanted]

    def supervisor(self, code: str) -> Unit | None:
        """The unit `code` reports to, or None."""
        sup = self.unit(code).supervisor
        return self.units[sup] if sup else None

    def group_heads(self, code: str) -> list[Unit]:
        """Heads of the groups the unit belongs to, without the unit itself."""
        unit = self.unit(code)
        heads: dict[str, Unit] = {}
        for group_code in unit.groups:
            head = self.groups[group_code].head
            if head and head != unit.code:
                heads.setdefault(head, self.units[head])
        return list(heads.values())


# --- validation ----------------------------------------------------------------

_TOP_FIELDS = ("name", "groups", "units")
_GROUP_FIELDS = ("code", "name", "kind", "head")
_UNIT_FIELDS = (
    "code",
    "name",
    "kind",
    "groups",
    "supervisor",
    "head",
    "headcount",
    "contacts",
    "phone",
    "email",
)


class _Checker:
    """Collects every problem of one registry while turning raw data into models."""

    def __init__(self, source: str, locations: dict[str, str] | None = None) -> None:
        self.source = source
        #: "units[3]" / "groups[0]" / "name" -> "file:line", where the input had lines
        self.locations = locations or {}
        self.problems: list[Problem] = []

    def add(
        self, path: str, message: str, value: Any = ..., *, at: str = "", warn: bool = False
    ) -> None:
        """Record a problem; `at` is the raw item path used to find the line."""
        where = self.locations.get(at or path.split(".")[0], self.source)
        severity: Literal["error", "warning"] = "warning" if warn else "error"
        if value is ...:
            self.problems.append(Problem(path, message, source=where, severity=severity))
        else:
            self.problems.append(Problem(path, message, value, where, severity))

    @property
    def failed(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    # field helpers: each returns the clean value or None after recording a problem

    def unknown_fields(
        self, item: dict[Any, Any], allowed: tuple[str, ...], path: str, at: str
    ) -> None:
        for key in item:
            if key in allowed:
                continue
            hint = _close_matches(str(key), allowed, n=1)
            maybe = f"; có phải là “{hint[0]}”?" if hint else ""
            self.add(
                f"{path}.{key}" if path else str(key),
                f"trường “{key}” không có trong danh mục{maybe} "
                f"(các trường dùng được: {', '.join(allowed)})",
                at=at,
            )

    def code(self, value: Any, path: str, at: str, what: str) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.add(path, f"thiếu {what}; cần {_CODE_HELP}", at=at)
            return None
        if not isinstance(value, str):
            self.add(
                path, f"{what} phải là chuỗi (đặt trong dấu nháy); cần {_CODE_HELP}", value, at=at
            )
            return None
        code = _key(value)
        if not _CODE.match(code):
            self.add(path, f"{what} không hợp lệ; cần {_CODE_HELP}", value, at=at)
            return None
        return code

    def text(self, value: Any, path: str, at: str, what: str, *, required: bool) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(path, f"thiếu {what}", at=at)
            return None
        if not isinstance(value, str):
            self.add(path, f"{what} phải là chuỗi văn bản", value, at=at)
            return None
        try:
            return clean_text(value, what, limit=MAX_NAME)
        except ValueError as exc:
            self.add(path, str(exc), escaped(" ".join(value.split())), at=at)
            return None

    def headcount(self, value: Any, path: str, at: str) -> int | None:
        expected = "số CBCCVC phải là số nguyên không âm, ví dụ 38"
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        number: int | None = None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            # Excel stores every number as a float: 38.0 is 38
            number = int(value)
        elif isinstance(value, str) and len(value.strip()) <= 20:
            # longer digit strings are refused unread: int() of 5,000 digits raises
            text = value.strip().replace(" ", "")
            if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", text):
                # Vietnamese thousands separator: "1.234" is 1234 people
                number = int(re.sub(r"[.,]", "", text))
            elif m := re.fullmatch(r"(\d+)(?:[.,]0+)?", text):
                number = int(m.group(1))
            elif re.fullmatch(r"-\d+", text):
                number = int(text)
        if number is None or number < 0:
            self.add(path, expected, value, at=at)
            return None
        if number > MAX_HEADCOUNT:
            # also keeps quota arithmetic (headcount × ratio, as floats) in range
            self.add(
                path,
                f"số CBCCVC quá lớn; một đơn vị không quá {MAX_HEADCOUNT:,} người".replace(
                    ",", "."
                ),
                value,
                at=at,
            )
            return None
        return number

    def code_list(self, value: Any, path: str, at: str, what: str) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str):
            value = [part for part in re.split(r"[;,]", value) if part.strip()]
        if not isinstance(value, list | tuple):
            self.add(path, f"cần danh sách {what}, ví dụ [KHOI-TONG-HOP]", value, at=at)
            return []
        codes = []
        for i, item in enumerate(value):
            code = self.code(item, f"{path}[{i}]", at, f"mã {what}")
            if code and code not in codes:
                codes.append(code)
        return codes

    def contacts(self, value: Any, path: str, at: str) -> list[tuple[str, str]]:
        """Clean (path, url) pairs; literal secrets and malformed URLs are errors."""
        if value is None:
            return []
        if isinstance(value, str):
            value = [part for part in re.split(r"[\s;]+", value) if part]
        if not isinstance(value, list | tuple):
            self.add(path, "cần danh sách địa chỉ Apprise, ví dụ [outbox://sngv]", at=at)
            return []
        seen: list[tuple[str, str]] = []
        for i, url in enumerate(value):
            item_path = f"{path}[{i}]"
            if not isinstance(url, str):
                self.add(item_path, "địa chỉ liên hệ phải là chuỗi, ví dụ “outbox://sngv”", at=at)
                continue
            url = url.strip()
            if url in (u for _, u in seen):
                continue
            error = _contacts.check_local(url)
            if error:
                self.add(item_path, error, _contacts.display(url), at=at)
                continue
            secrets = _contacts.literal_secrets(url)
            if secrets:
                self.add(
                    item_path,
                    f"không được ghi bí mật trực tiếp ({', '.join(secrets)}); {_SECRET_HELP}",
                    _contacts.display(url),
                    at=at,
                )
                continue
            seen.append((item_path, url))
        return seen


def _mapping_items(
    chk: _Checker, value: Any, name: str, example: str
) -> list[tuple[int, dict[Any, Any]]]:
    """The mapping items of a top-level list; anything else is recorded as a problem."""
    if value is None:
        return []
    if not isinstance(value, list):
        chk.add(
            name, f"“{name}” phải là một danh sách, mỗi mục dạng {example}", type(value).__name__
        )
        return []
    items = []
    for i, item in enumerate(value):
        if isinstance(item, dict):
            items.append((i, item))
        else:
            chk.add(f"{name}[{i}]", f"mỗi mục phải là một bảng dạng {example}", item)
    return items


def _suggest(code: str, known: Iterable[str]) -> str:
    hint = _close_matches(code, list(known), n=1)
    return f"; có phải là “{hint[0]}”?" if hint else ""


def parse_registry(data: Any, *, source: str = "<dict>", check_contacts: bool = True) -> Registry:
    """Validate a registry given as plain data (as YAML gives it); raise RegistryError."""
    return _parse(data, source, check_contacts)


def _parse(
    data: Any,
    source: str,
    check_contacts: bool,
    locations: dict[str, str] | None = None,
    problems: list[Problem] | None = None,
) -> Registry:
    """`parse_registry` plus item lines and problems already found while reading a file."""
    chk = _Checker(source, locations)
    chk.problems += problems or []
    subject = f"Danh mục đơn vị {source}"
    if not isinstance(data, dict):
        chk.add(
            "",
            "danh mục đơn vị phải là một bảng có các khóa name, groups, units",
            type(data).__name__,
        )
        raise RegistryError(subject, chk.problems)
    chk.unknown_fields(data, _TOP_FIELDS, "", "")
    title = chk.text(data.get("name"), "name", "name", "tên danh mục", required=False)

    groups, group_at = _check_groups(chk, data)
    units, supervisors, pending = _check_units(chk, data, groups)
    _check_references(chk, data, groups, group_at, units, supervisors)

    if check_contacts and pending:
        results = _contacts.check_contacts(url for _, _, url in pending)
        for path, at, url in pending:
            error = results.get(url)
            if error:
                chk.add(path, error, _contacts.display(url), at=at)

    if chk.failed:
        raise RegistryError(subject, chk.problems)
    return Registry(
        source=source,
        name=title,
        units={code: Unit(**fields) for code, fields in units.items()},
        groups={code: Group(**fields) for code, fields in groups.items()},
        warnings=chk.problems,
    )


def _check_groups(
    chk: _Checker, data: dict[Any, Any]
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Validate group definitions; returns fields by code and each group's item path."""
    groups: dict[str, dict[str, Any]] = {}
    group_at: dict[str, str] = {}
    first_index: dict[str, int] = {}
    example = "{code: KHOI-TONG-HOP, name: Khối các cơ quan tổng hợp, kind: khoi}"
    for i, item in _mapping_items(chk, data.get("groups"), "groups", example):
        at = f"groups[{i}]"
        chk.unknown_fields(item, _GROUP_FIELDS, at, at)
        code = chk.code(item.get("code"), f"{at}.code", at, "mã nhóm (code)")
        if code and code in groups:
            chk.add(
                f"{at}.code",
                f"mã nhóm bị trùng với groups[{first_index[code]}] (không phân biệt hoa thường)",
                item.get("code"),
                at=at,
            )
            continue
        path = f"groups[{code}]" if code else at
        name = chk.text(item.get("name"), f"{path}.name", at, "tên nhóm (name)", required=True)
        kind: GroupKind = "nhom"
        raw_kind = item.get("kind")
        if raw_kind is not None and not (isinstance(raw_kind, str) and not raw_kind.strip()):
            found = _GROUP_KIND_LOOKUP.get(fold(raw_kind)) if isinstance(raw_kind, str) else None
            if found is None:
                chk.add(
                    f"{path}.kind",
                    f"loại nhóm không hợp lệ; dùng một trong: {_GROUP_KINDS_HELP}",
                    raw_kind,
                    at=at,
                )
            else:
                kind = found
        head = None
        if item.get("head") is not None and item.get("head") != "":
            head = chk.code(item.get("head"), f"{path}.head", at, "mã đơn vị trưởng nhóm (head)")
        if code:
            first_index[code] = i
            groups[code] = {"code": code, "name": name or code, "kind": kind, "head": head}
            group_at[code] = at
    return groups, group_at


def _check_units(
    chk: _Checker, data: dict[Any, Any], groups: dict[str, dict[str, Any]]
) -> tuple[dict[str, dict[str, Any]], dict[str, tuple[str, str, str]], list[tuple[str, str, str]]]:
    """Validate each unit; returns fields by code, supervisors, and contacts to check."""
    if "units" not in data:
        chk.add("units", "thiếu danh sách đơn vị (units)")
    units: dict[str, dict[str, Any]] = {}
    first_index: dict[str, int] = {}
    supervisors: dict[str, tuple[str, str, str]] = {}  # code -> (path, at, supervisor)
    pending: list[tuple[str, str, str]] = []  # (path, at, url) for the Apprise check
    explicit_groups = "groups" in data
    example = "{code: SNGV, name: Sở Ngoại vụ, kind: so_nganh, contacts: [outbox://sngv]}"
    items = _mapping_items(chk, data.get("units"), "units", example)
    if "units" in data and isinstance(data["units"], list) and not data["units"] and not chk.failed:
        chk.add("units", "danh mục chưa có đơn vị nào", warn=True)
    for i, item in items:
        at = f"units[{i}]"
        chk.unknown_fields(item, _UNIT_FIELDS, at, at)
        code = chk.code(item.get("code"), f"{at}.code", at, "mã đơn vị (code)")
        if code and code in first_index:
            chk.add(
                f"{at}.code",
                f"mã đơn vị bị trùng với units[{first_index[code]}] (không phân biệt hoa thường)",
                item.get("code"),
                at=at,
            )
            code = None
        elif code:
            first_index[code] = i
        path = f"units[{code}]" if code else at
        name = chk.text(item.get("name"), f"{path}.name", at, "tên đơn vị (name)", required=True)
        kind = None
        raw_kind = item.get("kind")
        if raw_kind is None or (isinstance(raw_kind, str) and not raw_kind.strip()):
            chk.add(
                f"{path}.kind",
                f"thiếu loại đơn vị (kind); dùng một trong: {UnitKind.allowed()}",
                at=at,
            )
        else:
            try:
                kind = UnitKind.parse(raw_kind)
            except ValueError as exc:
                chk.add(f"{path}.kind", str(exc), raw_kind, at=at)
        unit_groups = chk.code_list(item.get("groups"), f"{path}.groups", at, "nhóm")
        for g_index, group_code in enumerate(unit_groups):
            if group_code in groups:
                continue
            if explicit_groups:
                chk.add(
                    f"{path}.groups[{g_index}]",
                    f"không có nhóm “{group_code}” trong phần groups{_suggest(group_code, groups)}",
                    group_code,
                    at=at,
                )
            else:
                # no group definitions at all: groups exist by being referenced
                groups[group_code] = {
                    "code": group_code,
                    "name": group_code,
                    "kind": "nhom",
                    "head": None,
                }
        supervisor = None
        if item.get("supervisor") not in (None, ""):
            supervisor = chk.code(
                item.get("supervisor"), f"{path}.supervisor", at, "mã đơn vị cấp trên"
            )
        head = chk.text(item.get("head"), f"{path}.head", at, "thủ trưởng (head)", required=False)
        headcount = chk.headcount(item.get("headcount"), f"{path}.headcount", at)
        phone = chk.text(
            item.get("phone"), f"{path}.phone", at, "số điện thoại (phone)", required=False
        )
        email = chk.text(
            item.get("email"), f"{path}.email", at, "thư điện tử (email)", required=False
        )
        urls = chk.contacts(item.get("contacts"), f"{path}.contacts", at)
        if not urls and not item.get("contacts"):
            chk.add(
                f"{path}.contacts",
                "đơn vị chưa có địa chỉ liên hệ; đợt thi đua nào gửi tới đơn vị này sẽ báo lỗi",
                at=at,
                warn=True,
            )
        pending += [(p, at, url) for p, url in urls]
        if code and supervisor:
            # kept even when the unit has other errors, so that cycles are still found
            supervisors[code] = (f"{path}.supervisor", at, supervisor)
        if code is None or name is None or kind is None:
            continue
        units[code] = {
            "code": code,
            "name": name,
            "kind": kind,
            "groups": tuple(unit_groups),
            "supervisor": supervisor,
            "head": head,
            "headcount": headcount,
            "contacts": tuple(url for _, url in urls),
            "phone": phone,
            "email": email,
        }
    return units, supervisors, pending


def _check_references(
    chk: _Checker,
    data: dict[Any, Any],
    groups: dict[str, dict[str, Any]],
    group_at: dict[str, str],
    units: dict[str, dict[str, Any]],
    supervisors: dict[str, tuple[str, str, str]],
) -> None:
    """Cross-references: supervisors exist and form no cycle, group heads are units."""
    listed = data.get("units")
    raw_units = listed if isinstance(listed, list) else []
    all_codes = {
        _key(item["code"])
        for item in raw_units
        if isinstance(item, dict) and isinstance(item.get("code"), str)
    }
    graph: dict[str, str] = {}
    for code, (path, at, sup) in supervisors.items():
        if sup == code:
            chk.add(path, "đơn vị không thể là cấp trên của chính mình", sup, at=at)
        elif sup not in all_codes:
            chk.add(
                path,
                f"không có đơn vị mã “{sup}” trong danh mục{_suggest(sup, all_codes)}",
                sup,
                at=at,
            )
        elif sup in supervisors:
            graph[code] = sup
    for cycle in _cycles(graph, list(supervisors)):
        path, at, sup = supervisors[cycle[0]]
        chain = " → ".join([*cycle, cycle[0]])
        chk.add(
            path,
            f"cấp trên tạo thành vòng lặp {chain}; chuỗi cấp trên phải dừng ở một đơn vị "
            "không có cấp trên (thường là UBND tỉnh)",
            sup,
            at=at,
        )

    members: dict[str, list[str]] = {code: [] for code in groups}
    for code, unit in units.items():
        for group_code in unit["groups"]:
            members.setdefault(group_code, []).append(code)
    for code, group in groups.items():
        at = group_at.get(code, "")
        head = group["head"]
        if head is None:
            continue
        if head not in all_codes:
            chk.add(
                f"groups[{code}].head",
                f"trưởng nhóm phải là mã một đơn vị trong danh mục{_suggest(head, all_codes)}",
                head,
                at=at,
            )
        elif head in units and head not in members.get(code, []):
            chk.add(
                f"groups[{code}].head",
                "đơn vị trưởng nhóm không thuộc nhóm này; kiểm tra lại mã",
                head,
                at=at,
                warn=True,
            )
    if "groups" in data:
        for code in groups:
            if not members.get(code):
                chk.add(f"groups[{code}]", "nhóm chưa có đơn vị nào", at=group_at[code], warn=True)


def _cycles(graph: dict[str, str], order: list[str]) -> list[list[str]]:
    """Each supervisor cycle once, starting at its first unit in file order."""
    position = {code: i for i, code in enumerate(order)}
    done: set[str] = set()
    cycles = []
    for start in order:
        trail: list[str] = []
        on_trail: dict[str, int] = {}
        node: str | None = start
        while node is not None and node not in done and node not in on_trail:
            on_trail[node] = len(trail)
            trail.append(node)
            node = graph.get(node)
        if node is not None and node in on_trail:
            cycle = trail[on_trail[node] :]
            first = min(range(len(cycle)), key=lambda k: position[cycle[k]])
            cycles.append(cycle[first:] + cycle[:first])
        done.update(trail)
    return cycles


# --- files ---------------------------------------------------------------------


def _fail(source: str, message: str, value: Any = ..., where: str | None = None) -> RegistryError:
    problem = (
        Problem("", message, source=where or source)
        if value is ...
        else Problem("", message, value, where or source)
    )
    return RegistryError(f"Danh mục đơn vị {source}", [problem])


def load_registry(path: str | Path, *, check_contacts: bool = True) -> Registry:
    """Load and validate a registry from .yaml/.yml, .csv or .xlsx; raise RegistryError."""
    path = Path(path)
    source = str(path)
    suffix = path.suffix.lower()
    if path.is_dir():
        raise _fail(source, "đây là một thư mục, không phải là một tệp danh mục đơn vị")
    if suffix not in SUFFIXES:
        hint = "; hãy lưu lại dạng .xlsx" if suffix in (".xls", ".ods") else ""
        raise _fail(
            source,
            f"không đọc được tệp đuôi “{path.suffix}”{hint}; dùng một trong: {', '.join(SUFFIXES)}",
        )
    raw = _read_bytes(path, source)
    cache_file = _compiled_cache_file(raw, suffix, check_contacts)
    cached = _from_compiled(read_json(cache_file), source)
    if cached is not None:
        return cached
    if suffix == ".xlsx":
        data, locations, problems = _from_xlsx(path, source)
    elif suffix == ".csv":
        data, locations, problems = _from_csv(path, raw, source)
    else:
        data, locations, problems = _from_yaml(_decode(raw, source, csv=False), source)
    registry = _parse(data, source, check_contacts, locations, problems)
    write_json(cache_file, _to_compiled(registry))
    return registry


# --- compiled registries ----------------------------------------------------------
# Reading and validating a registry (YAML import, parse, 100 pydantic validations,
# contact checks) costs ~60 ms on every `thidua validate`/`plan`, while registries
# change far less often than campaign files. A valid registry is kept as JSON keyed
# by its bytes, this code and the Apprise version; invalid ones are never cached,
# so error messages always come from a fresh check.

_COMPILED_FORMAT = "1"


def _compiled_cache_file(raw: bytes, suffix: str, check_contacts: bool) -> Path:
    code = source_fingerprint(__file__, _contacts.__file__, _names.__file__)
    # "absent" rather than None: a registry checked without Apprise is cached apart.
    version = (_contacts.apprise_version() or "absent") if check_contacts else "-"
    key = fingerprint(_COMPILED_FORMAT, code, version, suffix, str(check_contacts), raw)
    return cache_dir() / "registries" / f"{key}.json"


def _to_compiled(registry: Registry) -> dict[str, Any]:
    return {
        "format": _COMPILED_FORMAT,
        "name": registry.name,
        "groups": [g.model_dump() for g in registry.groups.values()],
        "units": [u.model_dump(mode="json") for u in registry.units.values()],
        "warnings": [
            {"path": w.path, "message": w.message, "source": w.source, "severity": w.severity}
            | ({"value": w.value} if w.has_value else {})
            for w in registry.warnings
        ],
    }


def _from_compiled(data: Any, source: str) -> Registry | None:
    if not isinstance(data, dict) or data.get("format") != _COMPILED_FORMAT:
        return None
    try:
        groups = [Group.model_construct(**g) for g in data["groups"]]
        units = [
            Unit.model_construct(
                **{
                    **u,
                    "kind": UnitKind(u["kind"]),
                    "groups": tuple(u["groups"]),
                    "contacts": tuple(u["contacts"]),
                }
            )
            for u in data["units"]
        ]
        warnings = [Problem(**w) for w in data["warnings"]]
    except (KeyError, TypeError, ValueError):
        return None
    return Registry(
        source=source,
        name=data.get("name"),
        units={u.code: u for u in units},
        groups={g.code: g for g in groups},
        warnings=warnings,
    )


def _read_bytes(path: Path, source: str) -> bytes:
    try:
        if not path.exists():
            raise _fail(source, "không tìm thấy tệp danh mục đơn vị")
        if not path.is_file():
            raise _fail(source, "đây không phải là một tệp (có thể là thư mục)")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _fail(
                source,
                f"tệp quá lớn ({size / 1024 / 1024:.1f} MB); danh mục đơn vị không được quá "
                f"{MAX_FILE_BYTES // 1024 // 1024} MB",
            )
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _fail(source, f"không đọc được tệp: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:  # grew after stat, or a device file
        raise _fail(
            source, f"tệp quá lớn; danh mục không được quá {MAX_FILE_BYTES // 1024 // 1024} MB"
        )
    return data


def _decode(raw: bytes, source: str, *, csv: bool) -> str:
    how = (
        "hãy lưu lại với bảng mã UTF-8 (trong Excel: Lưu thành → “CSV UTF-8 (Comma delimited)”)"
        if csv
        else "hãy lưu lại với bảng mã UTF-8 (trong trình soạn thảo: Save with Encoding → UTF-8)"
    )
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(source, f"tệp đang ở bảng mã UTF-16, không phải UTF-8; {how}")
    try:
        # Excel writes a BOM in front of "CSV UTF-8"; it is not part of the first header
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _fail(
            source,
            f"tệp không phải bảng mã UTF-8 (byte lạ ở dòng {line}; có thể là Windows-1258 "
            f"hoặc TCVN3); {how}",
            where=f"{source}:{line}",
        ) from None
    if "\x00" in text:
        # NUL decodes as UTF-8 but ends up in names that PostgreSQL cannot store.
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise _fail(
            source,
            "tệp chứa ký tự NUL (byte 0): tệp bị hỏng, hoặc là UTF-16 không có BOM; " + how,
            where=f"{source}:{line}",
        )
    return text


# --- YAML ----------------------------------------------------------------------


# YAML 1.1 integers and floats (with “_” and “:” separators), as PyYAML reads them
_YAML_NUMBER = re.compile(
    r"[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|[0-9][0-9_:]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?)"
)


def _from_yaml(text: str, source: str) -> tuple[Any, dict[str, str], list[Problem]]:
    import yaml

    loader_cls = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        # Aliases are refused before anything is built: a few lines of nested
        # aliases (“billion laughs”) expand to gigabytes once code walks the data.
        events = loader_cls(text)
        depth = 0
        try:
            while events.check_event():
                event = events.get_event()
                if isinstance(event, yaml.CollectionStartEvent):
                    depth += 1
                    if depth > MAX_YAML_DEPTH:
                        # libyaml composes nodes recursively in C: a few thousand
                        # nested “[” overflow its stack and kill the process.
                        line = event.start_mark.line + 1
                        raise _fail(
                            source,
                            f"cấu trúc YAML lồng nhau quá {MAX_YAML_DEPTH} cấp (dòng {line}); "
                            "danh mục đơn vị chỉ cần vài cấp: units → đơn vị → contacts",
                            where=f"{source}:{line}",
                        )
                elif isinstance(event, yaml.CollectionEndEvent):
                    depth -= 1
                elif (
                    isinstance(event, yaml.ScalarEvent)
                    and not event.style  # plain: None (PyYAML) or "" (libyaml)
                    and len(event.value) > 100
                    and _YAML_NUMBER.fullmatch(event.value)
                ):
                    # PyYAML's int() of over 4,300 digits raises a bare ValueError
                    line = event.start_mark.line + 1
                    raise _fail(
                        source,
                        f"số có {len(event.value)} chữ số ở dòng {line}; danh mục đơn vị "
                        "không có số nào dài như vậy",
                        where=f"{source}:{line}",
                    )
                elif isinstance(event, yaml.AliasEvent):
                    line = event.start_mark.line + 1
                    raise _fail(
                        source,
                        "không được dùng tham chiếu YAML (&neo / *bí-danh); "
                        "hãy viết đầy đủ từng mục",
                        f"*{event.anchor}",
                        where=f"{source}:{line}",
                    )
        finally:
            events.dispose()
        loader = loader_cls(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.constructor.ConstructorError as exc:
        tag = re.search(r"tag '([^']*)'", str(exc.problem or ""))
        if tag is None:
            raise _yaml_syntax(exc, source) from None
        shown = tag.group(1).replace("tag:yaml.org,2002:", "!!")
        mark = exc.problem_mark
        line = mark.line + 1 if mark else 0
        raise _fail(
            source,
            f"thẻ YAML “{shown}” không được dùng (dòng {line}); danh mục chỉ gồm chữ, số, "
            "danh sách và bảng",
            shown,
            where=f"{source}:{line}" if line else source,
        ) from None
    except yaml.MarkedYAMLError as exc:
        raise _yaml_syntax(exc, source) from None
    except yaml.YAMLError as exc:
        raise _fail(source, f"tệp YAML không đọc được ({exc})") from None
    except (ValueError, OverflowError, RecursionError) as exc:
        # PyYAML's constructors may raise these for values no registry contains
        raise _fail(source, f"tệp YAML có giá trị không đọc được ({type(exc).__name__})") from None
    if data is None:
        raise _fail(source, "tệp rỗng; cần các khóa name, groups, units")
    locations: dict[str, str] = {}
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        _yaml_locations(node, source, locations, problems, yaml)
    return data, locations, problems


def _yaml_syntax(exc: Any, source: str) -> RegistryError:
    """A YAML syntax error located by line and column."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 0
    column = mark.column + 1 if mark else 0
    detail = " ".join(str(exc.problem or exc.context or "").split())
    return _fail(
        source,
        f"lỗi cú pháp YAML ở dòng {line}, cột {column} ({detail}); kiểm tra thụt lề, "
        "dấu “:” và dấu nháy",
        where=f"{source}:{line}" if line else source,
    )


def _yaml_locations(
    root: Any, source: str, locations: dict[str, str], problems: list[Problem], yaml: Any
) -> None:
    """Record the line of each item and report duplicate keys, which YAML silently drops."""

    def check_duplicates(node: Any, path: str) -> None:
        seen: dict[str, int] = {}
        for key, _ in node.value:
            if isinstance(key, yaml.ScalarNode):
                line = key.start_mark.line + 1
                if key.value in seen:
                    problems.append(
                        Problem(
                            f"{path}.{key.value}" if path else key.value,
                            f"khóa “{key.value}” lặp lại (đã có ở dòng {seen[key.value]}); "
                            "YAML sẽ bỏ giá trị trước, hãy giữ một khóa",
                            source=f"{source}:{line}",
                        )
                    )
                seen.setdefault(key.value, line)

    check_duplicates(root, "")
    for key, value in root.value:
        if not isinstance(key, yaml.ScalarNode):
            continue
        locations[key.value] = f"{source}:{key.start_mark.line + 1}"
        if key.value in ("units", "groups") and isinstance(value, yaml.SequenceNode):
            for i, item in enumerate(value.value):
                at = f"{key.value}[{i}]"
                locations[at] = f"{source}:{item.start_mark.line + 1}"
                if isinstance(item, yaml.MappingNode):
                    check_duplicates(item, at)


# --- tables (CSV, XLSX) ----------------------------------------------------------

_UNIT_COLUMNS: dict[str, str] = {
    "code": "code",
    "ma": "code",
    "ma don vi": "code",
    "name": "name",
    "ten": "name",
    "ten don vi": "name",
    "kind": "kind",
    "loai": "kind",
    "loai don vi": "kind",
    "groups": "groups",
    "cum khoi": "groups",
    "nhom": "groups",
    "cum khoi thi dua": "groups",
    "supervisor": "supervisor",
    "don vi cap tren": "supervisor",
    "cap tren": "supervisor",
    "head": "head",
    "thu truong": "head",
    "headcount": "headcount",
    "so nguoi": "headcount",
    "bien che": "headcount",
    "so cbccvc": "headcount",
    "contacts": "contacts",
    "lien he": "contacts",
    "dia chi nhan": "contacts",
    "phone": "phone",
    "so dien thoai": "phone",
    "email": "email",
    "thu dien tu": "email",
}
_GROUP_COLUMNS: dict[str, str] = {
    "code": "code",
    "ma": "code",
    "ma nhom": "code",
    "ma cum khoi": "code",
    "name": "name",
    "ten": "name",
    "ten nhom": "name",
    "ten cum khoi": "name",
    "kind": "kind",
    "loai": "kind",
    "head": "head",
    "truong khoi": "head",
    "truong cum": "head",
    "truong nhom": "head",
    "don vi truong": "head",
    "cum truong": "head",
    "khoi truong": "head",
}
# Row numbers and remarks are in almost every office list; they carry no data.
_IGNORED_COLUMNS = frozenset({"stt", "tt", "so tt", "so thu tu", "ghi chu", "note", "notes"})
_UNITS_SHEETS = frozenset({"units", "don vi", "danh sach don vi"})
_GROUPS_SHEETS = frozenset({"groups", "cum khoi", "cum khoi thi dua", "nhom"})

Row = tuple[list[Any], str]  # cells, "where" (file and line)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value).strip()


def _is_empty(cells: list[Any]) -> bool:
    return all(_cell_text(c) == "" for c in cells)


def _header_map(cells: list[Any], columns: dict[str, str]) -> dict[int, str]:
    # Only the columns a registry may use: a runaway row must not cost a fold per cell.
    folded = ((i, fold(_cell_text(c))) for i, c in enumerate(cells[:MAX_COLUMNS]))
    return {i: columns[key] for i, key in folded if key in columns}


def _read_table(
    rows: Iterable[Row], columns: dict[str, str], source: str, what: str
) -> tuple[list[dict[str, Any]], list[str], list[Problem]]:
    """Records of a table whose header row may follow a few title rows."""
    problems: list[Problem] = []
    iterator = iter(rows)
    header: list[Any] | None = None
    header_where = source
    first: tuple[list[Any], str] | None = None
    seen = 0
    for cells, where in iterator:
        if _is_empty(cells):
            continue
        first = first or (cells, where)
        fields = set(_header_map(cells, columns).values())
        if {"code", "name"} <= fields:
            header, header_where = cells, where
            break
        seen += 1
        if seen >= MAX_HEADER_SEARCH:
            break
    if header is None:
        names = sorted({k for k, v in columns.items() if v in ("code", "name")})
        expected = f"cần ít nhất cột mã và cột tên (một trong: {', '.join(names)})"
        if first is None:
            problems.append(
                Problem("", f"{what} trống, không có dòng nào; {expected}", source=source)
            )
        else:
            found = ", ".join(f"“{_cell_text(c)}”" for c in first[0] if _cell_text(c))
            problems.append(
                Problem(
                    "",
                    f"không tìm thấy dòng tiêu đề của {what}; {expected}; dòng đầu tiên "
                    f"đang là: {found[:300]}",
                    source=first[1],
                )
            )
        return [], [], problems

    if len(header) > MAX_COLUMNS:
        # One problem, not one per column: a runaway header must not drown the report.
        problems.append(
            Problem(
                "",
                f"dòng tiêu đề có {len(header)} cột; danh mục đơn vị dùng không quá "
                f"{MAX_COLUMNS} cột, các cột sau bị bỏ qua",
                len(header),
                header_where,
            )
        )
        header = header[:MAX_COLUMNS]
    mapping: dict[int, str] = {}
    for i, cell in enumerate(header):
        title = _cell_text(cell)
        key = fold(title)
        if not key or key in _IGNORED_COLUMNS:
            continue
        field_name = columns.get(key)
        if field_name is None:
            hint = _close_matches(key, list(columns), n=1)
            maybe = f"; có phải là “{hint[0]}”?" if hint else ""
            problems.append(
                Problem(
                    "",
                    f"cột {i + 1} “{title}” không dùng được{maybe} (các cột dùng được: "
                    f"{', '.join(dict.fromkeys(columns.values()))}, hoặc tên tiếng Việt)",
                    title,
                    header_where,
                )
            )
        elif field_name in mapping.values():
            problems.append(
                Problem(
                    "",
                    f"cột {i + 1} “{title}” trùng ý nghĩa với một cột trước ({field_name})",
                    title,
                    header_where,
                )
            )
        else:
            mapping[i] = field_name

    records: list[dict[str, Any]] = []
    wheres: list[str] = []
    for count, (cells, where) in enumerate(iterator):
        if count >= MAX_ROWS:
            # Fatal at once: checking the first MAX_ROWS rows of a list that will be
            # refused anyway would only make the admin wait.
            raise _fail(source, f"quá {MAX_ROWS} dòng; hãy tách danh mục", where=where)
        if _is_empty(cells):
            continue
        record: dict[str, Any] = {}
        for i, field_name in mapping.items():
            value = cells[i] if i < len(cells) else None
            if field_name == "headcount" and isinstance(value, int | float):
                record[field_name] = value
                continue
            text = _cell_text(value)
            if text:
                record[field_name] = text
        records.append(record)
        wheres.append(where)
    return records, wheres, problems


def _tables_to_data(
    units: tuple[list[dict[str, Any]], list[str], list[Problem]],
    groups: tuple[list[dict[str, Any]], list[str], list[Problem]] | None,
) -> tuple[dict[str, Any], dict[str, str], list[Problem]]:
    data: dict[str, Any] = {"units": units[0]}
    locations = {f"units[{i}]": where for i, where in enumerate(units[1])}
    problems = list(units[2])
    if groups is not None:
        data["groups"] = groups[0]
        locations |= {f"groups[{i}]": where for i, where in enumerate(groups[1])}
        problems += groups[2]
    return data, locations, problems


def _csv_rows(text: str, source: str) -> Iterator[Row]:
    try:
        delimiter = _sniff_delimiter(text)
    except csv.Error as exc:
        raise _csv_error(exc, source, source) from None
    # strict: an unclosed quote must be an error, not one cell swallowing the next rows
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _csv_error(exc, source, f"{source}:{start}") from None
        yield cells, f"{source}:{start}"
        start = reader.line_num + 1


def _csv_error(exc: csv.Error, source: str, where: str) -> RegistryError:
    """A CSV reading error in Vietnamese, at the line where the bad record starts."""
    detail = str(exc)
    if "field larger than field limit" in detail:
        detail = f"có ô dài quá {csv.field_size_limit()} ký tự"
    elif "unexpected end of data" in detail:
        detail = "hết tệp mà dấu nháy kép chưa đóng"
    elif "expected after" in detail:
        detail = "có dấu nháy kép đặt sai chỗ trong một ô"
    return _fail(
        source,
        f'tệp CSV không đọc được ({detail}); kiểm tra các dấu nháy kép “"”',
        where=where,
    )


def _sniff_delimiter(text: str) -> str:
    """“,” or, as Excel writes it on Vietnamese Windows (decimal comma), “;” or a tab."""
    best, best_score = ",", -1
    error: csv.Error | None = None
    for delimiter in (",", ";", "\t"):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        try:
            head = list(itertools.islice(reader, MAX_HEADER_SEARCH))
        except csv.Error as exc:
            error = error or exc
            continue
        score = max(
            (len(_header_map(row, _UNIT_COLUMNS | _GROUP_COLUMNS)) for row in head),
            default=0,
        )
        if score > best_score:
            best, best_score = delimiter, score
    if error is not None and best_score <= 0:
        # No delimiter shows a header, and one of them could not even be read: the
        # reading error (an unclosed quote, usually) is the real problem.
        raise error
    return best


def _from_csv(
    path: Path, raw: bytes, source: str
) -> tuple[dict[str, Any], dict[str, str], list[Problem]]:
    text = _decode(raw, source, csv=True)
    try:
        units = _read_table(_csv_rows(text, source), _UNIT_COLUMNS, source, "danh sách đơn vị")
        groups = None
        groups_path = path.with_name(f"{path.stem}.groups.csv")
        if groups_path.is_file():
            g_source = str(groups_path)
            g_text = _decode(_read_bytes(groups_path, g_source), g_source, csv=True)
            groups = _read_table(_csv_rows(g_text, g_source), _GROUP_COLUMNS, g_source, "nhóm")
    except csv.Error as exc:  # the reader itself reports with a line; this is a safety net
        raise _csv_error(exc, source, source) from None
    return _tables_to_data(units, groups)


def _from_xlsx(path: Path, source: str) -> tuple[dict[str, Any], dict[str, str], list[Problem]]:
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        raise _fail(
            source,
            "không phải tệp Excel .xlsx hợp lệ (tệp .xls cũ đổi đuôi?); hãy mở bằng Excel và "
            "lưu lại dạng “Excel Workbook (*.xlsx)”",
        ) from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise _fail(source, "tệp Excel giải nén ra quá lớn; danh mục đơn vị không thể lớn như vậy")
    if "xl/workbook.xml" not in names and "[Content_Types].xml" not in names:
        # a zip of something else renamed to .xlsx; openpyxl would only say KeyError
        raise _fail(
            source,
            "tệp nén này không phải bảng tính Excel (không có xl/workbook.xml); hãy mở danh "
            "mục bằng Excel và lưu lại dạng “Excel Workbook (*.xlsx)”",
        )

    import openpyxl

    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and extensions it drops; nothing an admin can act on
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise _fail(
            source, f"không mở được tệp Excel ({type(exc).__name__}); hãy lưu lại dạng .xlsx"
        ) from None
    try:
        sheets = {fold(ws.title): ws for ws in book.worksheets}
        groups_ws = next((ws for name, ws in sheets.items() if name in _GROUPS_SHEETS), None)
        units_ws = next((ws for name, ws in sheets.items() if name in _UNITS_SHEETS), None)
        if units_ws is None:
            units_ws = next((ws for ws in book.worksheets if ws is not groups_ws), None)
        if units_ws is None:
            raise _fail(source, "tệp Excel không có trang danh sách đơn vị")

        def rows(ws: Any) -> Iterator[Row]:
            for number, cells in enumerate(ws.iter_rows(max_col=MAX_COLUMNS, values_only=True), 1):
                yield list(cells), f"{source} (trang “{ws.title}”, dòng {number})"

        units = _read_table(rows(units_ws), _UNIT_COLUMNS, source, "danh sách đơn vị")
        groups = None
        if groups_ws is not None:
            groups = _read_table(
                rows(groups_ws), _GROUP_COLUMNS, f"{source} ({groups_ws.title})", "nhóm"
            )
    finally:
        book.close()
    return _tables_to_data(units, groups)
