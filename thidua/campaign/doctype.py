"""What kind of document a plan is, and which system issued it, read from its number.

A State document's number (Nghị định 30/2020/NĐ-CP, Phụ lục III) is “12/CT-UBND”: the
kind's abbreviation follows the slash. A Party document's (Hướng dẫn 36-HD/VPTW, 2018)
is “25-KH/TU”: the kind comes before the slash, the issuing committee after it. A
công văn has no kind abbreviation (“123/UBND-VP”; Party: “123-CV/TU”). The campaign file
may state either fact (`document_kind`, `issuer_kind`); otherwise they are inferred here.
"""

from __future__ import annotations

from typing import Literal

from thidua.text.fold import fold, fold_words

DocumentKind = Literal[
    "ke_hoach",
    "chi_thi",
    "quyet_dinh",
    "huong_dan",
    "chuong_trinh",
    "cong_van",
    "thong_bao",
    "nghi_quyet",
]
IssuerKind = Literal["nha_nuoc", "dang", "doan_the"]

#: Kinds a plan's document may be: value → (label, abbreviations in a number).
DOCUMENT_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "ke_hoach": ("Kế hoạch", ("KH",)),
    "chi_thi": ("Chỉ thị", ("CT",)),
    "quyet_dinh": ("Quyết định", ("QĐ", "QD")),
    "huong_dan": ("Hướng dẫn", ("HD",)),
    "chuong_trinh": ("Chương trình", ("CTR",)),
    "cong_van": ("Công văn", ("CV",)),
    "thong_bao": ("Thông báo", ("TB",)),
    "nghi_quyet": ("Nghị quyết", ("NQ",)),
}

#: Issuing systems: value → label.
ISSUER_KINDS: dict[str, str] = {
    "nha_nuoc": "cơ quan nhà nước",
    "dang": "cơ quan Đảng",
    "doan_the": "Mặt trận Tổ quốc, đoàn thể",
}

_ABBREVIATIONS = {
    abbr.replace("Đ", "D"): kind for kind, (_, abbrs) in DOCUMENT_KINDS.items() for abbr in abbrs
}

#: Party committees and their bodies, as the words of an issuer's name begin.
_PARTY_NAMES = (
    "tinh uy",
    "thanh uy",
    "huyen uy",
    "dang uy",
    "ban thuong vu",
    "ban chap hanh dang bo",
    "thuong truc tinh uy",
    "ban tuyen giao",
    "ban to chuc tinh uy",
    "ban noi chinh",
    "uy ban kiem tra tinh uy",
    "van phong tinh uy",
    "chi bo",
    "dang doan",
    "ban can su dang",
)
_MASS_NAMES = (
    "uy ban mat tran to quoc",
    "mat tran to quoc",
    "lien doan lao dong",
    "hoi nong dan",
    "hoi lien hiep phu nu",
    "doan thanh nien",
    "tinh doan",
    "hoi cuu chien binh",
)


def _upper(text: str) -> str:
    return fold(text).upper().replace(" ", "")


def _parts(code: str) -> tuple[list[str], list[str]]:
    """The hyphen-separated tokens before and after the number's first slash."""
    before, _, after = code.partition("/")
    return [_upper(t) for t in before.split("-")], [_upper(t) for t in after.split("-")]


def is_party_number(code: str) -> bool:
    """“25-KH/TU”: a kind abbreviation just before the slash (Hướng dẫn 36-HD/VPTW)."""
    before, _ = _parts(code)
    return len(before) > 1 and before[-1] in _ABBREVIATIONS


def infer_document_kind(code: str) -> str:
    """The kind a number names: “12/CT-UBND” → chi_thi; “25-KH/TU” → ke_hoach.

    A number naming no known kind is a công văn's (“123/UBND-VP”).
    """
    before, after = _parts(code)
    if is_party_number(code):
        return _ABBREVIATIONS[before[-1]]
    return _ABBREVIATIONS.get(after[0], "cong_van") if after and after[0] else "cong_van"


def infer_issuer_kind(code: str, issuer: str) -> str:
    """Party when the issuer is a Party body or the number is in the Party's form."""
    name = fold(issuer)
    if any(name.startswith(p) or f" {p}" in name for p in _PARTY_NAMES[:6]):
        return "dang"
    if is_party_number(code) or any(name.startswith(p) for p in _PARTY_NAMES):
        return "dang"
    if any(name.startswith(p) for p in _MASS_NAMES):
        return "doan_the"
    return "nha_nuoc"


def document_label(kind: str) -> str:
    return DOCUMENT_KINDS[kind][0]


def parse_document_kind(value: object) -> object:
    """A kind as written in a campaign file: “Chỉ thị”, “chi_thi”, “CT”…"""
    if not isinstance(value, str):
        return value
    key = fold_words(value, "_")
    for kind, (label, abbrs) in DOCUMENT_KINDS.items():
        if key in (kind, fold_words(label, "_")) or key.upper() in (_upper(a) for a in abbrs):
            return kind
    allowed = ", ".join(f"“{label}”" for label, _ in DOCUMENT_KINDS.values())
    raise ValueError(f"loại văn bản không hợp lệ; dùng một trong: {allowed}")


def parse_issuer_kind(value: object) -> object:
    """An issuing system as written: “Đảng”, “nhà nước”, “đoàn thể”…"""
    if not isinstance(value, str):
        return value
    key = fold_words(value, "_")
    aliases = {
        "nha_nuoc": "nha_nuoc",
        "chinh_quyen": "nha_nuoc",
        "state": "nha_nuoc",
        "dang": "dang",
        "co_quan_dang": "dang",
        "party": "dang",
        "doan_the": "doan_the",
        "mat_tran": "doan_the",
        "mat_tran_doan_the": "doan_the",
        "mat_tran_to_quoc_doan_the": "doan_the",
    }
    if key in aliases:
        return aliases[key]
    allowed = "“nhà nước”, “Đảng”, “đoàn thể”"
    raise ValueError(f"hệ thống ban hành không hợp lệ; dùng một trong: {allowed}")
