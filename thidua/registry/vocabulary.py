"""The registry's vocabulary: kinds of units and groups, and the words offices use for them.

Offices write “Sở, ban, ngành”, “UBND xã” or “Cụm thi đua” where the registry has
codes; column titles and sheet names come in English or Vietnamese. Everything is
compared in its folded form (`thidua.text.fold.fold_words`), so accents, case and
punctuation never matter.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Literal

from thidua.text.fold import fold_words

CODE_PATTERN = r"^[A-Z0-9][A-Z0-9_.\-]*$"
CODE_RE = re.compile(CODE_PATTERN)
CODE_HELP = "chữ cái không dấu, chữ số, “_”, “.”, “-”, bắt đầu bằng chữ hoặc số, ví dụ “SNGV”"
SECRET_HELP = "bí mật phải lấy từ biến môi trường, ví dụ ${SMTP_PASSWORD}"


def code_key(code: str) -> str:
    """A code as the registry keys it: upper case, no surrounding blanks."""
    return code.strip().upper()


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
            found = _KIND_LOOKUP.get(fold_words(value))
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
        _KIND_LOOKUP.setdefault(fold_words(_name), _kind)


class Digest(StrEnum):
    """Whether a unit takes one weekly digest instead of separate reminders."""

    WEEKLY = "weekly"
    NONE = "none"

    @property
    def label(self) -> str:
        """Vietnamese name of the choice, for messages and the reference."""
        return _DIGEST_LABELS[self]

    @classmethod
    def parse(cls, value: Any) -> Digest:
        """The choice named in English or Vietnamese (“hằng tuần”, “hang-tuan”, “không”);
        ValueError listing the choices."""
        if isinstance(value, Digest):
            return value
        if isinstance(value, str):
            found = _DIGEST_LOOKUP.get(fold_words(value))
            if found is not None:
                return found
        raise ValueError(f"bản tin (digest) không hợp lệ; dùng một trong: {DIGEST_HELP}")


_DIGEST_LABELS = {Digest.WEEKLY: "hằng tuần", Digest.NONE: "không nhận"}
_DIGEST_LOOKUP: dict[str, Digest] = {
    fold_words(word): choice
    for choice, words in {
        Digest.WEEKLY: ("weekly", "hằng tuần", "hàng tuần", "bản tin tuần"),
        Digest.NONE: ("none", "không nhận", "không"),
    }.items()
    for word in words
}
DIGEST_HELP = "weekly (hằng tuần), none (không nhận)"

GroupKind = Literal["khoi", "cum", "nhom"]
GROUP_KIND_LOOKUP: dict[str, GroupKind] = {
    "khoi": "khoi",
    "khoi thi dua": "khoi",
    "cum": "cum",
    "cum thi dua": "cum",
    "nhom": "nhom",
}
GROUP_KINDS_HELP = "khoi (khối thi đua), cum (cụm thi đua), nhom (nhóm)"


# --- column titles and sheet names of CSV / XLSX lists (folded) ---------------------

UNIT_COLUMNS: dict[str, str] = {
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
    "digest": "digest",
    "ban tin": "digest",
    "ban tin tuan": "digest",
}
GROUP_COLUMNS: dict[str, str] = {
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
    "digest": "digest",
    "ban tin": "digest",
    "ban tin tuan": "digest",
}
# Row numbers and remarks are in almost every office list; they carry no data.
IGNORED_COLUMNS = frozenset({"stt", "tt", "so tt", "so thu tu", "ghi chu", "note", "notes"})
UNITS_SHEETS = frozenset({"units", "don vi", "danh sach don vi"})
GROUPS_SHEETS = frozenset({"groups", "cum khoi", "cum khoi thi dua", "nhom"})
