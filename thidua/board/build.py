"""Building the status board: the store's rows joined with the compiled plan.

Pure: everything is joined with dicts, nothing here queries per unit, so `thidua
status` and the Prefect artifact show the same facts at the same cost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from thidua.board.rows import (
    AwardColumn,
    Board,
    Bound,
    Cell,
    Column,
    DigestMark,
    NominationCell,
    StoreRows,
    SubmissionRow,
    TargetCell,
    UnitRow,
    summarize,
)
from thidua.campaign.audience import owing, participants
from thidua.campaign.charges import tasks_for
from thidua.campaign.kinds import MilestoneKind, NomineeKind, Requirement
from thidua.campaign.plan import Plan, occurrence_label
from thidua.campaign.spec import Campaign, Milestone, Target
from thidua.errors import NominationError
from thidua.ledger.dossier import award_key
from thidua.ledger.failures import failing_first, group_failures
from thidua.ledger.quotas import KIND_ORDER, limits_for
from thidua.ledger.registration import (
    is_registered,
    registered_targets,
    registered_text,
    registered_units,
)
from thidua.ledger.statuses import SubmissionState
from thidua.registry import Registry, wants_digest

_SHORT_BY_KIND = {MilestoneKind.REVIEW: "Sơ kết", MilestoneKind.SUMMARY: "Tổng kết"}
_SHORT_BY_REQUIREMENT = {
    Requirement.IMPLEMENTING_PLAN: "Kế hoạch",
    Requirement.REPORT: "Báo cáo",
    Requirement.TARGET_FIGURES: "Số liệu",
    Requirement.NOMINATION_DOSSIER: "Hồ sơ",
    Requirement.REGISTRATION: "Đăng ký",
}


def build_board(
    rows: StoreRows,
    plan: Plan | None,
    registry: Registry | None,
    *,
    now: datetime,
    timezone: str = "Asia/Ho_Chi_Minh",
) -> Board:
    """The board from the store's rows and the compiled plan (None: the actions only)."""
    if plan is None or registry is None:
        board = Board(
            rows.code, rows.title, rows.status, now, [], [], [], [], rows.actions, {}, timezone
        )
        board.failures = group_failures(rows.failures, rows.actions, reached=rows.reached, names={})
        return board
    tz = ZoneInfo(timezone)
    spec = plan.campaign
    columns = board_columns(plan)
    members = plan.participants
    audiences = {
        c.id: set(owing(spec, registry, spec.milestone(c.milestone), members=members))
        for c in columns
    }
    codes = list(plan.participants)
    extra = set().union(*audiences.values()) - set(codes)
    codes += [u.code for u in registry if u.code in extra]
    failures = group_failures(
        rows.failures,
        rows.actions,
        reached=rows.reached,
        names={u.code: u.name for u in registry},
        order=codes,
    )
    codes = failing_first(codes, failures)
    awards, nominations = award_columns(spec, registry, codes, rows.nominations, members=members)
    units = unit_rows(
        codes, rows, plan, registry, columns, audiences, awards, nominations, now=now, tz=tz
    )
    summaries = {c.id: summarize(c, units) for c in columns}
    return Board(
        rows.code,
        rows.title,
        rows.status,
        now,
        columns,
        units,
        awards,
        list(spec.targets),
        rows.actions,
        summaries,
        timezone,
        failures,
    )


def unit_rows(
    codes: Iterable[str],
    rows: StoreRows,
    plan: Plan,
    registry: Registry,
    columns: list[Column],
    audiences: Mapping[str, Container[str]],
    awards: list[AwardColumn],
    nominations: Mapping[tuple[str, str], NominationCell],
    *,
    now: datetime,
    tz: ZoneInfo,
) -> list[UnitRow]:
    """The rows of `codes`, in that order: `rows` need hold only these units' facts
    (their submissions, reminders, digests), and `audiences` (by column id) those who owe
    each column; a page of the board (`thidua.board.page`) passes just its own units."""
    submitted = {(s.milestone, s.occurrence, s.unit): s for s in rows.submissions}
    day = now.astimezone(tz).date()
    dues = {(c.milestone, c.occurrence): c.due for c in columns}
    units = []
    # Each column's id once: `Column.id` builds a new string per call, one per unit and
    # column kept as the cells' keys (~60 bytes each on a 100,000-unit board).
    keyed = [(c.id, c) for c in columns]
    for code in codes:
        cells: dict[str, Cell | None] = {}
        for cid, c in keyed:
            cells[cid] = (
                _cell(c, code, submitted, rows, registry, day, tz)
                if code in audiences[cid]
                else None
            )
        unit = registry.unit(code) if code in registry else None
        units.append(
            UnitRow(
                code,
                unit.name if unit else code,
                cells,
                {a.key: nominations[(code, a.key)] for a in awards},
                {},
                tasks_for(plan.campaign, unit) if unit else [],
                (rows.digests.get(code) or DigestMark()) if wants_digest(registry, code) else None,
            )
        )
    _fill_targets(units, plan.campaign.targets, rows.submissions, dues)
    return units


def short_label(m: Milestone) -> str:
    """A milestone's short name for a column: “Báo cáo”, “Kế hoạch”, “Hồ sơ”, “Sơ kết”…"""
    return _SHORT_BY_KIND.get(m.kind) or _SHORT_BY_REQUIREMENT.get(m.requirement) or m.label


def board_columns(plan: Plan) -> list[Column]:
    """The occurrences units must submit something for, in due order."""
    wanted = [
        occ
        for occ in plan.occurrences
        if occ.milestone.requirement is not Requirement.NONE
        and occ.milestone.audience != "organizer"
    ]
    milestones = list(dict.fromkeys(occ.milestone.key for occ in wanted))
    shorts = {key: short_label(plan.campaign.milestone(key)) for key in milestones}
    clash = Counter(shorts.values())
    names = {key: s if clash[s] == 1 else f"{s} ({key})" for key, s in shorts.items()}
    columns = []
    for occ in sorted(wanted, key=lambda o: (o.due, milestones.index(o.milestone.key))):
        m = occ.milestone
        label = f"{names[m.key]} {occurrence_label(occ.key)}".strip()
        escalate_to = m.escalation.to if m.escalation else None
        columns.append(
            Column(m.key, occ.key, label, occ.opens, occ.due, escalate_to, m.is_required)
        )
    return columns


def award_columns(
    spec: Campaign,
    registry: Registry,
    codes: Iterable[str],
    counts: Mapping[tuple[str, str, str], int],
    *,
    everywhere: Mapping[tuple[str, str], int] | None = None,
    listed: Container[str] | None = None,
    members: tuple[str, ...] | None = None,
) -> tuple[list[AwardColumn], dict[tuple[str, str], NominationCell]]:
    """The award columns and each unit's cell, with the quota bounds of thidua.ledger.nominations.

    `codes` is walked once per award, in the board's order. `counts`: nominations by
    (unit, award key, nominee kind), of every unit with a cell;
    `everywhere`: the campaign's by (award key, nominee kind), summed from `counts` when
    None. `listed`: the units that get a cell (None: all of `codes`); the others are
    walked for the campaign-wide bounds only, and only for an award whose quota has a
    ratio (the one kind of bound that covers the whole campaign, `limits_for`).
    `members`: the campaign's participants, when the caller has them (the plan does).
    """
    if everywhere is None:
        summed: Counter[tuple[str, str]] = Counter()
        for (_, award_code, kind), n in counts.items():
            summed[(award_code, kind)] += n
        everywhere = summed
    overall = everywhere

    def used(unit: str | None, award: str, kinds: Iterable[str]) -> int:
        if unit is None:
            return sum(overall.get((award, str(k)), 0) for k in kinds)
        return sum(counts.get((unit, award, str(k)), 0) for k in kinds)

    def kinds_label(kinds: frozenset[NomineeKind]) -> str:
        return (
            ""
            if len(kinds) == len(KIND_ORDER)
            else ", ".join(k.label for k in KIND_ORDER if k in kinds)
        )

    every_kind = [str(k) for k in KIND_ORDER]
    if members is None:  # once: limits_for would compute them per unit
        members = participants(spec, registry)
    shorts = [a.name.split(" của ")[0].strip() for a in spec.awards]
    clash = Counter(shorts)
    columns: list[AwardColumn] = []
    cells: dict[tuple[str, str], NominationCell] = {}
    for award, short in zip(spec.awards, shorts, strict=True):
        key = award_key(award)
        totals: dict[Any, Bound] = {}
        campaign_wide = award.quota is not None and award.quota.max_ratio is not None
        for code in codes:
            cell = listed is None or code in listed
            if not cell and not campaign_wide:
                continue
            try:
                limits = (
                    limits_for(spec, registry, award, code, members=members)
                    if code in registry
                    else []
                )
            except NominationError:  # no headcount to apply a ratio to: shown as a bare count
                limits = []
            nominated = NominationCell(used(code, key, every_kind)) if cell else None
            bounds = []
            for limit in limits:
                if limit.unit is None:
                    used_everywhere = used(None, key, limit.kinds)
                    bound = Bound(kinds_label(limit.kinds), used_everywhere, limit.limit)
                    totals.setdefault(limit.key, bound)
                elif nominated is not None:
                    bound = Bound(
                        kinds_label(limit.kinds), used(limit.unit, key, limit.kinds), limit.limit
                    )
                    if not bound.kinds:
                        nominated.limit = limit.limit
                    else:
                        bounds.append(bound)
            if nominated is not None:
                nominated.bounds = tuple(bounds)
                cells[(code, key)] = nominated
        label = short if clash[short] == 1 else award.name
        columns.append(AwardColumn(key, label, award.name, tuple(totals.values())))
    return columns, cells


def _cell(
    column: Column,
    code: str,
    submitted: dict[tuple[str, str, str], SubmissionRow],
    rows: StoreRows,
    registry: Registry,
    today: date,
    tz: ZoneInfo,
) -> Cell:
    key = (column.milestone, column.occurrence)
    sub = submitted.get((*key, code))
    escalated = _escalated(column, code, sub, rows.escalations.get(key, {}), registry)
    pending = SubmissionState.PENDING
    cell = Cell(pending, reminders=rows.reminders.get((*key, code), 0), escalated=escalated)
    if sub is None:
        overdue = today > column.due and column.required
        cell.state = SubmissionState.MISSING if overdue else pending
        return cell
    day = sub.submitted_at.astimezone(tz).date()
    cell.submitted_on = day
    cell.state = SubmissionState(str(sub.timing))
    if cell.state is SubmissionState.LATE:
        cell.days = max((day - column.due).days, 0) or None
    elif cell.state is SubmissionState.EARLY:
        cell.days = max((column.opens - day).days, 0) or None
    return cell


def _escalated(
    column: Column,
    code: str,
    sub: SubmissionRow | None,
    sent: dict[str, datetime],
    registry: Registry,
) -> bool:
    """Whether an escalation naming this unit went out: to its supervisor or group head,
    (or the organizer) while the unit had still not submitted."""
    if not sent:
        return False
    if column.escalate_to == "supervisor":
        sup = registry.supervisor(code) if code in registry else None
        whens = [sent[sup.code]] if sup is not None and sup.code in sent else []
    elif column.escalate_to == "group_head":
        heads = registry.group_heads(code) if code in registry else []
        whens = [sent[h.code] for h in heads if h.code in sent]
    else:
        whens = list(sent.values())
    if not whens:
        return False
    return sub is None or sub.submitted_at > min(whens)


def _fill_targets(
    units: list[UnitRow],
    targets: Iterable[Target],
    submissions: list[SubmissionRow],
    dues: dict[tuple[str, str], date],
) -> None:
    """Each unit's latest figure for each target (latest occurrence, then latest submission)."""
    targets = list(targets)
    if not targets:
        return
    latest: dict[tuple[str, str], SubmissionRow] = {}
    order = sorted(
        (s for s in submissions if s.figures),
        key=lambda s: (dues.get((s.milestone, s.occurrence), date.min), s.submitted_at),
    )
    for s in order:
        for target_code, figure in s.figures.items():
            if not is_registered(figure):  # a registration is a commitment, not a result
                latest[(s.unit, target_code)] = s
    registered = registered_targets((s.unit, s) for s in submissions)
    goals = {t.code: registered_units(registered, t.code) for t in targets}
    for u in units:
        for t in targets:
            cell = TargetCell(goal=t.goal, ratio=bool(t.denominator))
            cell.registered = registered_text(t, goals[t.code].get(u.code))
            sub = latest.get((u.code, t.code))
            if sub is not None:
                figure = sub.figures[t.code]
                value, base = _figure(figure)
                cell.value, cell.base = value, base
                cell.occurrence = sub.occurrence
                if value is not None and not t.denominator:
                    cell.attained = value
                elif value is not None and base:
                    cell.attained = value / base
            u.targets[t.code] = cell


def _figure(figure: Any) -> tuple[float | None, float | None]:
    """(value, base) of a stored figure: {"value", "base"}, or a bare number."""
    if isinstance(figure, dict):
        return _float(figure.get("value")), _float(figure.get("base"))
    return _float(figure), None


def _float(x: Any) -> float | None:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else None
