"""The grammar of date phrases, on normalised text: one day, a period, a list of days, a
range "từ X đến Y", behind modifiers ("chậm nhất", "trước", "hết"…) and weekdays. Builds a
`thidua.dates.phrase_tree` node; raises only `BadDate` or `NoMatch`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from thidua.dates.lexing import EDGE_PUNCT, lazy
from thidua.dates.phrase_tree import (
    BadDate,
    Before,
    Day,
    Days,
    Last,
    Month,
    Months,
    Node,
    NoMatch,
    Quarter,
    QuarterDay,
    QuarterMonth,
    Range,
    Weekday,
    Year,
    Years,
    fill,
    read_day,
    read_month,
    read_quarter,
    read_year,
)
from thidua.errors import quote

_Y = r"(?:\s*[/.-]\s*|\s*nam\s*|\s+)(\d+)"
_DAYWORD = r"(?:ngay\s*)?"
_SHIFT = r"(?:\s+(sau|tiep theo|ke tiep|toi))?"
_QUARTER_MONTH = r"thang\s+(?:(dau|giua|cuoi)|thu\s+(nhat|hai|ba|1|2|3))(?:\s+cua)?\s+quy" + _SHIFT
_WEEKDAY = r"thu\s+(?:hai|ba|tu|nam|sau|bay|[2-7])|chu\s+nhat|cn"
_WEEKDAY_INDEX = {
    "thu hai": 0,
    "thu ba": 1,
    "thu tu": 2,
    "thu nam": 3,
    "thu sau": 4,
    "thu bay": 5,
    "chu nhat": 6,
    "cn": 6,
    **{f"thu {n}": n - 2 for n in range(2, 8)},
}
_INDEX = {"dau": 0, "nhat": 0, "1": 0, "giua": 1, "hai": 1, "2": 1, "cuoi": 2, "ba": 2, "3": 2}

_RX_ISO = lazy(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_RX_DMY = lazy(rf"{_DAYWORD}(\d{{1,2}})\s*[/.-]\s*(\d{{1,2}})(?:{_Y})?")
_RX_DMY_WORDS = lazy(rf"{_DAYWORD}(\d{{1,2}})\s*thang\s*(\d{{1,2}})(?:{_Y})?")
_RX_MONTH = lazy(rf"thang\s*(\d{{1,2}})(?:{_Y})?|(\d{{1,2}})\s*[/.-]\s*(\d{{4}})")
_RX_QUARTER = lazy(rf"quy(?:\s*([ivxlcdm]+|\d+)\b)?{_SHIFT}(?:{_Y})?")
_RX_QUARTER_DAY = lazy(rf"{_DAYWORD}(\d{{1,2}})\s+(?:cua\s+)?{_QUARTER_MONTH}")
_RX_QUARTER_MONTH = lazy(_QUARTER_MONTH)
_RX_MONTHS = lazy(r"(\d{1,2})\s*thang\s+(dau|cuoi)\s+nam(?:\s*(?:[/.-]\s*)?(\d+))?")
_RX_YEARS = lazy(
    r"(?:(?:giai doan|thoi ky|nhiem ky|cac nam|nam)\s*)?(\d{4})\s*(?:-|den|toi)\s*(\d{4})",
)
_RX_YEAR = lazy(r"nam(?:\s*(\d+))?|(\d{4})")
_RX_PARTIAL_DAY = lazy(r"ngay\s*(\d{1,2})|(\d{1,2})")
_RX_WEEKDAY_BEFORE = lazy(rf"({_WEEKDAY})\s*,?\s*(?=ngay|\d)")
_RX_WEEKDAY_AFTER = lazy(rf"(?<=\d)\s*[,-]?\s*\(?\s*({_WEEKDAY})\s*\)?$")
_RX_LIST_SEP = lazy(r"\s*,\s*|\s+va\s+")
_RX_TU = lazy(r"(?:^|(?<= ))tu ")
_RX_DEN = lazy(r" (?:den|toi) ")
_RX_PLAIN_SPLIT = lazy(r" (?:den|toi|-) ")

_LAST, _BEFORE, _SKIP = "last", "before", "skip"
# Leading words, longest first so "đến hết" wins over "đến".
_MODIFIERS = (
    ("khong muon hon", _LAST, "không muộn hơn"),
    ("cham nhat", _LAST, "chậm nhất"),
    ("muon nhat", _LAST, "muộn nhất"),
    ("han chot", _LAST, "hạn chót"),
    ("han cuoi", _LAST, "hạn cuối"),
    ("thoi han", _LAST, "thời hạn"),
    ("den het", _LAST, "đến hết"),
    ("den cuoi", _LAST, "đến cuối"),
    ("het", _LAST, "hết"),
    ("cuoi", _LAST, "cuối"),
    ("den", _LAST, "đến"),
    ("toi", _LAST, "tới"),
    ("truoc", _BEFORE, "trước"),
    ("trong", _SKIP, "trong"),
    ("vao", _SKIP, "vào"),
    ("la", _SKIP, "là"),
    ("tinh", _SKIP, "tính"),
    ("ke tu", _SKIP, "kể từ"),
    ("bat dau tu", _SKIP, "bắt đầu từ"),
    ("tu", _SKIP, "từ"),
    ("cac", _SKIP, "các"),
)


def _opt_year(text: str | None) -> int | None:
    return read_year(text) if text is not None else None


def _day_node(s: str, partial: bool) -> Day | None:
    """A single day in any numeric or worded form; `partial` admits "ngày 03" and "03"."""
    if m := _RX_ISO.fullmatch(s):
        return Day(read_year(m[1]), read_month(m[2]), read_day(m[3]))
    if m := _RX_DMY.fullmatch(s) or _RX_DMY_WORDS.fullmatch(s):
        return Day(_opt_year(m[3]), read_month(m[2]), read_day(m[1]))
    if partial and (m := _RX_PARTIAL_DAY.fullmatch(s)):
        return Day(None, None, read_day(m[1] or m[2]))
    return None


def _core(s: str) -> Node:
    """A phrase without leading modifiers or weekday: one day, a period, or a list of days."""
    if " va " in s or "," in s:
        try:
            return _day_list(s)
        except NoMatch:
            s = " ".join(s.replace(",", " ").split())
    day = _day_node(s, partial=True)
    if day is not None:
        return day
    if m := _RX_MONTH.fullmatch(s):
        if m[1] is not None:
            return Month(_opt_year(m[2]), read_month(m[1]))
        return Month(read_year(m[4]), read_month(m[3]))
    if m := _RX_QUARTER.fullmatch(s):
        quarter = read_quarter(m[1]) if m[1] is not None else None
        shift = 1 if m[2] and quarter is None else 0
        if m[2] and quarter is not None:
            raise NoMatch
        return Quarter(_opt_year(m[3]), quarter, shift)
    if m := _RX_QUARTER_DAY.fullmatch(s):
        return QuarterDay(read_day(m[1]), _INDEX[m[2] or m[3]], 1 if m[4] else 0)
    if m := _RX_QUARTER_MONTH.fullmatch(s):
        return QuarterMonth(_INDEX[m[1] or m[2]], 1 if m[3] else 0)
    if m := _RX_MONTHS.fullmatch(s):
        count = int(m[1])
        if not 1 <= count <= 12:
            raise BadDate(f"số tháng {count} không hợp lệ; phải từ 1 đến 12")
        first, last = (1, count) if m[2] == "dau" else (13 - count, 12)
        return Months(_opt_year(m[3]), first, last)
    if m := _RX_YEARS.fullmatch(s):
        return Years(read_year(m[1]), read_year(m[2]))
    if m := _RX_YEAR.fullmatch(s):
        digits = m[1] or m[2]
        return Year(read_year(digits) if digits else None)
    raise NoMatch


def _day_list(s: str) -> Days:
    parts = _RX_LIST_SEP.split(s)
    items: list[Day] = []
    for part in parts:
        day = _day_node(part, partial=True)
        if day is None:
            raise NoMatch
        items.append(day)
    if len(items) < 2:
        raise NoMatch
    for i in range(len(items) - 2, -1, -1):
        fill(items[i], items[i + 1])
    return Days(items)


def _with_weekday(s: str) -> Node:
    weekday: int | None = None
    if m := _RX_WEEKDAY_BEFORE.match(s):
        weekday = _WEEKDAY_INDEX[" ".join(m[1].split())]
        s = s[m.end() :]
    if m := _RX_WEEKDAY_AFTER.search(s):
        after = _WEEKDAY_INDEX[" ".join(m[1].split())]
        if weekday is not None and weekday != after:
            raise BadDate("ghi hai thứ khác nhau cho cùng một ngày")
        weekday = after
        s = s[: m.start()]
    node = _core(s)
    return Weekday(node, weekday) if weekday is not None else node


def _single(s: str) -> Node:
    """One day or period, possibly behind "chậm nhất", "trước", "hết", "trong"…"""
    mods: list[tuple[str, str]] = []
    while True:
        s = s.strip(" ,:")
        for word, kind, shown in _MODIFIERS:
            if s.startswith(word) and (len(s) == len(word) or s[len(word)] in " ,:"):
                if any(shown == seen for _, seen in mods):
                    raise NoMatch  # "trước trước …" is not a phrase anyone writes
                s = s[len(word) :]
                mods.append((kind, shown))
                break
        else:
            break
    if s in ("", "ngay", "cac ngay"):
        if mods:
            raise BadDate(f"thiếu ngày tháng sau {quote(mods[0][1])}")
        raise NoMatch
    node = _with_weekday(s)
    for kind, _ in reversed(mods):
        if kind == _LAST:
            node = Last(node)
        elif kind == _BEFORE:
            node = Before(node)
    return node


def _range(first_text: str, last_text: str) -> Node:
    first, last = _single(first_text), _single(last_text)
    fill(first, last)
    return Range(first, last)


def _has_digit(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


def _first_success(attempts: list[Callable[[], Node]]) -> Node:
    """Run attempts in order; a real problem (not just "no match") wins over no match."""
    problem: BadDate | None = None
    for attempt in attempts:
        try:
            return attempt()
        except BadDate as exc:
            problem = problem or exc
        except NoMatch:
            pass
    if problem is not None:
        raise problem
    raise NoMatch


def _candidate(s: str) -> Node:
    attempts: list[Callable[[], Node]] = []
    # "…từ X đến Y": any label before "từ" is tolerated; "thứ Tư" is not "từ".
    # The label must be words only: digits before "từ" mean the text says something else.
    starts = [
        m
        for m in _RX_TU.finditer(s)
        if not s[: m.start()].endswith("thu ") and not _has_digit(s[: m.start()])
    ][:4]
    for start in starts:
        rest = s[start.end() :]
        for sep in list(_RX_DEN.finditer(rest))[:4]:
            attempts.append(partial(_range, rest[: sep.start()], rest[sep.end() :]))
    attempts.append(partial(_single, s))
    for sep in list(_RX_PLAIN_SPLIT.finditer(s))[:4]:
        attempts.append(partial(_range, s[: sep.start()], s[sep.end() :]))
    return _first_success(attempts)


def parse_text(s: str) -> Node:
    """Parse normalised text; raises only BadDate or NoMatch."""
    attempts: list[Callable[[], Node]] = [partial(_candidate, s)]
    label, colon, rest = s.partition(":")
    if colon and ":" not in rest and not _has_digit(label):
        # "Thời hạn nộp: 10/7/2023": the label before the colon is not part of the date.
        attempts.append(partial(_candidate, rest.strip(EDGE_PUNCT)))
    return _first_success(attempts)


# ---------------------------------------------------------------------------
# Public API
