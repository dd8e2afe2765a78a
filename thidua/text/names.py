"""Names and titles as they reach notices, subjects and pages: visible, one line, bounded.

A unit name carrying a right-to-left override (U+202E) displays reversed in a mail
client; a zero-width space (U+200B) makes two names that look the same differ; a
control character ends an email header line. None of them belongs in an official
name, so every name and title (units, groups, campaign, issuer, milestones, awards,
targets) goes through `clean_text`, reused as the pydantic types `Name`, `Title`
and `LongText` and by the registry checker. Text is normalized to NFC first, so
Vietnamese typed with combining marks (“a” + U+0301) stays accepted and compares
equal to the precomposed form.

Length caps. `Title` 300 characters: the longest titles of real plans (“Kế hoạch
tổ chức phong trào thi đua … giai đoạn 2026-2030”) are under 250, and a title
becomes an email Subject, which RFC 5322 wants short (998 characters per line is
the hard limit once the campaign code and action are added). `Name` 200: the
longest official unit names (“Ban Quản lý các khu công nghiệp tỉnh …”) are under
150, and a name is printed in tables and salutations. `LongText` 2,000: a content
area, criterion or legal basis is at most a paragraph; a longer value is a paste
error.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from pydantic import BeforeValidator

MAX_NAME = 200
MAX_TITLE = 300
MAX_LONG_TEXT = 2000

#: Bidi embeddings/overrides (U+202A–U+202E) and isolates (U+2066–U+2069).
BIDI = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
#: Zero-width and direction marks: ZWSP, ZWNJ, ZWJ, LRM, RLM, word joiner, BOM.
ZERO_WIDTH = frozenset(chr(c) for c in (*range(0x200B, 0x2010), 0x2060, 0xFEFF))


def char_code(c: str) -> str:
    """A character as its code point, the way Unicode charts name it: “U+202E”."""
    return f"U+{ord(c):04X}"


def unsafe_char(text: str, *, multiline: bool = False) -> str | None:
    """The first character of `text` that must not appear in a name, title or header.

    Control characters (Cc), line/paragraph separators (Zl, Zp), format characters
    (Cf: bidi controls, zero-width characters, BOM, soft hyphen…) and surrogates.
    `multiline` allows LF and TAB (free text that is rendered as paragraphs).
    """
    for c in text:
        if multiline and c in "\n\t":
            continue
        if (
            c in BIDI
            or c in ZERO_WIDTH
            or unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs")
        ):
            return c
    return None


def describe(c: str) -> str:
    """Vietnamese name of the kind of an unsafe character, for messages."""
    if c in BIDI:
        return "ký tự điều khiển hướng chữ (bidi)"
    if c in ZERO_WIDTH:
        return "ký tự vô hình (độ rộng bằng 0)"
    if unicodedata.category(c) in ("Cc", "Zl", "Zp"):
        return "ký tự điều khiển"
    return "ký tự định dạng vô hình"


def escaped(text: str) -> str:
    """`text` with every unsafe character written as an escape, safe to print."""
    return "".join(
        (f"\\u{ord(c):04x}" if ord(c) > 0xFF else f"\\x{ord(c):02x}")
        if unsafe_char(c) is not None
        else c
        for c in text
    )


def clean_text(value: str, what: str, *, limit: int, multiline: bool = False) -> str:
    """NFC-normalized `value`, one line unless `multiline`; ValueError in Vietnamese.

    Runs of whitespace in a one-line text (a name broken over two lines in a
    spreadsheet cell) become one space; any other invisible character is refused,
    named by its code point, because it cannot be seen to be removed by hand.
    """
    text = unicodedata.normalize("NFC", value)
    if not multiline:
        text = " ".join(text.split())
    bad = unsafe_char(text, multiline=multiline)
    if bad is not None:
        raise ValueError(
            f"{what} chứa {describe(bad)} {char_code(bad)} ở vị trí {text.index(bad) + 1}; "
            "ký tự này không nhìn thấy được hoặc làm đảo/ẩn chữ, hãy gõ lại"
        )
    if len(text) > limit:
        raise ValueError(f"{what} dài {len(text)} ký tự, quá giới hạn {limit} ký tự")
    return text


def _checked(what: str, limit: int, *, multiline: bool = False) -> BeforeValidator:
    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value  # the str type itself reports “cần một chuỗi văn bản”
        return clean_text(value, what, limit=limit, multiline=multiline)

    return BeforeValidator(check)


Name = Annotated[str, _checked("tên", MAX_NAME)]
Title = Annotated[str, _checked("tiêu đề", MAX_TITLE)]
#: one-line values that are neither names nor titles: document numbers, paths, contacts
OneLine = Annotated[str, _checked("giá trị", MAX_TITLE)]
LongText = Annotated[str, _checked("nội dung", MAX_LONG_TEXT, multiline=True)]
