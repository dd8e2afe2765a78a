"""The status board of a campaign: each unit × milestone occurrence, nominations, targets.

Pure: built from rows read from the store (`thidua.board.view.read_rows`) and the
compiled plan, so `thidua status` and the Prefect artifact (`tasks/board.py`) show
the same facts. Everything is joined with dicts; nothing here queries per unit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from thidua.campaign.plan import ActionKind, Plan, occurrence_label, participants
from thidua.campaign.spec import (
    Campaign,
    Milestone,
    MilestoneKind,
    NomineeKind,
    Requirement,
    Target,
)
from thidua.ledger.failures import FailureRow, UnitFailures, failing_first, group_failures
from thidua.registry.units import Registry

#: Notices to the unit itself about an occurrence it still owes; counted as reminders.
REMINDER_KINDS = (ActionKind.REMINDER.value, ActionKind.DUE.value, ActionKind.OVERDUE.value)

_SHORT_BY_KIND = {MilestoneKind.REVIEW: "Sơ kết", MilestoneKind.SUMMARY: "Tổng kết"}
_SHORT_BY_REQUIREMENT = {
    Requirement.IMPLEMENTING_PLAN: "Kế hoạch",
    Requirement.REPORT: "Báo cáo",
    Requirement.TARGET_FIGURES: "Số liệu",
    Requirement.NOMINATION_DOSSIER: "Hồ sơ",
}

# --- what the store holds (filled by thidua.board.view.read_rows) ----------------------


@dataclass
class ActionLine:
    """One action of the campaign as the store recorded it, with its delivery counts."""

    scheduled_at: datetime
    title: str
    status: str
    recipients: int
    sent: int
    failed: int
    error: str | None
    key: str = ""
    milestone: str = ""
    occurrence: str = ""
    kind: str = ""


@dataclass(frozen=True, slots=True)
class SubmissionRow:
    """The columns of a Submission the board reads."""

    milestone: str
    occurrence: str
    unit: str
    submitted_at: datetime
    timing: str
    figures: dict[str, Any]


@dataclass
class StoreRows:
    """Everything the board needs from the store about one campaign."""

    code: str
    title: str
    status: str
    actions: list[ActionLine] = field(default_factory=list)
    #: (milestone, occurrence, unit) → how many reminder actions reached the unit.
    reminders: dict[tuple[str, str, str], int] = field(default_factory=dict)
    #: (milestone, occurrence) → {recipient unit: when the escalation was first sent to it}.
    escalations: dict[tuple[str, str], dict[str, datetime]] = field(default_factory=dict)
    submissions: list[SubmissionRow] = field(default_factory=list)
    #: (nominating unit, award key, nominee kind) → nominations counting against quotas.
    nominations: dict[tuple[str, str, str], int] = field(default_factory=dict)
    #: Failed deliveries, and the (unit, action key) pairs some channel did deliver.
    failures: list[FailureRow] = field(default_factory=list)
    reached: set[tuple[str, str]] = field(default_factory=set)


# --- the board ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Column:
    """One milestone occurrence that asks units for a submission."""

    milestone: str
    occurrence: str
    label: str  # "Báo cáo năm 2027"
    opens: date
    due: date
    escalate_to: str | None  # Escalation.to of the milestone, if it escalates
    # An optional milestone (nominating) is not owed: a unit that did not take it up is
    # not "thiếu" after the deadline.
    required: bool = True

    @property
    def id(self) -> str:
        return f"{self.milestone}/{self.occurrence or '-'}"


@dataclass(slots=True)
class Cell:
    """Where one unit stands on one occurrence."""

    state: str  # on_time | late | early | missing | pending
    submitted_on: date | None = None
    days: int | None = None  # days late (late) or before the window opened (early)
    reminders: int = 0
    escalated: bool = False

    @property
    def label(self) -> str:
        """The main text: “✓ 20/5”, “trễ 2 ngày”, “sớm 1 ngày”, “thiếu” or “—”."""
        if self.state == "on_time" and self.submitted_on is not None:
            return f"✓ {self.submitted_on.day}/{self.submitted_on.month}"
        if self.state in ("late", "early"):
            word = "trễ" if self.state == "late" else "sớm"
            return f"{word} {self.days} ngày" if self.days else word
        return "thiếu" if self.state == "missing" else "—"

    @property
    def notes(self) -> list[str]:
        """Reminders sent and escalation, as short Vietnamese notes."""
        notes = [f"nhắc {self.reminders}"] if self.reminders else []
        return notes + (["báo cấp trên"] if self.escalated else [])

    def text(self, sep: str = " · ") -> str:
        return sep.join([self.label, *self.notes])

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "text": self.text(),
            "submitted_on": self.submitted_on.isoformat() if self.submitted_on else None,
            "days": self.days,
            "reminders": self.reminders,
            "escalated": self.escalated,
        }


@dataclass(frozen=True, slots=True)
class Bound:
    """One quota bound and how much of it is used: “tập thể 1/2”."""

    kinds: str  # "" when it covers every nominee kind, else “tập thể” / “cá nhân, hộ gia đình”
    count: int
    limit: int

    @property
    def over(self) -> bool:
        return self.count > self.limit

    @property
    def text(self) -> str:
        return f"{self.kinds} {self.count}/{self.limit}".strip() + (" ✗" if self.over else "")

    def as_dict(self) -> dict[str, Any]:
        return {"kinds": self.kinds, "count": self.count, "limit": self.limit, "over": self.over}


@dataclass(frozen=True, slots=True)
class AwardColumn:
    """An award form as a board column: the key nominations are stored under and a short name."""

    key: str
    label: str
    name: str
    #: Bounds across the whole campaign (“không quá 30%” of the units), with their use.
    totals: tuple[Bound, ...] = ()


@dataclass(slots=True)
class NominationCell:
    """A unit's nominations for one award, against the unit's own bounds."""

    count: int
    limit: int | None = None  # the unit's bound on every nominee kind, if it has one
    bounds: tuple[Bound, ...] = ()  # the unit's other bounds (by nominee kind)

    @property
    def over(self) -> bool:
        return (self.limit is not None and self.count > self.limit) or any(
            b.over for b in self.bounds
        )

    @property
    def main(self) -> str:
        """The count against the unit's own limit: “1/1”, “3/2 ✗”, or the bare count."""
        if self.limit is None:
            return str(self.count)
        return f"{self.count}/{self.limit}" + (" ✗" if self.count > self.limit else "")

    @property
    def text(self) -> str:
        """`main` and the bounds by nominee kind: “2 · cá nhân, hộ gia đình 2/6”."""
        return " · ".join([self.main, *(b.text for b in self.bounds)])

    def as_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "limit": self.limit,
            "bounds": [b.as_dict() for b in self.bounds],
            "over": self.over,
        }


@dataclass(slots=True)
class TargetCell:
    """The latest figure a unit reported for a target, against the target's goal."""

    value: float | None = None
    base: float | None = None
    occurrence: str | None = None
    attained: float | None = None  # value/base for a ratio target, value otherwise
    goal: float = 0.0
    ratio: bool = True

    @property
    def met(self) -> bool | None:
        return None if self.attained is None else self.attained + 1e-9 >= self.goal

    @property
    def text(self) -> str:
        """“85% / 100% ✗”, or “12 / 10 ✓” for a count target; “—” without figures."""
        if self.value is None:
            return "—"
        if self.attained is None:
            return f"{_number(self.value)}/? (thiếu mẫu số)"
        fmt = _percent if self.ratio else _number
        return f"{fmt(self.attained)} / {fmt(self.goal)} {'✓' if self.met else '✗'}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "base": self.base,
            "occurrence": self.occurrence,
            "attained": self.attained,
            "goal": self.goal,
            "met": self.met,
            "text": self.text,
        }


@dataclass
class UnitRow:
    """One unit's row across the whole board."""

    code: str
    name: str
    cells: dict[str, Cell | None]  # by Column.id; None when the milestone does not ask it
    nominations: dict[str, NominationCell]  # by AwardColumn.key
    targets: dict[str, TargetCell]  # by Target.code


@dataclass
class ColumnSummary:
    """How many units of a column submitted, late, are missing."""

    expected: int = 0
    submitted: int = 0
    late: int = 0
    early: int = 0
    missing: int = 0

    @property
    def text(self) -> str:
        """“3/4 (trễ 2)”: submitted of expected, and how many out of time."""
        out = [f"trễ {self.late}"] if self.late else []
        out += [f"sớm {self.early}"] if self.early else []
        return f"{self.submitted}/{self.expected}" + (f" ({', '.join(out)})" if out else "")


@dataclass
class Board:
    """The whole status board of a campaign at one moment."""

    code: str
    title: str
    status: str
    now: datetime
    columns: list[Column]
    units: list[UnitRow]
    awards: list[AwardColumn]
    targets: list[Target]
    actions: list[ActionLine]
    summaries: dict[str, ColumnSummary] = field(default_factory=dict)
    timezone: str = "Asia/Ho_Chi_Minh"
    #: Units a notice did not reach, with why; listed first everywhere.
    failures: list[UnitFailures] = field(default_factory=list)

    def unit(self, code: str) -> UnitRow | None:
        """The row of unit `code` (any case), or None."""
        wanted = code.strip().upper()
        return next((u for u in self.units if u.code.upper() == wanted), None)

    def only(self, code: str) -> Board:
        """The same board restricted to one unit (an existing one: see `unit`)."""
        row = self.unit(code)
        units = [row] if row is not None else []
        summaries = {c.id: summarize(c, units) for c in self.columns}
        return Board(
            self.code,
            self.title,
            self.status,
            self.now,
            self.columns,
            units,
            self.awards,
            self.targets,
            self.actions,
            summaries,
            self.timezone,
            [f for f in self.failures if f.unit.upper() == code.strip().upper()],
        )

    def as_dict(self) -> dict[str, Any]:
        """The board as plain JSON-able data, for scripts (`thidua status --format json`)."""
        from thidua.board.view import effective_status

        return {
            "campaign": {"code": self.code, "title": self.title, "status": self.status},
            "now": self.now.isoformat(),
            "failures": [f.as_dict(ZoneInfo(self.timezone)) for f in self.failures],
            "columns": [
                {
                    "id": c.id,
                    "milestone": c.milestone,
                    "occurrence": c.occurrence,
                    "label": c.label,
                    "opens": c.opens.isoformat(),
                    "due": c.due.isoformat(),
                    "expected": self.summaries[c.id].expected,
                    "submitted": self.summaries[c.id].submitted,
                    "late": self.summaries[c.id].late,
                    "early": self.summaries[c.id].early,
                    "missing": self.summaries[c.id].missing,
                }
                for c in self.columns
            ],
            "awards": [
                {
                    "key": a.key,
                    "label": a.label,
                    "name": a.name,
                    "totals": [b.as_dict() for b in a.totals],
                }
                for a in self.awards
            ],
            "targets": [
                {"code": t.code, "description": t.description, "goal": t.goal} for t in self.targets
            ],
            "units": [
                {
                    "code": u.code,
                    "name": u.name,
                    "cells": {k: c.as_dict() if c else None for k, c in u.cells.items()},
                    "nominations": {k: n.as_dict() for k, n in u.nominations.items()},
                    "targets": {k: t.as_dict() for k, t in u.targets.items()},
                }
                for u in self.units
            ],
            "actions": [
                {
                    "key": a.key,
                    "title": a.title,
                    "scheduled_at": a.scheduled_at.isoformat(),
                    "status": effective_status(a.status, a.scheduled_at, self.now),
                    "recipients": a.recipients,
                    "sent": a.sent,
                    "failed": a.failed,
                    "error": a.error,
                }
                for a in self.actions
            ],
        }

    def table_rows(self) -> list[dict[str, str]]:
        """One row per unit with Vietnamese column names: the Prefect table artifact."""
        rows = []
        tz = ZoneInfo(self.timezone)
        reasons = {f.unit: f.reason(tz) for f in self.failures}
        for u in self.units:
            row = {"Mã": u.code, "Đơn vị": u.name}
            if reasons:  # failing units come first (build_board); the column says why
                row["Lỗi gửi"] = reasons.get(u.code, "")
            for c in self.columns:
                cell = u.cells.get(c.id)
                row[c.label] = cell.text() if cell else ""
            for a in self.awards:
                row[f"{a.label} (đề nghị)"] = u.nominations[a.key].text
            for t in self.targets:
                row[f"Chỉ tiêu {t.code}"] = u.targets[t.code].text
            rows.append(row)
        return rows


# --- building ----------------------------------------------------------------------


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
    audiences = {c.id: _audience(spec.milestone(c.milestone), plan, registry) for c in columns}
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
    submitted = {(s.milestone, s.occurrence, s.unit): s for s in rows.submissions}
    today = now.astimezone(tz).date()
    awards, nominations = _nominations(spec, registry, codes, rows.nominations)
    dues = {(c.milestone, c.occurrence): c.due for c in columns}
    units = []
    for code in codes:
        cells: dict[str, Cell | None] = {}
        for c in columns:
            cells[c.id] = (
                _cell(c, code, submitted, rows, registry, today, tz)
                if code in audiences[c.id]
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
            )
        )
    _fill_targets(units, spec.targets, rows.submissions, dues)
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


def summarize(column: Column, units: Iterable[UnitRow]) -> ColumnSummary:
    """Counts of one column over `units`."""
    counts = Counter(c.state for u in units if (c := u.cells.get(column.id)) is not None)
    submitted = counts["on_time"] + counts["late"] + counts["early"]
    return ColumnSummary(
        expected=sum(counts.values()),
        submitted=submitted,
        late=counts["late"],
        early=counts["early"],
        missing=counts["missing"],
    )


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


def _nominations(
    spec: Campaign,
    registry: Registry,
    codes: list[str],
    counts: dict[tuple[str, str, str], int],
) -> tuple[list[AwardColumn], dict[tuple[str, str], NominationCell]]:
    """The award columns and each unit's cell, with the quota bounds of thidua.ledger.nominations."""
    from thidua.ledger.nominations import KIND_ORDER, NominationError, award_key, limits_for

    everywhere: Counter[tuple[str, str]] = Counter()
    for (_, key, kind), n in counts.items():
        everywhere[(key, kind)] += n

    def used(unit: str | None, award: str, kinds: Iterable[str]) -> int:
        if unit is None:
            return sum(everywhere[(award, str(k))] for k in kinds)
        return sum(counts.get((unit, award, str(k)), 0) for k in kinds)

    def kinds_label(kinds: frozenset[NomineeKind]) -> str:
        return (
            ""
            if len(kinds) == len(KIND_ORDER)
            else ", ".join(k.label for k in KIND_ORDER if k in kinds)
        )

    every_kind = [str(k) for k in KIND_ORDER]
    members = participants(spec, registry)
    shorts = [a.name.split(" của ")[0].strip() for a in spec.awards]
    clash = Counter(shorts)
    columns: list[AwardColumn] = []
    cells: dict[tuple[str, str], NominationCell] = {}
    for award, short in zip(spec.awards, shorts, strict=True):
        key = award_key(award)
        totals: dict[Any, Bound] = {}
        for code in codes:
            cell = NominationCell(used(code, key, every_kind))
            try:
                limits = (
                    limits_for(spec, registry, award, code, members=members)
                    if code in registry
                    else []
                )
            except NominationError:  # no headcount to apply a ratio to: shown as a bare count
                limits = []
            bounds = []
            for limit in limits:
                bound = Bound(
                    kinds_label(limit.kinds), used(limit.unit, key, limit.kinds), limit.limit
                )
                if limit.unit is None:
                    totals.setdefault(limit.key, bound)
                elif not bound.kinds:
                    cell.limit = limit.limit
                else:
                    bounds.append(bound)
            cell.bounds = tuple(bounds)
            cells[(code, key)] = cell
        label = short if clash[short] == 1 else award.name
        columns.append(AwardColumn(key, label, award.name, tuple(totals.values())))
    return columns, cells


def _audience(m: Milestone, plan: Plan, registry: Registry) -> set[str]:
    """Units that owe the milestone."""
    if m.audience == "participants":
        return set(plan.participants)
    out: set[str] = set()
    for code in m.audience:
        if code in registry.groups:
            out.update(u.code for u in registry.members(code))
        elif code in registry:
            out.add(registry.unit(code).code)
    return out


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
    cell = Cell("pending", reminders=rows.reminders.get((*key, code), 0), escalated=escalated)
    if sub is None:
        cell.state = "missing" if today > column.due and column.required else "pending"
        return cell
    day = sub.submitted_at.astimezone(tz).date()
    cell.submitted_on = day
    timing = str(sub.timing)
    cell.state = timing if timing in ("late", "early") else "on_time"
    if cell.state == "late":
        cell.days = max((day - column.due).days, 0) or None
    elif cell.state == "early":
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
        for target_code in s.figures:
            latest[(s.unit, target_code)] = s
    for u in units:
        for t in targets:
            cell = TargetCell(goal=t.goal, ratio=bool(t.denominator))
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


def _number(x: float) -> str:
    """12 → “12”, 12.5 → “12,5” (Vietnamese decimal comma)."""
    rounded = round(x, 1)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.1f}".replace(".", ",")


def _percent(x: float) -> str:
    return f"{_number(x * 100)}%"
