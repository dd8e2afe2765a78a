"""An official document sent through the e-document system instead of a file: its số hiệu
and its date, read as a clerk types them off the document and checked before anything is
recorded.

Nghị định 30/2020/NĐ-CP writes a state document's number as “125/BC-UBND” (number, kind,
issuer; “07/2023/QĐ-UBND” with the year for a legal document); Hướng dẫn 36-HD/VPTW writes
a Party document's as “25-BC/TU”. Both are accepted, in any case, with or without “Số:”.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from thidua.dates.span import MAX_YEAR, MIN_YEAR
from thidua.dates.written import format_short
from thidua.errors import SubmissionError, quote

__all__ = ["SentDocument", "check_sent_document"]

#: Letters (Vietnamese included) and digits; no underscore.
_WORD = r"[^\W_]+"
_STATE = re.compile(rf"\d{{1,6}}(?:/\d{{4}})?/{_WORD}(?:-{_WORD})+")
_PARTY = re.compile(rf"\d{{1,6}}-{_WORD}/{_WORD}(?:[-/]{_WORD})*")
_PREFIX = re.compile(r"^\s*số\s*:?\s*", re.IGNORECASE)
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_WRITTEN = re.compile(r"(?:ngày\s*)?(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})", re.I)
MAX_LENGTH = 60


@dataclass(frozen=True)
class SentDocument:
    """“125/BC-UBND” of 05/07/2023."""

    number: str
    day: date

    def text(self) -> str:
        return f"văn bản số {self.number} ngày {format_short(self.day)}"


def _number(raw: str) -> str | SubmissionError:
    text = re.sub(r"\s*([/-])\s*", r"\1", _PREFIX.sub("", raw.strip())).upper()
    if len(text) <= MAX_LENGTH and (_STATE.fullmatch(text) or _PARTY.fullmatch(text)):
        return text
    return SubmissionError(
        f"số hiệu văn bản {quote(raw.strip())} không đúng dạng; ghi như trên văn bản, "
        "ví dụ 125/BC-UBND (văn bản của cơ quan nhà nước) hoặc 25-BC/TU (văn bản của Đảng)",
        field="doc_number",
        value=raw,
    )


def _day(raw: str | date, today: date) -> date | SubmissionError:
    if isinstance(raw, date):
        found: date | None = raw
    else:
        text = raw.strip()
        found = None
        if m := _ISO.fullmatch(text):
            year, month, day = (int(g) for g in m.groups())
        elif m := _WRITTEN.fullmatch(text):
            day, month, year = (int(g) for g in m.groups())
        else:
            return SubmissionError(
                f"ngày văn bản {quote(text)} không hiểu được; ghi dạng 05/07/2023",
                field="doc_date",
                value=raw,
            )
        if MIN_YEAR <= year <= MAX_YEAR:
            try:
                found = date(year, month, day)
            except ValueError:
                found = None
        if found is None:
            return SubmissionError(
                f"ngày văn bản {quote(text)} không tồn tại", field="doc_date", value=raw
            )
    assert found is not None
    if found > today:
        return SubmissionError(
            f"ngày văn bản {format_short(found)} còn ở tương lai (hôm nay là "
            f"{format_short(today)}); hãy ghi ngày ký trên văn bản",
            field="doc_date",
            value=raw,
        )
    return found


def check_sent_document(
    number: str | None, day: str | date | None, *, today: date
) -> tuple[SentDocument | None, list[SubmissionError]]:
    """The document named by `number` and `day` (None when neither is given), and every
    problem with them (none: it can be recorded)."""
    has_number = bool(number and number.strip())
    has_day = isinstance(day, date) or bool(day and day.strip())
    if not has_number and not has_day:
        return None, []
    if not has_number:
        shown = format_short(day) if isinstance(day, date) else str(day).strip()
        return None, [
            SubmissionError(
                f"đã ghi ngày văn bản {shown} nhưng thiếu số hiệu văn bản (ví dụ 125/BC-UBND)",
                field="doc_number",
                value="",
            )
        ]
    assert number is not None
    parsed = _number(number)
    if not has_day:
        problems = [parsed] if isinstance(parsed, SubmissionError) else []
        return None, [
            *problems,
            SubmissionError(
                f"đã ghi số hiệu văn bản {quote(number.strip())} nhưng thiếu ngày văn bản",
                field="doc_date",
                value="",
            ),
        ]
    assert day is not None
    when = _day(day, today)
    errors = [e for e in (parsed, when) if isinstance(e, SubmissionError)]
    if errors:
        return None, errors
    assert isinstance(parsed, str) and isinstance(when, date)
    return SentDocument(parsed, when), []
