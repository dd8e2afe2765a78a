"""A page of the status board: the rows a table lists, and counts over every unit.

The Prefect artifact (`thidua/tasks/board.py`) lists at most `limit` units (failing units
first, then the board's order) and a row counting the others. Building the whole board
for it (`build_board`) made a `UnitRow` with a cell per column for every unit, and read a
record per submission and reminder, to publish a few thousand rows: ~3.5 KB per unit at
its peak, 350 MB at 100,000 units with four columns (bench/board_memory.py), at the end
of every action. Here only the listed units get a row, and only their facts are read from
the store (`read_units`); what the page shows about the others is counted: each column's
summary from the submissions streamed from the store against the milestone's audience
from the plan, the campaign-wide nomination bounds from counts in SQL. What stays per unit
is one set of the participants' codes (shared by every milestone addressed to them, ~42 B
a unit), held while the page is built; the rest is bounded by the rows listed and the
failed deliveries.

The page is `build_board`'s board cut to its first `limit` rows: the same rows, in the same
order, with the same text, summaries and failures (tests/test_board_page.py compares them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container, Iterable, Iterator
from datetime import date, datetime
from itertools import islice
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from thidua.board.build import award_columns, board_columns, unit_rows
from thidua.board.read import nomination_totals, read_head, read_units, submission_states
from thidua.board.rows import Board, Column, ColumnSummary, StoreRows
from thidua.campaign.audience import owing
from thidua.campaign.plan import Plan
from thidua.ledger.failures import group_failures
from thidua.ledger.statuses import SubmissionState
from thidua.registry import Registry, wants_digest

if TYPE_CHECKING:
    from sqlmodel import Session


class _AllBut(Container[str]):
    """The participants but one unit (the organizer, which owes itself nothing), tested
    against the one set of the participants instead of a copy of it per milestone."""

    def __init__(self, members: frozenset[str], left_out: str) -> None:
        self.members, self.left_out = members, left_out

    def __contains__(self, code: object) -> bool:
        return code != self.left_out and code in self.members


class Audiences:
    """Who owes each column (`owing`), as `build_board` finds them, without a set per
    column: one set of the participants for every milestone that addresses them all, a
    set of its own for any other; and the units owing something that do not take part
    (they get rows after the participants, in registry order)."""

    def __init__(self, plan: Plan, registry: Registry, columns: list[Column]) -> None:
        spec = plan.campaign
        members = plan.participants
        everyone = frozenset(members)
        self.by_column: dict[str, Container[str]] = {}
        self.sizes: dict[str, int] = {}
        outside: set[str] = set()
        by_milestone: dict[str, tuple[Container[str], int]] = {}
        for c in columns:
            if c.milestone not in by_milestone:
                found = owing(spec, registry, spec.milestone(c.milestone), members=members)
                outside.update(code for code in found if code not in everyone)
                by_milestone[c.milestone] = _container(found, everyone, spec.organizer)
            self.by_column[c.id], self.sizes[c.id] = by_milestone[c.milestone]
        self.participants = members
        self.extra = [u.code for u in registry if u.code in outside] if outside else []

    @property
    def total(self) -> int:
        """How many units the board has a row for."""
        return len(self.participants) + len(self.extra)

    def codes(self) -> Iterator[str]:
        """Every unit with a row, in the board's order before failing units are moved up."""
        yield from self.participants
        yield from self.extra


class _BoardOrder:
    """Every unit with a row in the board's order (`failing_first`), walked anew each time
    without a list of them: the failing ones (`order`, in the board's order), then the rest."""

    def __init__(self, order: list[str], failing: Container[str], audiences: Audiences) -> None:
        self.order, self.failing, self.audiences = order, failing, audiences

    def __iter__(self) -> Iterator[str]:
        yield from self.order
        yield from (c for c in self.audiences.codes() if c not in self.failing)


def _container(
    found: tuple[str, ...], everyone: frozenset[str], organizer: str
) -> tuple[Container[str], int]:
    """`found` as a membership test and its number of distinct units."""
    # owing() is the participants but the organizer for a milestone addressed to them
    # (and its codes are distinct: `expand`, `participants`): then the shared set serves.
    whole = len(everyone) - (organizer in everyone)
    if len(found) == whole and all(code in everyone for code in found):
        return _AllBut(everyone, organizer), whole
    distinct = frozenset(found)
    return distinct, len(distinct)


def page_board(
    session: Session,
    *,
    code: str,
    title: str,
    plan: Plan,
    registry: Registry,
    now: datetime,
    limit: int,
    timezone: str = "Asia/Ho_Chi_Minh",
) -> Board:
    """The board of campaign `code` with the rows of its first `limit` units only (failing
    units first) and counts over all of them (`Board.total`, the summaries); `title`
    names a campaign not recorded in the store yet (then nothing is read but the plan)."""
    tz = ZoneInfo(timezone)
    rows = read_head(session, code=code)
    recorded = rows is not None
    if rows is None:
        rows = StoreRows(code, title, "active")
    spec = plan.campaign
    columns = board_columns(plan)
    audiences = Audiences(plan, registry, columns)
    failing = {f.unit for f in rows.failures}
    # Failing units' rank in the board's order, as `group_failures` and `failing_first`
    # take it from the whole list of codes.
    order = [c for c in audiences.codes() if c in failing] if failing else []
    names = {c: u.name for c in failing if c in registry and (u := registry.unit(c)).code == c}
    failures = group_failures(
        rows.failures, rows.actions, reached=rows.reached, names=names, order=order
    )

    ordered = _BoardOrder(order, failing, audiences)
    page = list(islice(ordered, limit))
    if recorded:
        read_units(session, rows, page)
    awards, nominations = award_columns(
        spec,
        registry,
        ordered,
        rows.nominations,
        everywhere=nomination_totals(session, code=code) if recorded else {},
        listed=set(page),
        members=plan.participants,
    )
    units = unit_rows(
        page,
        rows,
        plan,
        registry,
        columns,
        audiences.by_column,
        awards,
        nominations,
        now=now,
        tz=tz,
    )
    states = submission_states(session, code=code) if recorded else iter(())
    summaries = column_summaries(columns, audiences, states, now.astimezone(tz).date())
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
        total=audiences.total,
        weekly=any(wants_digest(registry, c) for c in audiences.codes()),
    )


def column_summaries(
    columns: list[Column],
    audiences: Audiences,
    states: Iterable[tuple[str, str, str, str]],
    today: date,
) -> dict[str, ColumnSummary]:
    """Each column's summary (`rows.summarize` over every unit's cell) from counts: its
    audience's size, and the (milestone, occurrence, unit, timing) of the submissions,
    of which those of units owing the column count."""
    ids = {(c.milestone, c.occurrence): c.id for c in columns}
    timings: dict[str, Counter[str]] = {c.id: Counter() for c in columns}
    for milestone, occurrence, unit, timing in states:
        cid = ids.get((milestone, occurrence))
        if cid is not None and unit in audiences.by_column[cid]:
            timings[cid][timing] += 1
    out = {}
    for c in columns:
        n: Counter[SubmissionState] = Counter()
        for timing, k in timings[c.id].items():
            n[SubmissionState(timing)] += k
        expected = audiences.sizes[c.id]
        handed = sum(n.values())
        out[c.id] = ColumnSummary(
            expected=expected,
            submitted=sum(k for state, k in n.items() if state.submitted),
            late=n[SubmissionState.LATE],
            early=n[SubmissionState.EARLY],
            # Nothing handed in: missing once the due date has passed (`build._cell`).
            missing=expected - handed if today > c.due and c.required else 0,
        )
    return out
