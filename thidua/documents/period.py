"""What a sơ kết / tổng kết report covers: its kind and its period (“quý IV/2027”)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from thidua.campaign.kinds import MilestoneKind
from thidua.campaign.plan import ROMAN, Occurrence, Plan, occurrence_label
from thidua.campaign.spec import Campaign
from thidua.dates.written import format_short, format_span
from thidua.errors import InputError, PhraseError

#: An occurrence key as `thidua plan` shows it: "2027", "2027-Q4", "2027-H1", "2027-03".
_PERIOD_KEY = re.compile(r"^\s*(\d{4})(?:\s*-\s*(?:[Qq]([1-4])|[Hh]([12])|(\d{1,2})))?\s*$")


def _key_phrase(m: re.Match[str]) -> str:
    """The date phrase of a period key: what the report covers, up to its end."""
    year, quarter, half, month = m[1], m[2], m[3], m[4]
    if quarter:
        return f"quý {ROMAN[int(quarter)]}/{year}"
    if half == "1":
        return f"6 tháng đầu năm {year}"
    if month:
        return f"tháng {int(month)}/{year}"
    return f"năm {year}"  # a year, or its second half: the report of the whole year


class ReportKind(StrEnum):
    """Which report: the mid-term review (sơ kết) or the final summary (tổng kết)."""

    REVIEW = "so-ket"
    SUMMARY = "tong-ket"

    @property
    def label(self) -> str:
        return "sơ kết" if self is ReportKind.REVIEW else "tổng kết"

    @property
    def milestone_kind(self) -> MilestoneKind:
        return MilestoneKind.REVIEW if self is ReportKind.REVIEW else MilestoneKind.SUMMARY


@dataclass(frozen=True)
class Period:
    """What a report covers: occurrences due up to `end`; `label` names it (“quý IV/2027”)."""

    end: date
    label: str = ""
    #: the whole campaign (a tổng kết): what was recorded after `end` counts too
    whole: bool = False

    def covers(self, day: date) -> bool:
        """Whether something recorded on `day` belongs to the report."""
        return self.whole or day <= self.end


def parse_period(text: str, spec: Campaign) -> Period:
    """The period a report is asked for (the CLI's `--ky`): "2027-Q4", "2027-H1",
    "2027-03", "2027", or a phrase such as “quý IV/2027” or “6 tháng đầu năm 2027”."""
    shown = text.strip()
    m = _PERIOD_KEY.match(shown)
    phrase = shown if m is None else _key_phrase(m)
    from thidua.dates.phrases import parse_date

    try:
        span = parse_date(phrase)
    except PhraseError as exc:
        raise InputError(
            f"kỳ báo cáo “{shown}” không hợp lệ: {exc}; "
            "ví dụ “2027-Q4”, “2027-H1”, “2027-03”, “2027” hoặc “quý IV/2027”",
            field="period",
            value=shown,
        ) from None
    if span.end < spec.period.start:
        raise InputError(
            f"kỳ báo cáo “{shown}” kết thúc ngày {format_short(span.end)}, trước khi "
            f"đợt thi đua bắt đầu ({format_short(spec.period.start)})",
            field="period",
            value=shown,
        )
    return Period(span.end, format_span(span, named=True))


def occurrence_period(occ: Occurrence) -> Period:
    """The period of a sơ kết / tổng kết occurrence: up to its due date, named as planned.

    The written day: a quarter ending on a Sunday still covers up to that Sunday."""
    if occ.key:
        return Period(occ.written, occurrence_label(occ.key))
    if occ.span.is_day:  # “trước ngày 16/6/2027”: the report covers up to its due day
        return Period(occ.written, f"đến ngày {format_short(occ.written)}")
    return Period(occ.written, format_span(occ.span, named=True))


def default_period(spec: Campaign, plan: Plan, kind: ReportKind, today: date) -> Period:
    """The period of a report asked for without `--ky`.

    A sơ kết covers up to the campaign's sơ kết milestone (the last one due by today,
    else the first); without one, up to today. A tổng kết covers the whole campaign.
    """
    if kind is ReportKind.SUMMARY:
        last_due = max((o.due for o in plan.occurrences), default=spec.period.end)
        return Period(max(last_due, spec.period.end), whole=True)
    reviews = [o for o in plan.occurrences if o.milestone.kind is MilestoneKind.REVIEW]
    if reviews:
        past = [o for o in reviews if o.due <= today]
        return occurrence_period(past[-1] if past else reviews[0])
    end = min(max(today, spec.period.start), spec.period.end)
    return Period(end, f"đến ngày {format_short(end)}")
