"""How often a milestone repeats, as real plans write it, and the periods it repeats in.

Plans say “hằng năm”, “định kỳ 6 tháng” (báo cáo 6 tháng đầu năm và báo cáo năm),
“hằng quý”, “hằng tháng”, or list the dates. Each repetition is an occurrence with a stable
key: "2027" (năm 2027), "2027-H1" / "2027-H2" (6 tháng đầu năm / cả năm 2027), "2027-Q4"
(quý IV/2027), "2027-03" (tháng 3/2027), "2027-06-15" (a listed date).

A milestone's phrase is resolved in its occurrence's context here: a year for a yearly
one; year and quarter for a quarterly one (“ngày 20 tháng cuối quý”); for six-monthly ones
either the phrase of each half (`on`), a quarter-relative phrase read in quarters II and
IV, or the first half's day moved six months on; for monthly ones a day of the month
(“trước ngày 25”), read in each month.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from thidua.dates.phrases import Phrase, parse_phrase
from thidua.dates.span import DateSpan
from thidua.errors import PhraseError
from thidua.text.fold import fold, fold_words

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


class Every(StrEnum):
    YEARLY = "yearly"
    HALF_YEARLY = "half_yearly"
    QUARTERLY = "quarterly"
    MONTHLY = "monthly"
    DATES = "dates"

    @property
    def label(self) -> str:
        return LABELS[self]


LABELS: dict[Every, str] = {
    Every.YEARLY: "hằng năm",
    Every.HALF_YEARLY: "6 tháng một lần (6 tháng đầu năm và cả năm)",
    Every.QUARTERLY: "hằng quý",
    Every.MONTHLY: "hằng tháng",
    Every.DATES: "theo các ngày liệt kê (on=[…])",
}

#: Accepted forms (folded, words joined by “_”), after dropping “định kỳ” and “một lần”.
_FORMS: dict[str, Every] = {
    **dict.fromkeys(
        ("yearly", "annual", "hang_nam", "moi_nam", "nam", "1_nam", "mot_nam", "12_thang"),
        Every.YEARLY,
    ),
    **dict.fromkeys(
        (
            "half_yearly",
            "6_thang",
            "sau_thang",
            "hang_6_thang",
            "moi_6_thang",
            "nua_nam",
            "6_thang_va_ca_nam",
            "6_thang_va_nam",
            "6_thang_dau_nam_va_ca_nam",
            "6_thang_dau_nam_va_nam",
            "6_thang_va_hang_nam",
        ),
        Every.HALF_YEARLY,
    ),
    **dict.fromkeys(
        ("quarterly", "hang_quy", "moi_quy", "quy", "3_thang", "hang_3_thang", "moi_3_thang"),
        Every.QUARTERLY,
    ),
    **dict.fromkeys(("monthly", "hang_thang", "moi_thang", "thang"), Every.MONTHLY),
    **dict.fromkeys(
        ("dates", "cac_ngay", "theo_ngay", "theo_cac_ngay", "danh_sach_ngay", "theo_danh_sach"),
        Every.DATES,
    ),
}

WORKING_FORMS = "“hằng năm”, “6 tháng”, “hằng quý”, “hằng tháng” hoặc “các ngày” (kèm on=[…])"


def parse_every(value: object) -> Every:
    """“hằng năm”, “định kỳ 6 tháng”, “hàng quý”, “monthly”… → Every; ValueError otherwise.

    “Định kỳ” alone says that something repeats, not how often: refused with the forms
    that would work.
    """
    if isinstance(value, Every):
        return value
    if not isinstance(value, str):
        raise ValueError(f"cần chu kỳ lặp lại dạng chữ: {WORKING_FORMS}")
    key = fold_words(value, "_")
    key = re.sub(r"^(dinh_ky_|lap_lai_|bao_cao_)+", "", key)
    key = re.sub(r"_(mot|1)_lan$", "", key)
    key = key.replace("sau_thang", "6_thang")
    if key in _FORMS:
        return _FORMS[key]
    if key in ("dinh_ky", "lap_lai", "thuong_xuyen", ""):
        raise ValueError(
            f"“{value}” chưa nói bao lâu một lần; hãy ghi rõ chu kỳ: {WORKING_FORMS}, "
            'ví dụ Recurrence(every="6 tháng")'
        )
    raise ValueError(f"chu kỳ “{value}” không hợp lệ; dùng một trong: {WORKING_FORMS}")


# --- occurrences ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Slot:
    """One repetition: its key and the context its phrases are read in."""

    key: str
    year: int
    quarter: int | None = None
    month: int | None = None
    half: int | None = None
    index: int | None = None  # position in `on` (listed dates, or the half's own phrase)

    @property
    def label(self) -> str:
        return occurrence_label(self.key)


def slots(every: Every, first: int, last: int, on: list[Phrase] | None = None) -> list[Slot]:
    """Every repetition from year `first` to year `last`, in time order."""
    years = range(first, last + 1)
    if every is Every.YEARLY:
        return [Slot(str(y), y) for y in years]
    if every is Every.HALF_YEARLY:
        return [
            Slot(f"{y}-H{h}", y, quarter=2 * h, half=h, index=(h - 1) if on else None)
            for y in years
            for h in (1, 2)
        ]
    if every is Every.QUARTERLY:
        return [Slot(f"{y}-Q{q}", y, quarter=q) for y in years for q in range(1, 5)]
    if every is Every.MONTHLY:
        return [
            Slot(f"{y}-{m:02d}", y, quarter=(m - 1) // 3 + 1, month=m)
            for y in years
            for m in range(1, 13)
        ]
    out = []
    for i, phrase in enumerate(on or []):
        day = phrase.resolve().end
        out.append(Slot(day.isoformat(), day.year, index=i))
    return out


def occurrence_label(key: str) -> str:
    """The period of an occurrence in words: “năm 2027”, “6 tháng đầu năm 2027”, “cả năm
    2027”, “quý IV/2027”, “tháng 3/2027”, “ngày 15/06/2027”; "" for a one-off milestone."""
    if not key:
        return ""
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", key):
        return f"quý {ROMAN[int(m[2])]}/{m[1]}"
    if m := re.fullmatch(r"(\d{4})-H([12])", key):
        return f"6 tháng đầu năm {m[1]}" if m[2] == "1" else f"cả năm {m[1]}"
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", key):
        return f"ngày {m[3]}/{m[2]}/{m[1]}"
    if m := re.fullmatch(r"(\d{4})-(\d{2})", key):
        return f"tháng {int(m[2])}/{m[1]}"
    return f"năm {key}"


# --- phrases read in a repetition ---------------------------------------------------------

_MONTH_SUFFIX = re.compile(r"\s*(?:hằng|hàng|mỗi|của|trong)\s+tháng\s*$", re.IGNORECASE)
_MONTH_END = ("het thang", "cuoi thang", "ngay cuoi thang", "den het thang", "ngay cuoi cung")
_QUARTER_MONTH = ("đầu", "giữa", "cuối")


def _month_text(text: str, index: int, month_days: int) -> str:
    """“trước ngày 25” → “trước ngày 25 tháng giữa quý” for month `index` of a quarter."""
    core = _MONTH_SUFFIX.sub("", text.strip())
    if fold(core).rstrip(" .,") in _MONTH_END:
        return f"hết tháng {_QUARTER_MONTH[index]} quý"
    m = re.fullmatch(r"(.*?)(\d{1,2})\s*", core)
    if not m or not 1 <= int(m[2]) <= 31:
        raise PhraseError(
            text,
            "mốc hằng tháng chỉ ghi ngày trong tháng, ví dụ “trước ngày 25”, "
            "“chậm nhất ngày 05 hằng tháng” hoặc “cuối tháng”",
        )
    day = min(int(m[2]), month_days)  # “ngày 30 hằng tháng” in February: its last day
    return f"{m[1]}{day} tháng {_QUARTER_MONTH[index]} quý"


def monthly_phrase(text: str) -> Phrase:
    """A monthly milestone's phrase, as written, parsed as the day of a quarter's month."""
    parsed = parse_phrase(_month_text(text, 0, 31))
    return Phrase(text, parsed._node)


def is_monthly_text(text: str) -> bool:
    """Whether the phrase names a day of the month only (“trước ngày 25 hằng tháng”)."""
    try:
        _month_text(text, 0, 31)
    except PhraseError:
        return False
    return True


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    last = calendar.monthrange(year, month)[1]
    at_end = d.day == calendar.monthrange(d.year, d.month)[1]
    return date(year, month, last if at_end else min(d.day, last))


def resolve(phrase: Phrase, slot: Slot | None, every: Every | None) -> DateSpan:
    """The days `phrase` names in repetition `slot` (None: a one-off milestone)."""
    if slot is None or every is None or phrase.is_complete:
        return phrase.resolve()
    if every is Every.MONTHLY:
        assert slot.month is not None
        days = calendar.monthrange(slot.year, slot.month)[1]
        text = _month_text(phrase.text, (slot.month - 1) % 3, days)
        span = parse_phrase(text).resolve(slot.year, slot.quarter)
        return DateSpan(span.start, span.end, phrase.text)
    # The second half's day, when only the first half's is written (“trước ngày 15/6”).
    if (
        every is Every.HALF_YEARLY
        and slot.half == 2
        and slot.index is None
        and not phrase.needs_quarter
    ):
        first = phrase.resolve(year=slot.year)
        return DateSpan(_add_months(first.start, 6), _add_months(first.end, 6), phrase.text)
    return phrase.resolve(year=slot.year, quarter=slot.quarter)


def milestone_fields(data: dict[str, Any], rec: dict[str, Any]) -> dict[str, Any]:
    """A milestone's fields as written, read with its recurrence `rec` (both plain data):
    `when` defaults to the first day of `rec["on"]`; a monthly milestone's days are days
    of the month (“trước ngày 25”), parsed here as days of a quarter's month."""
    on = list(rec.get("on") or [])
    try:
        every = parse_every(rec["every"]) if "every" in rec else (Every.DATES if on else None)
    except ValueError:
        every = None  # reported by the recurrence's own validation
    data = dict(data)
    if data.get("when") is None and on and isinstance(on[0], str | date):
        data["when"] = on[0]
    if every is Every.MONTHLY:
        for name in ("when", "opens", "due"):
            text = data.get(name)
            if isinstance(text, str) and is_monthly_text(text):
                data[name] = monthly_phrase(text)
    return data
