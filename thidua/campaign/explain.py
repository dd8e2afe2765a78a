"""What `thidua date` says about a phrase: the days it means, the deadline it really sets,
or, for a recurrence word (“hằng năm”, “6 tháng”, “hằng quý”…), how it repeats.

A plan says “báo cáo định kỳ 6 tháng” as often as “chậm nhất ngày 15/6/2026”; an admin
trying either with `thidua date` should learn how to write it in a campaign file, not
be told the phrase has no date. “Định kỳ” alone names no period: it is refused with
the forms that would work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from thidua.dates.phrases import parse_date
from thidua.dates.span import DateSpan
from thidua.dates.workdays import WorkCalendar, vietnam_calendar
from thidua.dates.written import format_short, weekday_name
from thidua.errors import ThiduaError
from thidua.text.fold import fold_words

#: the recurrence forms a campaign file can use, for the refusal of a bare “định kỳ”
FORMS = "“hằng năm”, “6 tháng”, “hằng quý”, “hằng tháng” hoặc một danh sách ngày"


@dataclass(frozen=True)
class Period:
    """One recurrence word: what it means and the days of one year it makes."""

    every: str  # the English value a Recurrence takes
    meaning: str
    slots: tuple[str, ...]  # the occurrences of one year, as a plan writes them


_YEARLY = Period(
    "yearly",
    "lặp lại mỗi năm một lần trong thời gian thực hiện; mốc ghi ngày không kèm năm, "
    "ví dụ when=“15/12”",
    ("năm",),
)
_SIX_MONTHLY = Period(
    "six_monthly",
    "lặp lại mỗi năm hai lần: kỳ 6 tháng đầu năm (01/01 – 30/6) và kỳ cả năm "
    "(01/01 – 31/12); mốc ghi ngày không kèm năm cho mỗi kỳ",
    ("6 tháng đầu năm", "cả năm"),
)
_QUARTERLY = Period(
    "quarterly",
    "lặp lại mỗi quý một lần; mốc ghi ngày theo quý, ví dụ when=“ngày 20 tháng cuối quý”",
    ("quý I", "quý II", "quý III", "quý IV"),
)
_MONTHLY = Period(
    "monthly",
    "lặp lại mỗi tháng một lần; mốc ghi ngày trong tháng, ví dụ when=“ngày 25 hằng tháng”",
    tuple(f"tháng {m}" for m in range(1, 13)),
)

# Folded words (fold_words with "_") → the period they name; “định kỳ” before a period
# only says that it repeats.
_WORDS: dict[str, Period] = {
    **dict.fromkeys(("hang_nam", "moi_nam", "nam_mot_lan", "hang_nam_mot_lan"), _YEARLY),
    **dict.fromkeys(
        ("6_thang", "sau_thang", "6_thang_mot_lan", "nua_nam", "hang_6_thang", "moi_6_thang"),
        _SIX_MONTHLY,
    ),
    **dict.fromkeys(("hang_quy", "moi_quy", "quy_mot_lan"), _QUARTERLY),
    **dict.fromkeys(("hang_thang", "moi_thang", "thang_mot_lan"), _MONTHLY),
}
#: a period of a year written without its year: what it covers in any year
_HALVES = {
    "6_thang_dau_nam": "từ 01/01 đến 30/6",
    "6_thang_cuoi_nam": "từ 01/7 đến 31/12",
    "ca_nam": "từ 01/01 đến 31/12",
}
_BARE = {"dinh_ky", "theo_dinh_ky", "thuong_ky"}


class UnclearPeriod(ThiduaError):
    """A recurrence word that names no period (“định kỳ”)."""


@dataclass
class Explanation:
    """Lines for a person, and the same facts as data (`--format json`)."""

    lines: list[str]
    data: dict[str, Any] = field(default_factory=dict)


def explain(
    phrase: str,
    *,
    year: int | None = None,
    quarter: int | None = None,
    calendar: WorkCalendar | None = None,
) -> Explanation:
    """Explain `phrase`; PhraseError when it is neither a date phrase nor a recurrence,
    UnclearPeriod for “định kỳ” without its period."""
    key = re.sub(r"^bao_cao_", "", fold_words(phrase, "_"))  # “báo cáo định kỳ 6 tháng”
    bare = re.sub(r"^dinh_ky_", "", key)
    if key in _BARE:
        raise UnclearPeriod(
            f"“{phrase}” chưa nói bao lâu một lần; hãy ghi rõ: {FORMS} "
            "(ví dụ “định kỳ 6 tháng”, “hằng quý”)"
        )
    if bare in _WORDS:
        return _recurrence(phrase, _WORDS[bare])
    if bare in _HALVES and year is None:
        return Explanation(
            [
                f"“{phrase}” → một kỳ trong năm: {_HALVES[bare]} của năm được ghi; "
                f"ghi kèm năm (“{phrase} 2026”) hoặc dùng --nam để xem ngày cụ thể",
                "Trong mốc lặp 6 tháng (recurrence), mỗi năm có kỳ “6 tháng đầu năm” và "
                "kỳ “cả năm”.",
            ],
            {"period": bare, "covers": _HALVES[bare]},
        )
    span = parse_date(phrase, year=year, quarter=quarter)
    return _dated(phrase, span, calendar or vietnam_calendar())


def _recurrence(phrase: str, period: Period) -> Explanation:
    every = _accepted_by_model(phrase)
    lines = [f"“{phrase}” → mốc lặp lại ({every or period.every}): {period.meaning}"]
    lines.append("Các kỳ trong một năm: " + ", ".join(period.slots))
    if every:
        lines.append(f'Trong tệp chiến dịch: recurrence=Recurrence(every="{phrase}")')
    data = {"recurrence": every or period.every, "slots": list(period.slots)}
    return Explanation(lines, {**data, "accepted": every is not None})


def _accepted_by_model(word: str) -> str | None:
    """The value the campaign model makes of the word, if it takes it (the model decides)."""
    from pydantic import ValidationError

    from thidua.campaign.spec import Recurrence

    try:
        made = Recurrence.model_validate({"every": word})
    except (ValidationError, ValueError):
        return None
    return str(getattr(made.every, "value", made.every))


def _dated(phrase: str, span: DateSpan, cal: WorkCalendar) -> Explanation:
    from thidua.campaign.kinds import DeadlineRule
    from thidua.campaign.plan import effective_deadline

    def day(d: date) -> str:
        return f"{format_short(d)} ({weekday_name(d)})"

    if span.is_day:
        line = f"“{phrase}” → ngày {day(span.start)}  [{span.start.isoformat()}]"
    else:
        days = (span.end - span.start).days + 1
        line = (
            f"“{phrase}” → từ {day(span.start)} đến {day(span.end)}, {days} ngày  "
            f"[{span.start.isoformat()} … {span.end.isoformat()}]"
        )
    effective = effective_deadline(span.end, DeadlineRule.NEXT_WORKING_DAY, cal)
    data: dict[str, Any] = {
        "start": span.start.isoformat(),
        "end": span.end.isoformat(),
        "effective_end": effective.isoformat(),
    }
    lines = [line]
    if effective != span.end:
        why = cal.holiday_name(span.end) or weekday_name(span.end)
        lines.append(
            f"Nếu là hạn nộp: ngày {format_short(span.end)} là ngày nghỉ ({why}), hạn thực tế "
            f"là hết ngày {day(effective)} (BLDS 2015, Điều 148; tệp chiến dịch có thể đổi "
            "bằng deadline_rule)"
        )
    else:
        lines.append(f"Nếu là hạn nộp: hạn thực tế là hết ngày {day(effective)} (ngày làm việc)")
    return Explanation(lines, data)
