"""The recorded facts of a campaign that a sơ kết / tổng kết report states.

Everything here is read from the store (submissions, nominations, deliveries,
actions) and joined with the spec and its compiled plan; nothing is estimated. A
report covers the occurrences due up to the end of its period (`Period.end`); an
occurrence whose due date has not passed yet counts its absent units as pending,
not missing.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from thidua.campaign.plan import ROMAN, Occurrence, Plan, compile_plan, occurrence_label
from thidua.campaign.spec import (
    Campaign,
    Milestone,
    MilestoneKind,
    NomineeKind,
    Requirement,
    Target,
    fold,
)
from thidua.dates.written import format_short, format_span
from thidua.errors import PhraseError, ThiduaError
from thidua.ledger.nominations import STATUS_LABELS
from thidua.registry.units import Registry
from thidua.store import crud
from thidua.store.models import Delivery, Nomination, Submission

_PERIOD_KEY = re.compile(r"^\s*(\d{4})(?:\s*-\s*[Qq]([1-4]))?\s*$")


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


#: The board's and the CLI's labels (thidua.ledger.nominations), capitalized for table headers:
#: the report must name a status as the office sees it everywhere else.
NOMINATION_STATUS_LABELS = {
    status.value: label[:1].upper() + label[1:] for status, label in STATUS_LABELS.items()
}

#: Deliveries that are no planned notice to units: the organizer's failure report
#: (action key "…#loi", tasks/alerts.py), and anything else a report cannot name.
ALERT_KIND = "alert"
OTHER_KIND = "other"

ACTION_KIND_LABELS = {
    "launch": "Thông báo phát động",
    "open": "Thông báo bắt đầu nộp",
    "reminder": "Nhắc hạn",
    "due": "Thông báo đến hạn",
    "overdue": "Thông báo quá hạn",
    "escalation": "Báo cáo cấp trên",
    "event": "Thông báo sự kiện",
    "compile": "Tổng hợp kết quả",
    ALERT_KIND: "Thông báo gửi lỗi cho cơ quan thường trực",
    OTHER_KIND: "Thông báo khác",
}

#: How a report names an action's status, after “N hoạt động …”, in this order.
ACTION_STATUS_LABELS = {
    "done": "đã thực hiện",
    "failed": "không thực hiện được",
    "running": "đang thực hiện",
    "scheduled": "đã lên lịch, chưa đến thời điểm thực hiện",
    "planned": "chưa lên lịch",
    "passed": "đã qua thời điểm thực hiện nên không gửi",
    "skipped": "không cần thực hiện",
    "cancelled": "đã hủy",
}


# --- the period a report covers ---------------------------------------------------


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
    """The period named by `--ky`: "2027-Q4", "2027", or a phrase such as “quý IV/2027”."""
    shown = text.strip()
    m = _PERIOD_KEY.match(shown)
    phrase = shown if m is None else (f"quý {ROMAN[int(m[2])]}/{m[1]}" if m[2] else f"năm {m[1]}")
    from thidua.dates.phrases import parse_date

    try:
        span = parse_date(phrase)
    except PhraseError as exc:
        raise ThiduaError(
            f"kỳ báo cáo (--ky) “{shown}” không hợp lệ: {exc}; "
            "ví dụ “2027-Q4”, “2027” hoặc “quý IV/2027”"
        ) from None
    if span.end < spec.period.start:
        raise ThiduaError(
            f"kỳ báo cáo (--ky) “{shown}” kết thúc ngày {format_short(span.end)}, trước khi "
            f"đợt thi đua bắt đầu ({format_short(spec.period.start)})"
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


# --- the facts ----------------------------------------------------------------------


@dataclass(frozen=True)
class UnitInfo:
    """A participating unit as the report names it."""

    code: str
    name: str
    kind: str  # Vietnamese label of the unit kind


@dataclass
class OccurrenceFacts:
    """Submissions for one milestone occurrence: who was due, who came on time, who is missing."""

    milestone: str
    occurrence: str
    title: str
    opens: date
    due: date
    expected: int
    on_time: int = 0
    late: int = 0
    early: int = 0
    missing: int = 0  # not submitted and the due date has passed
    pending: int = 0  # not submitted, not due yet
    late_units: list[str] = field(default_factory=list)
    missing_units: list[str] = field(default_factory=list)

    @property
    def submitted(self) -> int:
        return self.on_time + self.late + self.early

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.expected if self.expected else None


@dataclass
class UnitSubmissions:
    """One unit's record over every occurrence the report covers."""

    unit: UnitInfo
    expected: int = 0
    on_time: int = 0
    late: int = 0
    early: int = 0
    missing: int = 0
    pending: int = 0
    nominations: int = 0


@dataclass
class AwardCount:
    """Nominations for one award form, by nominee kind and by status."""

    award: str
    by_kind: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


@dataclass
class UnitNominations:
    """Nominations one unit made, by status."""

    unit: UnitInfo
    by_status: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class NominationLine:
    """One nomination, for the lists of proposals."""

    unit: str
    award: str
    nominee_kind: str  # Vietnamese label
    nominee_name: str
    position: str | None
    workplace: str | None
    achievement: str
    status: str


@dataclass
class NominationFacts:
    """Every nomination of the campaign (withdrawn ones apart)."""

    by_award: list[AwardCount] = field(default_factory=list)
    by_unit: list[UnitNominations] = field(default_factory=list)
    by_status: Counter[str] = field(default_factory=Counter)
    withdrawn: int = 0
    proposals: list[NominationLine] = field(default_factory=list)  # accepted
    awaiting: int = 0  # submitted or resubmitted, not yet reviewed

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class UnitFigure:
    """A unit's latest reported figure for a target in one period."""

    unit: UnitInfo
    value: float
    base: float | None
    attained: bool | None

    @property
    def rate(self) -> float | None:
        return self.value / self.base if self.base else None


@dataclass
class TargetFacts:
    """Attainment of one target (in one year for a yearly target)."""

    target: Target
    year: str  # "" for a campaign-wide target
    expected_units: int
    figures: list[UnitFigure] = field(default_factory=list)

    @property
    def is_ratio(self) -> bool:
        return self.target.denominator is not None

    @property
    def total_value(self) -> float:
        return sum(f.value for f in self.figures)

    @property
    def total_base(self) -> float:
        return sum(f.base or 0 for f in self.figures if f.base is not None)

    @property
    def rate(self) -> float | None:
        """Σ numerator / Σ denominator over the units that reported both."""
        pairs = [f for f in self.figures if f.base]
        base = sum(f.base or 0 for f in pairs)
        return sum(f.value for f in pairs) / base if base else None

    @property
    def attained(self) -> bool | None:
        rate = self.rate
        return None if not self.is_ratio or rate is None else _reaches(rate, self.target.goal)

    @property
    def units_attained(self) -> int:
        return sum(f.attained is True for f in self.figures)


@dataclass
class DeliveryCount:
    """Notifications of one action kind, by outcome (one row per unit and channel)."""

    kind: str
    sent: int = 0
    failed_permanent: int = 0
    failed_transient: int = 0
    other: int = 0  # pending or skipped

    @property
    def label(self) -> str:
        return ACTION_KIND_LABELS.get(self.kind, ACTION_KIND_LABELS[OTHER_KIND])

    @property
    def failed(self) -> int:
        return self.failed_permanent + self.failed_transient


@dataclass
class ActionFacts:
    """The campaign's planned actions as recorded: how many in each status, which failed."""

    by_status: Counter[str] = field(default_factory=Counter)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (title, error)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass
class CampaignFacts:
    """All a report says, measured as of `today` over `period`."""

    spec: Campaign
    registry: Registry
    kind: ReportKind
    period: Period
    today: date
    units: list[UnitInfo]
    occurrences: list[OccurrenceFacts]
    unit_submissions: list[UnitSubmissions]
    nominations: NominationFacts
    targets: list[TargetFacts]
    deliveries: list[DeliveryCount]
    actions: ActionFacts

    @property
    def units_by_kind(self) -> list[tuple[str, int]]:
        """(kind label, count) in the order kinds first appear."""
        return list(Counter(u.kind for u in self.units).items())

    @property
    def sent(self) -> int:
        return sum(d.sent for d in self.deliveries)

    @property
    def failed(self) -> int:
        return sum(d.failed for d in self.deliveries)


def gather_facts(
    session: Session,
    *,
    spec: Campaign,
    registry: Registry,
    kind: ReportKind,
    period: Period,
    today: date,
    plan: Plan | None = None,
    timezone: str = "Asia/Ho_Chi_Minh",
) -> CampaignFacts:
    """Read the campaign's recorded state and measure it against its plan."""
    plan = plan or compile_plan(spec, registry)
    tz = ZoneInfo(timezone)
    units = [_unit_info(registry, code) for code in plan.participants]
    info = {u.code: u for u in units}
    order = {m.key: i for i, m in enumerate(spec.milestones)}
    scope = sorted(
        (o for o in plan.occurrences if period.covers(o.due)),
        key=lambda o: (o.due, order[o.milestone.key]),
    )
    submissions = _rows(session, Submission, spec.code)
    nominations = [
        n
        for n in _rows(session, Nomination, spec.code)
        if period.covers(_local(n.submitted_at, tz))
    ]
    handed_in = _handed_in(spec, submissions, nominations)
    occurrence_facts, per_unit = _submission_facts(scope, handed_in, plan, registry, info, today)
    nomination_facts = _nomination_facts(nominations, spec, registry, info)
    for row in per_unit:
        row.nominations = sum(
            1 for n in nominations if n.unit_code == row.unit.code and n.status != "withdrawn"
        )
    in_scope = {(o.milestone.key, o.key): o.due for o in scope}
    targets = _target_facts(spec, submissions, in_scope, info, registry, len(units))
    return CampaignFacts(
        spec=spec,
        registry=registry,
        kind=kind,
        period=period,
        today=today,
        units=units,
        occurrences=occurrence_facts,
        unit_submissions=per_unit,
        nominations=nomination_facts,
        targets=targets,
        deliveries=_delivery_facts(session, spec.code, period, tz),
        actions=_action_facts(session, spec.code, period, tz),
    )


# --- helpers ------------------------------------------------------------------------


def _rows(session: Session, model: Any, code: str) -> list[Any]:
    statement = select(model).where(col(model.campaign_code) == code).order_by(col(model.id))
    return list(session.exec(statement))


def _local(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def _unit_info(registry: Registry, code: str) -> UnitInfo:
    if code in registry:
        unit = registry.unit(code)
        return UnitInfo(unit.code, unit.name, unit.kind.label)
    return UnitInfo(code, code, "")


def _reaches(value: float, goal: float) -> bool:
    # Figures are decimals typed by people: 0.8 must reach an 80% goal despite binary floats.
    return value >= goal - 1e-9


def _audience(m: Milestone, plan: Plan, registry: Registry) -> list[str]:
    """Units that owe what the milestone requires (the organizer owes itself nothing)."""
    if m.requirement is Requirement.NONE or m.audience == "organizer":
        return []
    if m.audience == "participants":
        return list(plan.participants)
    out: dict[str, None] = {}
    for code in m.audience:
        if code in registry.groups:
            out.update((u.code, None) for u in registry.members(code))
        elif code in registry:
            out[registry.unit(code).code] = None
    return list(out)


def _handed_in(
    spec: Campaign, submissions: list[Submission], nominations: list[Nomination]
) -> dict[tuple[str, str, str], str]:
    """Timing by (milestone, occurrence, unit) of what each unit handed in.

    A nomination dossier answers its nomination milestone even when no Submission was
    recorded for it; a unit's first nomination sets its timing. A nomination without
    a milestone belongs to the campaign's only nomination milestone, if it has one.
    """
    out = {(s.milestone, s.occurrence, s.unit_code): str(s.timing) for s in submissions}
    dossier = [m.key for m in spec.milestones if m.requirement is Requirement.NOMINATION_DOSSIER]
    for n in sorted(nominations, key=lambda n: n.submitted_at):
        milestone = n.milestone or (dossier[0] if len(dossier) == 1 else None)
        if milestone is None or str(n.status) == "withdrawn":
            continue
        out.setdefault((milestone, n.occurrence, n.unit_code), str(n.timing))
    return out


def _submission_facts(
    scope: list[Occurrence],
    by_key: dict[tuple[str, str, str], str],
    plan: Plan,
    registry: Registry,
    info: dict[str, UnitInfo],
    today: date,
) -> tuple[list[OccurrenceFacts], list[UnitSubmissions]]:
    per_unit: dict[str, UnitSubmissions] = {code: UnitSubmissions(u) for code, u in info.items()}
    out = []
    for occ in scope:
        m = occ.milestone
        owing = _audience(m, plan, registry)
        if not owing:
            continue
        suffix = f" {occ.label}" if occ.label else ""
        facts = OccurrenceFacts(m.key, occ.key, m.label + suffix, occ.opens, occ.due, len(owing))
        for code in owing:
            row = per_unit.setdefault(code, UnitSubmissions(_unit_info(registry, code)))
            row.expected += 1
            # A SubmissionTiming value names its counter; nothing handed in is missing or pending.
            outcome = by_key.get((m.key, occ.key, code)) or (
                "missing" if occ.due < today else "pending"
            )
            setattr(facts, outcome, getattr(facts, outcome) + 1)
            setattr(row, outcome, getattr(row, outcome) + 1)
            if outcome == "late":
                facts.late_units.append(code)
            elif outcome == "missing":
                facts.missing_units.append(code)
        out.append(facts)
    return out, list(per_unit.values())


def _award_names(spec: Campaign) -> dict[str, str]:
    """Award name by every key a nomination may carry: its code, its folded name."""
    names: dict[str, str] = {}
    for award in spec.awards:
        if award.code:
            names[award.code] = award.name
        names[fold(award.name)] = award.name
    return names


def _nomination_facts(
    nominations: list[Nomination], spec: Campaign, registry: Registry, info: dict[str, UnitInfo]
) -> NominationFacts:
    names = _award_names(spec)
    facts = NominationFacts()
    awards: dict[str, AwardCount] = {}
    units: dict[str, UnitNominations] = {}
    for award in spec.awards:  # the plan's order, even for forms nobody was nominated for
        awards.setdefault(award.name, AwardCount(award.name))
    for n in nominations:
        status = str(n.status)
        if status == "withdrawn":
            facts.withdrawn += 1
            continue
        award_name = names.get(n.award, n.award)
        count = awards.setdefault(award_name, AwardCount(award_name))
        count.by_kind[str(n.nominee_kind)] += 1
        count.by_status[status] += 1
        unit = info.get(n.unit_code) or _unit_info(registry, n.unit_code)
        units.setdefault(unit.code, UnitNominations(unit)).by_status[status] += 1
        facts.by_status[status] += 1
        if status in ("submitted", "resubmitted"):
            facts.awaiting += 1
        if status == "accepted":
            facts.proposals.append(
                NominationLine(
                    unit=unit.name,
                    award=award_name,
                    nominee_kind=_nominee_label(n.nominee_kind),
                    nominee_name=n.nominee_name,
                    position=n.position,
                    workplace=n.workplace,
                    achievement=n.achievement,
                    status=status,
                )
            )
    facts.by_award = list(awards.values())
    order = {code: i for i, code in enumerate(info)}
    facts.by_unit = sorted(units.values(), key=lambda u: (order.get(u.unit.code, len(order)),))
    return facts


def _nominee_label(kind: str) -> str:
    try:
        return NomineeKind(kind).label
    except ValueError:
        return kind


def _number(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    return float(x)


def _target_facts(
    spec: Campaign,
    submissions: list[Submission],
    in_scope: dict[tuple[str, str], date],
    info: dict[str, UnitInfo],
    registry: Registry,
    expected_units: int,
) -> list[TargetFacts]:
    """Per target (and year), each unit's latest figure in scope."""
    # (code, year, unit) → ((due, submitted at), value, base)
    latest: dict[tuple[str, str, str], tuple[tuple[date, datetime], float, float | None]] = {}
    for s in submissions:
        due = in_scope.get((s.milestone, s.occurrence))
        if due is None:
            continue
        year = s.occurrence[:4] if s.occurrence[:4].isdigit() else str(s.submitted_at.year)
        for code, figure in (s.figures or {}).items():
            value = _number(figure.get("value")) if isinstance(figure, dict) else None
            if value is None:
                continue
            base = _number(figure.get("base"))
            rank = (due, s.submitted_at)  # the figure of the latest occurrence wins
            key = (code, year, s.unit_code)
            if key not in latest or rank >= latest[key][0]:
                latest[key] = (rank, value, base)
    out = []
    for target in spec.targets:
        years = sorted({y for (c, y, _) in latest if c == target.code})
        for year in years if target.per == "year" and years else [""]:
            facts = TargetFacts(target, year, expected_units)
            chosen: dict[str, tuple[tuple[date, datetime], float, float | None]] = {}
            for (c, y, holder), entry in latest.items():
                wanted = c == target.code and year in ("", y)
                if wanted and (holder not in chosen or entry[0] >= chosen[holder][0]):
                    chosen[holder] = entry
            for unit_code in [c for c in info if c in chosen] + sorted(set(chosen) - set(info)):
                _, value, base = chosen[unit_code]
                unit = info.get(unit_code) or _unit_info(registry, unit_code)
                facts.figures.append(UnitFigure(unit, value, base, _attained(target, value, base)))
            out.append(facts)
    return out


def _attained(target: Target, value: float, base: float | None) -> bool | None:
    if target.denominator is None:
        return _reaches(value, target.goal)
    return None if not base else _reaches(value / base, target.goal)


def _delivery_facts(
    session: Session, code: str, period: Period, tz: ZoneInfo
) -> list[DeliveryCount]:
    kinds = {a.key: a.kind for a in crud.get_actions(session, campaign_code=code)}
    counts: dict[str, DeliveryCount] = {}
    rows = session.exec(select(Delivery).where(col(Delivery.campaign_code) == code))
    for d in rows:
        if not period.covers(_local(d.created_at, tz)):
            continue
        kind = _delivery_kind(d.action_key, kinds)
        count = counts.setdefault(kind, DeliveryCount(kind))
        status = str(d.status)
        if status == "sent":
            count.sent += 1
        elif status == "failed_permanent":
            count.failed_permanent += 1
        elif status == "failed_transient":
            count.failed_transient += 1
        else:
            count.other += 1
    order = list(ACTION_KIND_LABELS)
    return sorted(counts.values(), key=lambda c: order.index(c.kind) if c.kind in order else 99)


def _delivery_kind(action_key: str, kinds: dict[str, str]) -> str:
    """The action kind a delivery belongs to; never a raw key (“due#loi”) in a report."""
    base, hash_, _ = action_key.partition("#")
    if hash_:  # "<action>#loi": the organizer told which units that action did not reach
        return ALERT_KIND
    parts = base.split("/")
    kind = kinds.get(base) or (parts[2] if len(parts) > 2 else "")
    return kind if kind in ACTION_KIND_LABELS else OTHER_KIND


def _action_facts(session: Session, code: str, period: Period, tz: ZoneInfo) -> ActionFacts:
    facts = ActionFacts()
    for record in crud.get_actions(session, campaign_code=code):
        if not period.covers(_local(record.scheduled_at, tz)):
            continue
        status = str(record.status)
        facts.by_status[status] += 1
        if status == "failed":
            facts.failed.append((record.title, record.error or ""))
    return facts
