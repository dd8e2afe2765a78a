"""The status board of a campaign, as data: the store's rows it is built from, and each
unit × milestone occurrence, nominations, targets.

`thidua.board.read` fills `StoreRows`, `thidua.board.build` joins them with the plan
into a `Board`, `thidua.board.view` draws it for a terminal and `Board.table_rows` for
the Prefect artifact (`tasks/board.py`), so both show the same facts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from thidua.campaign.spec import Target
from thidua.ledger.failures import FailureRow, UnitFailures
from thidua.ledger.statuses import DeliveryStatus, SubmissionState, effective_status

# --- what the store holds (filled by thidua.board.read.read_rows) ----------------------


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
    #: unit → its last weekly digest (`thidua.ledger.digest.last_digests`)
    digests: dict[str, DigestMark] = field(default_factory=dict)


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

    state: SubmissionState
    submitted_on: date | None = None
    days: int | None = None  # days late (late) or before the window opened (early)
    reminders: int = 0
    escalated: bool = False

    @property
    def label(self) -> str:
        """The main text: “✓ 20/5”, “trễ hạn 2 ngày”, “sớm 1 ngày”, “quá hạn chưa nộp” or
        “—” (not due yet)."""
        if self.state is SubmissionState.ON_TIME and self.submitted_on is not None:
            return f"✓ {self.submitted_on.day}/{self.submitted_on.month}"
        if self.state in (SubmissionState.LATE, SubmissionState.EARLY):
            word = self.state.label
            return f"{word} {self.days} ngày" if self.days else word
        return self.state.label if self.state is SubmissionState.MISSING else "—"

    @property
    def notes(self) -> list[str]:
        """Reminders sent and escalation, as short Vietnamese notes."""
        notes = [f"nhắc {self.reminders}"] if self.reminders else []
        return notes + (["báo cấp trên"] if self.escalated else [])

    def text(self, sep: str = " · ") -> str:
        return sep.join([self.label, *self.notes])

    def as_dict(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
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
    registered: str = ""  # “đăng ký 90%”: the unit's registration (thidua.ledger.registration)

    @property
    def met(self) -> bool | None:
        return None if self.attained is None else self.attained + 1e-9 >= self.goal

    @property
    def text(self) -> str:
        """“85% / 100% ✗”, or “12 / 10 ✓” for a count target; “—” without figures."""
        registered = f" ({self.registered})" if self.registered else ""
        if self.value is None:
            return "—" + registered
        if self.attained is None:
            return f"{_number(self.value)}/? (thiếu mẫu số){registered}"
        fmt = _percent if self.ratio else _number
        return f"{fmt(self.attained)} / {fmt(self.goal)} {'✓' if self.met else '✗'}{registered}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "base": self.base,
            "occurrence": self.occurrence,
            "attained": self.attained,
            "goal": self.goal,
            "met": self.met,
            "registered": self.registered,
            "text": self.text,
        }


@dataclass(frozen=True)
class DigestMark:
    """A unit on the weekly digest (no separate reminders), and its last digest if any."""

    week: str | None = None  # ISO week, “2026-W50”
    status: str | None = None  # a DeliveryStatus value
    at: datetime | None = None

    def text(self, tz: ZoneInfo) -> str:
        """“bản tin tuần (gần nhất: tuần 50 năm 2026, đã gửi 08:00 07/12/2026)”."""
        if self.week is None or self.status is None:
            return "bản tin tuần (chưa gửi bản tin nào)"
        year, _, week = self.week.partition("-W")
        last = f"tuần {int(week)} năm {year}, {DeliveryStatus(self.status).label}"
        if self.at is not None:
            local = self.at.astimezone(tz)
            last += f" {local:%H:%M %d/%m/%Y}"
        return f"bản tin tuần (gần nhất: {last})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "weekly": True,
            "last_week": self.week,
            "last_status": self.status,
            "last_at": self.at.isoformat() if self.at else None,
        }


@dataclass
class UnitRow:
    """One unit's row across the whole board."""

    code: str
    name: str
    cells: dict[str, Cell | None]  # by Column.id; None when the milestone does not ask it
    nominations: dict[str, NominationCell]  # by AwardColumn.key
    targets: dict[str, TargetCell]  # by Target.code
    #: what the plan charges the unit with (its responsibilities), in the plan's order
    tasks: list[str] = field(default_factory=list)
    #: set when the unit takes the weekly digest instead of separate reminders
    digest: DigestMark | None = None


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
        """“3/4 (trễ hạn 2)”: submitted of expected, and how many out of time."""
        out = [f"{SubmissionState.LATE.label} {self.late}"] if self.late else []
        out += [f"{SubmissionState.EARLY.label} {self.early}"] if self.early else []
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
    #: A page of the board (`thidua.board.page`): how many units it counts, of which
    #: `units` holds the first rows only, and whether any of them takes the weekly digest
    #: (the table's digest column). None: `units` is the whole board.
    total: int | None = None
    weekly: bool | None = None

    @property
    def unit_count(self) -> int:
        """How many units the board counts, listed or not."""
        return len(self.units) if self.total is None else self.total

    def unit(self, code: str) -> UnitRow | None:
        """The row of unit `code` (any case), or None."""
        wanted = code.strip().upper()
        return next((u for u in self.units if u.code.upper() == wanted), None)

    def only(self, code: str) -> Board:
        """The same board restricted to one unit (an existing one: see `unit`)."""
        row = self.unit(code)
        return self.restrict([row.code] if row is not None else [])

    def restrict(self, codes: Iterable[str]) -> Board:
        """The same board with only the rows (and failures) of `codes`, summaries recounted."""
        wanted = {c.strip().upper() for c in codes}
        units = [u for u in self.units if u.code.upper() in wanted]
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
            [f for f in self.failures if f.unit.upper() in wanted],
        )

    def as_dict(self) -> dict[str, Any]:
        """The board as plain JSON-able data, for scripts (`thidua status --format json`)."""
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
                    "tasks": u.tasks,
                    "digest": u.digest.as_dict() if u.digest else None,
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

    def table_rows(self, limit: int | None = None) -> list[dict[str, str]]:
        """One row per unit with Vietnamese column names: the Prefect table artifact.

        With `limit`, a board of more units lists the first `limit` (failing units lead,
        `build_board`) and ends with one row counting the others and saying where they are:
        a table of 100,000 rows held ~2.4 KB of memory per unit in the worker and posted tens
        of megabytes to Prefect on every action, for a table no one scrolls."""
        rows = []
        tz = ZoneInfo(self.timezone)
        reasons = {f.unit: f.reason(tz) for f in self.failures}
        # Once, not per row: asked per row it made the table quadratic (hours at 100,000 units).
        digests = any(unit.digest for unit in self.units) if self.weekly is None else self.weekly
        shown = self.units if limit is None else self.units[:limit]
        for u in shown:
            row = {"Mã": u.code, "Đơn vị": u.name}
            if reasons:  # failing units come first (build_board); the column says why
                row["Lỗi gửi"] = reasons.get(u.code, "")
            if digests:
                row["Bản tin tuần"] = u.digest.text(tz) if u.digest else ""
            for c in self.columns:
                cell = u.cells.get(c.id)
                row[c.label] = cell.text() if cell else ""
            for a in self.awards:
                row[f"{a.label} (đề nghị)"] = u.nominations[a.key].text
            for t in self.targets:
                row[f"Chỉ tiêu {t.code}"] = u.targets[t.code].text
            rows.append(row)
        if len(shown) < self.unit_count:
            rows.append(
                {
                    "Mã": "…",
                    "Đơn vị": f"{self.unit_count - len(shown)} đơn vị khác không liệt kê ở đây "
                    f"(bảng chỉ liệt kê {len(shown)} đơn vị, đơn vị gửi lỗi trước): xem đủ bằng "
                    f"lệnh thidua status {self.code} hoặc bảng theo dõi trên cổng thi đua",
                }
            )
        return rows


def summarize(column: Column, units: Iterable[UnitRow]) -> ColumnSummary:
    """Counts of one column over `units`."""
    counts = Counter(c.state for u in units if (c := u.cells.get(column.id)) is not None)
    submitted = sum(n for state, n in counts.items() if state.submitted)
    return ColumnSummary(
        expected=sum(counts.values()),
        submitted=submitted,
        late=counts[SubmissionState.LATE],
        early=counts[SubmissionState.EARLY],
        missing=counts[SubmissionState.MISSING],
    )


def _number(x: float) -> str:
    """12 → “12”, 12.5 → “12,5” (Vietnamese decimal comma)."""
    rounded = round(x, 1)
    if rounded == int(rounded):
        return str(int(rounded))
    return f"{rounded:.1f}".replace(".", ",")


def _percent(x: float) -> str:
    return f"{_number(x * 100)}%"
