"""The recorded facts of a campaign that a sơ kết / tổng kết report states.

Everything here is read from the store (submissions, nominations, deliveries,
actions) and joined with the spec and its compiled plan; nothing is estimated. A
report covers the occurrences due up to the end of its period (`Period.end`); an
occurrence whose due date has not passed yet counts its absent units as pending,
not missing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from thidua.campaign.audience import owing as audience_owing
from thidua.campaign.kinds import NomineeKind, Requirement
from thidua.campaign.plan import Occurrence, Plan, compile_plan
from thidua.campaign.spec import Campaign, Target
from thidua.documents.period import (
    Period,
    ReportKind,
)
from thidua.documents.tallies import (
    ACTION_KIND_LABELS,
    ALERT_KIND,
    OTHER_KIND,
    ActionFacts,
    AwardCount,
    CampaignFacts,
    DeliveryCount,
    NominationFacts,
    NominationLine,
    OccurrenceFacts,
    TargetFacts,
    UnitFigure,
    UnitInfo,
    UnitNominations,
    UnitSubmissions,
    reaches,
)
from thidua.ledger.dossier import name_key
from thidua.ledger.registration import registered_targets, registered_units
from thidua.ledger.statuses import (
    ActionStatus,
    DeliveryStatus,
    NominationStatus,
    SubmissionState,
)
from thidua.registry import Registry
from thidua.store import campaign_rows
from thidua.store.models import Delivery, Nomination, Submission

#: The report's kind, period and counted facts have their own modules (`period`,
#: `tallies`); listed here for the callers of `gather_facts`.
__all__ = [
    "gather_facts",
]


#: The labels of `thidua.ledger.statuses`, capitalized for table headers: the report must
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
            1
            for n in nominations
            if n.unit_code == row.unit.code and n.status != NominationStatus.WITHDRAWN
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
        if milestone is None or n.status == NominationStatus.WITHDRAWN:
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
        owing = audience_owing(plan.campaign, registry, m, members=plan.participants)
        if not owing:
            continue
        suffix = f" {occ.label}" if occ.label else ""
        facts = OccurrenceFacts(m.key, occ.key, m.label + suffix, occ.opens, occ.due, len(owing))
        for code in owing:
            row = per_unit.setdefault(code, UnitSubmissions(_unit_info(registry, code)))
            row.expected += 1
            # A SubmissionState value names its counter.
            handed = by_key.get((m.key, occ.key, code))
            state = SubmissionState(handed) if handed else SubmissionState.PENDING
            if not handed and occ.due < today:
                state = SubmissionState.MISSING
            setattr(facts, state.value, getattr(facts, state.value) + 1)
            setattr(row, state.value, getattr(row, state.value) + 1)
            if state is SubmissionState.LATE:
                facts.late_units.append(code)
            elif state is SubmissionState.MISSING:
                facts.missing_units.append(code)
        out.append(facts)
    return out, list(per_unit.values())


def _award_names(spec: Campaign) -> dict[str, str]:
    """Award name by every key a nomination may carry: its code, its folded name."""
    names: dict[str, str] = {}
    for award in spec.awards:
        if award.code:
            names[award.code] = award.name
        names[name_key(award.name)] = award.name
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
        if status == NominationStatus.WITHDRAWN:
            facts.withdrawn += 1
            continue
        award_name = names.get(n.award, n.award)
        count = awards.setdefault(award_name, AwardCount(award_name))
        count.by_kind[str(n.nominee_kind)] += 1
        count.by_status[status] += 1
        unit = info.get(n.unit_code) or _unit_info(registry, n.unit_code)
        units.setdefault(unit.code, UnitNominations(unit)).by_status[status] += 1
        facts.by_status[status] += 1
        if status in (NominationStatus.SUBMITTED, NominationStatus.RESUBMITTED):
            facts.awaiting += 1
        if status == NominationStatus.ACCEPTED:
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
    """Per target (and year), each unit's latest figure in scope, and what units registered."""
    registered = registered_targets((s.unit_code, s) for s in submissions)
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
            facts.registered = registered_units(registered, target.code, year)
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
        return reaches(value, target.goal)
    return None if not base else reaches(value / base, target.goal)


def _delivery_facts(
    session: Session, code: str, period: Period, tz: ZoneInfo
) -> list[DeliveryCount]:
    kinds = {a.key: a.kind for a in campaign_rows.get_actions(session, campaign_code=code)}
    counts: dict[str, DeliveryCount] = {}
    rows = session.exec(select(Delivery).where(col(Delivery.campaign_code) == code))
    for d in rows:
        if not period.covers(_local(d.created_at, tz)):
            continue
        kind = _delivery_kind(d.action_key, kinds)
        count = counts.setdefault(kind, DeliveryCount(kind))
        status = str(d.status)
        if status == DeliveryStatus.SENT:
            count.sent += 1
        elif status == DeliveryStatus.FAILED_PERMANENT:
            count.failed_permanent += 1
        elif status == DeliveryStatus.FAILED_TRANSIENT:
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
    for record in campaign_rows.get_actions(session, campaign_code=code):
        if not period.covers(_local(record.scheduled_at, tz)):
            continue
        status = str(record.status)
        facts.by_status[status] += 1
        if status == ActionStatus.FAILED:
            facts.failed.append((record.title, record.error or ""))
    return facts
