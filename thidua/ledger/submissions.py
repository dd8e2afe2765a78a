"""Submissions: a unit hands in what a milestone occurrence asks for, stamped against its window.

`prepare` is the whole validation and needs no store: the unit takes part, the
milestone asks for something, the occurrence exists, the time is on time / late /
early against the occurrence ("trong ngày 03 và ngày 04 tháng 7 năm 2023" accepts
only those two days), a milestone with ``late="refuse"`` refuses outside it, the
target figures fit their `Target`, the files are what they claim. `record` then
stores the files and the row in one go: nothing is written when anything fails.
`attainment` and `meets` are the one definition of reaching a target, shared by
the status board and the report.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from thidua.campaign.plan import Occurrence, occurrences, participants
from thidua.campaign.spec import Campaign, Milestone, Requirement, Target, fold
from thidua.clock import now as clock_now
from thidua.dates.phrases import MAX_YEAR, MIN_YEAR
from thidua.dates.written import format_long, format_short, weekday_name
from thidua.errors import ThiduaError, quote
from thidua.ledger.registration import check_registered
from thidua.registry.units import Registry
from thidua.store.models import SubmissionTiming

if TYPE_CHECKING:
    from sqlmodel import Session

    from thidua.campaign.loading import LoadedCampaign
    from thidua.ledger.files import FileBatch
    from thidua.store.models import Submission

__all__ = [
    "DuplicateSubmission",
    "Figure",
    "OutsideWindow",
    "Prepared",
    "Receipt",
    "SubmissionError",
    "attainment",
    "find_occurrence",
    "meets",
    "parse_figure",
    "parse_number",
    "parse_time",
    "prepare",
    "rate",
    "record",
    "save",
    "stamp",
    "timing_text",
    "total",
    "validate_figures",
    "window_text",
]

#: Where a submission was recorded from, as the office says it.
SOURCE_LABELS = {"cli": "dòng lệnh", "import": "nhập từ tệp", "ui": "biểu mẫu Prefect"}
SOURCES = tuple(SOURCE_LABELS)
#: A submission stamped later than now by more than this is a typo, not clock drift.
FUTURE_TOLERANCE = timedelta(minutes=5)
_EPSILON = 1e-9
_UNSET: Any = object()


# --- errors ---------------------------------------------------------------------------


class SubmissionError(ThiduaError):
    """A submission that cannot be recorded as given; `field` names the input at fault.

    Fields: campaign, unit, milestone, occurrence, submitted_at, figures[.<target>],
    files, source. An error about several inputs carries them all in `errors`.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: Any = _UNSET,
        errors: Sequence[SubmissionError] = (),
    ) -> None:
        self.message = message
        self.field = field
        self.value = value
        self.errors: list[SubmissionError] = list(errors) or [self]
        super().__init__(message)

    @property
    def has_value(self) -> bool:
        return self.value is not _UNSET

    @classmethod
    def combine(cls, errors: Sequence[SubmissionError]) -> SubmissionError:
        """One error standing for several (each keeps its field for an import report)."""
        if len(errors) == 1:
            return errors[0]
        return cls("; ".join(e.message for e in errors), field=errors[0].field, errors=errors)


class OutsideWindow(SubmissionError):
    """A late or early submission for a milestone whose campaign says late="refuse"."""


class DuplicateSubmission(SubmissionError):
    """The unit already submitted for this milestone occurrence; replacing needs --thay-the."""

    def __init__(self, existing: Submission, *, unit_name: str | None = None) -> None:
        self.existing = existing
        who = unit_name or f"đơn vị “{existing.unit_code}”"
        occurrence = f" kỳ “{existing.occurrence}”" if existing.occurrence else ""
        via = SOURCE_LABELS.get(existing.source, existing.source)
        super().__init__(
            f"{who} đã nộp cho mốc “{existing.milestone}”{occurrence}: bản nộp lúc "
            f"{local_text(existing.submitted_at)} đã được ghi nhận lúc "
            f"{local_text(existing.recorded_at)} (qua {via}); "
            "muốn thay thế bản đó thì thêm --thay-the (--replace)",
            field="unit",
            value=existing.unit_code,
        )


# --- numbers and figures --------------------------------------------------------------


_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def parse_number(value: Any, *, what: str) -> float:
    """A figure as written: 12, "12", "12,5" or "12.5"; SubmissionError naming `what` otherwise."""
    if isinstance(value, bool):
        raise SubmissionError(f"{what}: {quote(value)} không phải là số", value=value)
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise SubmissionError(f"{what}: {quote(value)} không phải là số", value=value)
        return float(value)
    text = re.sub(r"[\s\u00a0]+", "", str(value))
    if not _NUMBER.fullmatch(text):
        raise SubmissionError(
            f"{what}: {quote(str(value))} không phải là số (ghi dạng 12 hoặc 12,5)", value=value
        )
    number = float(text.replace(",", "."))
    if not math.isfinite(number):
        digits = sum(c.isdigit() for c in text)
        raise SubmissionError(f"{what}: số có {digits} chữ số, quá lớn để là số liệu", value=value)
    return number


def _plain_number(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


@dataclass(frozen=True, slots=True)
class Figure:
    """A unit's figure for one target: the numerator's value and, for a ratio, its base."""

    value: float
    base: float | None = None

    def to_json(self) -> dict[str, Any]:
        """As the store keeps it: {"value": 12, "base": 40}."""
        base = None if self.base is None else _plain_number(self.base)
        return {"value": _plain_number(self.value), "base": base}

    @classmethod
    def of(cls, data: Figure | Mapping[str, Any] | None) -> Figure | None:
        """A Figure from a stored mapping (None stays None)."""
        if data is None or isinstance(data, Figure):
            return data
        value, base = data.get("value"), data.get("base")
        if value is None:
            return None
        return cls(float(value), None if base is None else float(base))

    def text(self) -> str:
        """“12/40” or “12”, with a decimal comma."""
        shown = [_number_text(self.value)]
        if self.base is not None:
            shown.append(_number_text(self.base))
        return "/".join(shown)


def _number_text(x: float) -> str:
    return str(_plain_number(x)).replace(".", ",")


def parse_figure(text: str) -> tuple[str, str]:
    """Split a command-line figure “sang-kien=12/40” into (target code, “12/40”)."""
    code, sep, value = str(text).partition("=")
    if not sep or not code.strip() or not value.strip():
        raise SubmissionError(
            f"số liệu {quote(str(text))} phải có dạng MÃ-CHỈ-TIÊU=giá trị hoặc "
            "MÃ-CHỈ-TIÊU=tử số/mẫu số, ví dụ sang-kien=12/40",
            field="figures",
            value=text,
        )
    return code.strip(), value.strip()


def _figure(target: Target, raw: Any) -> Figure:
    """One figure checked against its target's definition."""
    what = f"số liệu chỉ tiêu “{target.code}”"
    path = f"figures.{target.code}"
    if isinstance(raw, Figure):
        value, base = raw.value, raw.base
    elif isinstance(raw, Mapping):
        if raw.get("value") in (None, ""):
            raise SubmissionError(
                f"{what}: thiếu giá trị (tử số)", field=path, value=raw.get("base")
            )
        value = _number_at(raw["value"], what, path, raw["value"])
        base = (
            None
            if raw.get("base") in (None, "")
            else _number_at(raw["base"], f"{what} (mẫu số)", path, raw["base"])
        )
    else:
        text = str(raw).strip() if not isinstance(raw, int | float) else raw
        if isinstance(text, str) and "/" in text:
            top, _, bottom = text.partition("/")
            value = _number_at(top, what, path, raw)
            base = _number_at(bottom, f"{what} (mẫu số)", path, raw)
        else:
            value, base = _number_at(text, what, path, raw), None
    problem = None
    # The CLI prints only the message, so the figure as typed must be in it.
    typed = f" (đang ghi {quote(_typed(raw))})"
    if value < 0:
        problem = f"{what}: giá trị phải là số không âm{typed}"
    elif target.denominator:
        if base is None:
            problem = (
                f"{what} là tỉ lệ ({target.numerator} / {target.denominator}); cần ghi cả "
                f"tử số và mẫu số, ví dụ {target.code}=12/40{typed}"
            )
        elif base <= 0:
            problem = f"{what}: mẫu số ({target.denominator}) phải lớn hơn 0{typed}"
        elif value > base + _EPSILON:
            problem = (
                f"{what}: tử số {_number_text(value)} lớn hơn mẫu số {_number_text(base)} "
                f"({target.numerator} không thể nhiều hơn {target.denominator.lower()})"
            )
    elif base is not None:
        problem = (
            f"{what} là số lượng ({target.numerator}), không có mẫu số; chỉ ghi một số, "
            f"ví dụ {target.code}={_number_text(value)}"
        )
    if problem:
        raise SubmissionError(problem, field=path, value=raw)
    return Figure(value, base)


def _typed(raw: Any) -> str:
    """A figure as the user wrote it: “12/40”, “-3”, or value/base from two columns."""
    if isinstance(raw, Figure):
        return raw.text()
    if isinstance(raw, Mapping):
        parts = (raw.get("value"), raw.get("base"))
        return "/".join("" if p is None else str(p) for p in parts)
    return str(raw)


def _number_at(text: Any, what: str, path: str, raw: Any) -> float:
    try:
        return parse_number(text, what=what)
    except SubmissionError as exc:
        raise SubmissionError(exc.message, field=path, value=raw) from None


def validate_figures(
    spec: Campaign, figures: Mapping[str, Any], *, required: bool = False
) -> dict[str, Figure]:
    """Figures by target code, each checked against the campaign's `Target`s.

    `required`: the milestone asks for target figures, so every target must be there.
    All problems are reported together (SubmissionError with `errors`).
    """
    targets = {t.code: t for t in spec.targets}
    known = ", ".join(targets) or "chiến dịch này không khai báo chỉ tiêu nào"
    errors: list[SubmissionError] = []
    out: dict[str, Figure] = {}
    for code, raw in figures.items():
        key = str(code).strip().lower()
        target = targets.get(key)
        if target is None:
            errors.append(
                SubmissionError(
                    f"không có chỉ tiêu {quote(str(code))} (các chỉ tiêu: {known})",
                    field=f"figures.{code}",
                    value=code,
                )
            )
            continue
        if key in out:
            errors.append(
                SubmissionError(
                    f"số liệu chỉ tiêu “{key}” được ghi hai lần", field=f"figures.{key}", value=raw
                )
            )
            continue
        try:
            out[key] = _figure(target, raw)
        except SubmissionError as exc:
            errors.append(exc)
    if required and targets:
        missing = [t for t in spec.targets if t.code not in out and t.code not in figures]
        if missing and not errors:
            listed = "; ".join(f"{t.code} ({t.description})" for t in missing)
            errors.append(
                SubmissionError(
                    f"mốc này yêu cầu số liệu chỉ tiêu; còn thiếu: {listed}", field="figures"
                )
            )
    if errors:
        raise SubmissionError.combine(errors)
    return out


def rate(target: Target, figure: Figure | Mapping[str, Any] | None) -> float | None:
    """The achieved level: value/base for a ratio target, the value for a count; None if unknown."""
    fig = Figure.of(figure)
    if fig is None:
        return None
    if target.denominator:
        if fig.base is None or fig.base <= 0:
            return None
        return fig.value / fig.base
    return fig.value


def attainment(target: Target, figure: Figure | Mapping[str, Any] | None) -> float | None:
    """How far the figure reaches the goal: 1.0 = exactly the goal (rate / goal); None if unknown."""
    achieved = rate(target, figure)
    return None if achieved is None else achieved / target.goal


def meets(target: Target, figure: Figure | Mapping[str, Any] | None) -> bool:
    """True when the figure reaches the target's goal (an unknown figure does not)."""
    achieved = rate(target, figure)
    return achieved is not None and achieved >= target.goal - _EPSILON


def total(figures: Iterable[Figure | Mapping[str, Any] | None]) -> Figure | None:
    """Figures of several units added up (the province-wide ratio is Σvalue / Σbase)."""
    known = [f for f in map(Figure.of, figures) if f is not None]
    if not known:
        return None
    bases = [f.base for f in known]
    base = None if any(b is None for b in bases) else sum(b for b in bases if b is not None)
    return Figure(sum(f.value for f in known), base)


# --- time -----------------------------------------------------------------------------


_DATE = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4})")
_TIME = re.compile(r"(?<!\d)(\d{1,2})\s*(?::|h|g|giờ)\s*(\d{1,2})?(?:\s*:\s*(\d{1,2}))?(?!\d)")
_FILLER = re.compile(r"\b(?:ngày|lúc|vào|hồi|phút)\b|[,]", re.IGNORECASE)


def _zone(tz: str | ZoneInfo | None) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    if tz is None:
        from thidua.config import get_settings

        tz = get_settings().timezone
    return ZoneInfo(tz)


def parse_time(value: str | datetime | date, *, tz: str | ZoneInfo | None = None) -> datetime:
    """When something was handed in, aware: “20/5/2026 09:30”, “9h30 20/5/2026”, ISO 8601.

    Naive values are local time (Asia/Ho_Chi_Minh); a date alone means its first minute.
    """
    parsed = _parse_time(value, _zone(tz))
    # Years near 1 or 9999 overflow when moved between time zones: refuse them here.
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        where = "còn ở tương lai" if parsed.year > MAX_YEAR else "không hợp lệ"
        raise SubmissionError(
            f"thời điểm nộp {quote(str(value).strip())}: năm {parsed.year} {where} "
            f"(năm phải từ {MIN_YEAR} đến {MAX_YEAR})",
            field="submitted_at",
            value=str(value).strip(),
        )
    return parsed


def _parse_time(value: str | datetime | date, zone: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, date):
        return datetime.combine(value, time(0, 0), zone)
    text = str(value).strip()
    bad = SubmissionError(
        f"thời điểm nộp {quote(text)} không hiểu được; ghi dạng “20/5/2026 09:30” "
        "hoặc “2026-05-20 09:30”",
        field="submitted_at",
        value=text,
    )
    if not text:
        raise bad
    try:
        parsed = datetime.fromisoformat(text.replace(" ", "T", 1) if "-" in text[:5] else text)
    except ValueError:
        parsed = None
    if parsed is not None:
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    cleaned = _FILLER.sub(" ", text)
    found = _DATE.search(cleaned)
    if not found:
        raise bad
    rest = (cleaned[: found.start()] + " " + cleaned[found.end() :]).strip()
    hour = minute = second = 0
    if rest:
        clock = _TIME.fullmatch(rest.strip())
        if not clock:
            raise bad
        hour, minute, second = (int(g or 0) for g in clock.groups())
    day, month, year = (int(g) for g in found.groups())
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError as exc:
        reason = (
            f"ngày {day:02d}/{month:02d}/{year} không tồn tại"
            if "day" in str(exc) or "month" in str(exc)
            else f"giờ {hour:02d}:{minute:02d}{f':{second:02d}' if second else ''} không hợp lệ"
        )
        raise SubmissionError(
            f"thời điểm nộp {quote(text)}: {reason}", field="submitted_at", value=text
        ) from None


def local_text(at: datetime, *, tz: str | ZoneInfo | None = None) -> str:
    """“16:30 ngày 10/07/2023 (thứ Hai)” in local time."""
    local = at.astimezone(_zone(tz)) if at.tzinfo else at.replace(tzinfo=UTC).astimezone(_zone(tz))
    return f"{local:%H:%M} ngày {format_short(local.date())} ({weekday_name(local.date())})"


# --- occurrences and timing -----------------------------------------------------------


def has_window(occ: Occurrence) -> bool:
    """True when the occurrence only accepts from an opening day (not just “by day X”).

    Judged on the written days: a “by Sunday” deadline moved to Monday has no window."""
    return occ.has_window


def stamp(
    occ: Occurrence, at: datetime, *, tz: str | ZoneInfo | None = None
) -> tuple[SubmissionTiming, int]:
    """On time, late or early against the occurrence, and by how many days (0 when on time).

    Against the effective deadline (`occ.due`): a dossier handed in on the Monday after a
    Sunday deadline is on time (BLDS 2015, Điều 148) unless the campaign's rule says not."""
    day = at.astimezone(_zone(tz)).date()
    if has_window(occ) and day < occ.opens:
        return SubmissionTiming.EARLY, (occ.opens - day).days
    if day > occ.due:
        return SubmissionTiming.LATE, (day - occ.due).days
    return SubmissionTiming.ON_TIME, 0


def timing_text(timing: SubmissionTiming | str, days: int) -> str:
    """“đúng hạn”, “TRỄ HẠN 2 ngày” or “SỚM 3 ngày (trước khi mở nhận)”."""
    timing = SubmissionTiming(timing)
    if timing is SubmissionTiming.LATE:
        return f"TRỄ HẠN {days} ngày"
    if timing is SubmissionTiming.EARLY:
        return f"SỚM {days} ngày (trước khi mở nhận)"
    return "đúng hạn"


def _month(d: date) -> str:
    return f"{d.month:02d}" if d.month <= 2 else str(d.month)


def window_text(occ: Occurrence) -> str:
    """When the occurrence accepts submissions, as a sentence part.

    “trong ngày 03 và ngày 04 tháng 7 năm 2023 (thứ Hai, thứ Ba)”,
    “đến hết ngày 10 tháng 7 năm 2023 (thứ Hai)”, or “từ … đến hết …”.
    """
    opens, due = occ.opens, occ.due
    if not has_window(occ):
        return f"đến hết {format_long(due)}"
    if opens == due:
        return f"trong {format_long(due)}"
    if (due - opens).days == 1 and (opens.year, opens.month) == (due.year, due.month):
        return (
            f"trong ngày {opens.day:02d} và ngày {due.day:02d} tháng {_month(due)} năm {due.year} "
            f"({weekday_name(opens)}, {weekday_name(due)})"
        )
    return f"từ {format_long(opens)} đến hết {format_long(due)}"


def _occurrence_choice(occ: Occurrence) -> str:
    label = f"{occ.label}, " if occ.label else ""
    return f"{occ.key or '-'} ({label}{window_text(occ)})"


def _norm(text: str) -> str:
    return fold(text).replace("_", "")


def find_occurrence(
    spec: Campaign, milestone: Milestone, key: str | None, at: datetime, *, tz: Any = None
) -> Occurrence:
    """The occurrence `key` (or label: “quý IV/2027”) of the milestone; without one, the only
    occurrence or the one whose window holds the submission day; else an error listing them."""
    occs = [o for o in occurrences(spec)[0] if o.milestone.key == milestone.key]
    if not occs:
        raise SubmissionError(
            f"mốc “{milestone.key}” không có kỳ nào trong thời gian thực hiện",
            field="occurrence",
            value=key or "",
        )
    choices = "; ".join(_occurrence_choice(o) for o in occs)
    if key is not None and key.strip() not in ("", "-"):
        wanted = _norm(key)
        for occ in occs:
            if wanted in (_norm(occ.key), _norm(occ.label)) and occ.key:
                return occ
        if len(occs) == 1 and not occs[0].key:
            raise SubmissionError(
                f"mốc “{milestone.key}” chỉ có một lần, không chia kỳ; bỏ kỳ {quote(key)}",
                field="occurrence",
                value=key,
            )
        raise SubmissionError(
            f"mốc “{milestone.key}” không có kỳ {quote(key)}; các kỳ: {choices}",
            field="occurrence",
            value=key,
        )
    if len(occs) == 1:
        return occs[0]
    day = at.astimezone(_zone(tz)).date()
    # min(): a plain deadline moved back to the previous working day opens after it ends.
    holding = [o for o in occs if min(o.opens, o.due) <= day <= o.due]
    if len(holding) == 1:
        return holding[0]
    raise SubmissionError(
        f"mốc “{milestone.key}” có {len(occs)} kỳ và ngày nộp {format_short(day)} không nằm "
        f"trong kỳ nào; hãy ghi rõ kỳ (--ky): {choices}",
        field="occurrence",
        value="",
    )


# --- who and what ---------------------------------------------------------------------


def audience(spec: Campaign, registry: Registry, milestone: Milestone) -> tuple[str, ...]:
    """Codes of the units the milestone asks to submit."""
    if milestone.audience == "participants":
        return participants(spec, registry)
    if milestone.audience == "organizer":
        return (spec.organizer,)
    out: dict[str, None] = {}
    for code in milestone.audience:
        if code in registry.groups:
            out.update((u.code, None) for u in registry.members(code))
        elif code in registry:
            out[registry.unit(code).code] = None
    return tuple(out)


def find_milestone(spec: Campaign, key: str) -> Milestone:
    """The milestone `key` that asks units to submit something; an error listing them otherwise."""
    wanted = str(key).strip()
    owing = [m for m in spec.milestones if m.requirement is not Requirement.NONE]
    listed = ", ".join(f"{m.key} ({m.label})" for m in owing) or "không có"
    for m in spec.milestones:
        if m.key == wanted or _norm(m.key) == _norm(wanted):
            if m.requirement is Requirement.NONE:
                raise SubmissionError(
                    f"mốc “{m.key}” ({m.label}) không yêu cầu nộp gì; các mốc phải nộp: {listed}",
                    field="milestone",
                    value=key,
                )
            return m
    raise SubmissionError(
        f"chiến dịch {spec.code} không có mốc {quote(wanted)}; các mốc phải nộp: {listed}",
        field="milestone",
        value=key,
    )


def find_unit(
    spec: Campaign, registry: Registry, milestone: Milestone, code: str
) -> tuple[str, str]:
    """(code, name) of a unit that owes the milestone; an error naming the unit otherwise."""
    wanted = str(code).strip()
    if not wanted or wanted not in registry:
        raise SubmissionError(
            f"không có đơn vị {quote(wanted)} trong danh sách đơn vị của chiến dịch {spec.code} "
            f"({registry.source})",
            field="unit",
            value=code,
        )
    unit = registry.unit(wanted)
    if unit.code not in audience(spec, registry, milestone):
        raise SubmissionError(
            f"đơn vị “{unit.code}” ({unit.name}) không thuộc đối tượng phải nộp của mốc "
            f"“{milestone.key}” ({milestone.label})",
            field="unit",
            value=code,
        )
    return unit.code, unit.name


# --- prepare --------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A submission that passed every check and can be recorded as is."""

    campaign_code: str
    unit_code: str
    unit_name: str
    milestone: Milestone
    occurrence: Occurrence
    submitted_at: datetime  # UTC
    timing: SubmissionTiming
    days: int  # how late or early; 0 when on time
    figures: dict[str, Figure] = field(default_factory=dict)
    files: tuple[Path, ...] = ()
    note: str | None = None
    recorded_by: str | None = None
    source: str = "cli"
    replace: bool = False

    @property
    def requirement(self) -> Requirement:
        return self.milestone.requirement

    def key(self) -> tuple[str, str, str, str]:
        """(campaign, milestone, occurrence, unit): what makes two submissions the same."""
        return (self.campaign_code, self.milestone.key, self.occurrence.key, self.unit_code)

    def describe(self) -> str:
        """“Sở Y tế nộp báo cáo cho mốc “…” lúc 16:30 ngày 10/07/2023 (thứ Hai) — đúng hạn”."""
        occ = f" {self.occurrence.label}" if self.occurrence.label else ""
        return (
            f"{self.unit_name} nộp {self.requirement.label} cho mốc “{self.milestone.label}”{occ} "
            f"lúc {local_text(self.submitted_at)} — {timing_text(self.timing, self.days)}"
        )

    def figures_json(self) -> dict[str, Any]:
        return {code: fig.to_json() for code, fig in self.figures.items()}


def _refusal(
    prep_unit: str,
    milestone: Milestone,
    occ: Occurrence,
    at: datetime,
    timing: SubmissionTiming,
    days: int,
) -> str:
    how = f"trễ hạn {days} ngày" if timing is SubmissionTiming.LATE else f"sớm {days} ngày"
    which = f" {occ.label}" if occ.label else ""
    return (
        f"không nhận: {prep_unit} nộp lúc {local_text(at)}, {how}; mốc “{milestone.label}”{which} "
        f"chỉ nhận {window_text(occ)} và không nhận bản nộp ngoài thời gian này"
    )


def prepare(
    loaded: LoadedCampaign,
    *,
    unit: str,
    milestone: str,
    occurrence: str | None = None,
    submitted_at: str | datetime | None = None,
    figures: Mapping[str, Any] | None = None,
    files: Iterable[str | Path] = (),
    note: str | None = None,
    recorded_by: str | None = None,
    source: str = "cli",
    replace: bool = False,
    now: datetime | None = None,
    check_files: bool = True,
) -> Prepared:
    """Check a submission completely, without touching the store; SubmissionError if wrong."""
    spec, registry = loaded.spec, loaded.registry
    zone = _zone(None)
    now = now or clock_now()
    if source not in SOURCES:
        raise SubmissionError(f"nguồn {quote(source)} không hợp lệ", field="source", value=source)
    m = find_milestone(spec, milestone)
    errors: list[SubmissionError] = []
    unit_code = unit_name = None
    try:
        unit_code, unit_name = find_unit(spec, registry, m, unit)
    except SubmissionError as exc:
        errors.append(exc)
    at: datetime | None = None
    try:
        at = now if submitted_at in (None, "") else parse_time(submitted_at, tz=zone)
        if at > now + FUTURE_TOLERANCE:
            raise SubmissionError(
                f"thời điểm nộp {local_text(at)} còn ở tương lai (bây giờ là {local_text(now)})",
                field="submitted_at",
                value=submitted_at,
            )
    except SubmissionError as exc:
        errors.append(exc)
        at = None
    occ = None
    if at is not None:
        try:
            occ = find_occurrence(spec, m, occurrence, at, tz=zone)
        except SubmissionError as exc:
            errors.append(exc)
    checked: dict[str, Figure] = {}
    if m.requirement is Requirement.REGISTRATION:
        # Registered levels, not results (thidua.ledger.registration).
        checked, issues = check_registered(spec, figures or {})  # type: ignore[assignment]
        errors += [SubmissionError(msg, field=f, value=v) for f, msg, v in issues]
    else:
        try:
            checked = validate_figures(
                spec, figures or {}, required=m.requirement is Requirement.TARGET_FIGURES
            )
        except SubmissionError as exc:
            errors.extend(exc.errors)
    paths = tuple(Path(f) for f in files)
    if check_files:
        from thidua.ledger.files import check_file

        for path in paths:
            try:
                check_file(path)
            except ThiduaError as exc:
                errors.append(SubmissionError(str(exc), field="files", value=str(path)))
    if errors:
        raise SubmissionError.combine(errors)
    assert at is not None and occ is not None and unit_code and unit_name
    timing, days = stamp(occ, at, tz=zone)
    if timing is not SubmissionTiming.ON_TIME and m.late == "refuse":
        raise OutsideWindow(
            _refusal(unit_name, m, occ, at, timing, days),
            field="submitted_at",
            value=submitted_at if submitted_at not in (None, "") else local_text(at),
        )
    return Prepared(
        campaign_code=spec.code,
        unit_code=unit_code,
        unit_name=unit_name,
        milestone=m,
        occurrence=occ,
        submitted_at=at.astimezone(UTC),
        timing=timing,
        days=days,
        figures=checked,
        files=paths,
        note=str(note or "").strip() or None,
        recorded_by=str(recorded_by or "").strip() or None,
        source=source,
        replace=replace,
    )


# --- recording ------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """What was recorded, and the time of the record it replaced, if any."""

    submission: Submission
    prepared: Prepared
    replaced_recorded_at: datetime | None = None

    def message(self) -> str:
        """The one line the CLI, the import and the form show: “Đã ghi nhận: …”."""
        line = f"Đã ghi nhận: {self.prepared.describe()}"
        if self.replaced_recorded_at is not None:
            line += f" (thay thế bản ghi nhận lúc {local_text(self.replaced_recorded_at)})"
        files = self.submission.files or []
        if files:
            line += f"; {len(files)} tệp: " + ", ".join(f["name"] for f in files)
        return line


def save(session: Session, prepared: Prepared, batch: FileBatch) -> Receipt:
    """Store the files and the row in the caller's transaction (undo `batch` if it fails)."""
    from thidua.store import crud

    campaign, milestone, occurrence, unit = prepared.key()
    where = {
        "campaign_code": campaign,
        "milestone": milestone,
        "occurrence": occurrence,
        "unit_code": unit,
    }
    existing = crud.get_submission(session, **where)
    replaced_at = None
    if existing is not None:
        if not prepared.replace:
            raise DuplicateSubmission(existing, unit_name=prepared.unit_name)
        replaced_at = existing.recorded_at
    stored = [
        batch.store(p, campaign=campaign, milestone=milestone, occurrence=occurrence, unit=unit)
        for p in prepared.files
    ]
    row = crud.add_submission(
        session,
        **where,
        submitted_at=prepared.submitted_at,
        timing=prepared.timing,
        requirement=prepared.requirement.value,
        files=stored,
        figures=prepared.figures_json(),
        source=prepared.source,
        recorded_by=prepared.recorded_by,
        note=prepared.note,
        replace=prepared.replace,
        unit_name=prepared.unit_name,
    )
    # Only now, with the row written (and its key locked until commit), do the copies
    # take their names: a concurrent submission refused as a duplicate never does.
    batch.place()
    row.files = [dict(info) for info in stored]  # the final paths `place` gave them
    session.add(row)
    session.flush()
    return Receipt(row, prepared, replaced_at)


def record(prepared: Prepared) -> Receipt:
    """Record one submission in its own transaction; its files are removed if that fails."""
    from thidua.ledger.files import FileBatch
    from thidua.store.db import session_scope

    batch = FileBatch(deferred=True)
    try:
        with session_scope() as session:
            receipt = save(session, prepared, batch)
    except BaseException:
        batch.undo()
        raise
    return receipt
