"""The status board of one recorded campaign, filtered as asked: the use case behind
`thidua status` (and any page that shows the board), so callers only pass arguments.

Filters combine: one unit, the units of a group, one milestone (its occurrences are the
only columns, and the state filter looks at them only), and the units with at least one
occurrence in a given state (“quá hạn chưa nộp”, “trễ hạn”…). A bad filter value is a
Vietnamese error naming the option and the value; nothing is read from the store then.
A caller that keeps the compiled plan (the portal's catalog) passes it, so the campaign
file is not loaded again for every board.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from thidua.board.build import build_board
from thidua.board.read import read_rows
from thidua.board.rows import Board
from thidua.campaign.plan import Plan, compile_plan
from thidua.errors import InputError, ThiduaError, ValidationFailed, quote
from thidua.ledger.statuses import SubmissionState
from thidua.registry import Registry
from thidua.text.fold import fold_words


@dataclass(frozen=True)
class BoardFilter:
    """Which rows of the board to show; None: no restriction."""

    unit: str | None = None
    group: str | None = None
    state: str | None = None  # a SubmissionState value or label
    milestone: str | None = None  # a milestone key: only its occurrences


@dataclass
class StatusBoard:
    """The board to show, and why the plan could not be used (then only the actions)."""

    board: Board
    unit: str | None = None  # the unit asked for, as the registry spells it
    warning: str | None = None


def parse_state(text: str) -> SubmissionState:
    """A submission state from its value or Vietnamese label (“trễ hạn”, “late”, “tre han”)."""
    key = fold_words(text, "_")
    for state in SubmissionState:
        if key in (state.value, fold_words(state.label, "_")):
            return state
    allowed = ", ".join(f"“{s.label}” ({s.value})" for s in SubmissionState)
    raise InputError(
        f"trạng thái {quote(text)} không có; dùng một trong: {allowed}", field="state", value=text
    )


def campaign_plan(code: str) -> tuple[Plan | None, Registry | None, str | None]:
    """The campaign's compiled plan and registry, or why they cannot be read (not fatal)."""
    from thidua.campaign.lookup import find_campaign
    from thidua.config import get_settings

    try:
        loaded = find_campaign(code)
    except ValidationFailed as exc:
        return (
            None,
            None,
            f"tệp của đợt thi đua “{code}” có {len(exc.errors)} lỗi (xem thidua validate)",
        )
    except ThiduaError as exc:
        return None, None, str(exc)
    plan = compile_plan(loaded.spec, loaded.registry, notice_time=get_settings().notice_time)
    return plan, loaded.registry, None


def _only_milestone(board: Board, key: str) -> Board:
    """The board with the columns of milestone `key` only; ThiduaError if it has none."""
    columns = [c for c in board.columns if c.milestone == key]
    if not columns:
        known = ", ".join(dict.fromkeys(c.milestone for c in board.columns)) or "không có"
        raise InputError(
            f"không có mốc {quote(key)} nhận bản nộp (các mốc: {known})",
            field="milestone",
            value=key,
        )
    return replace(board, columns=columns, summaries={c.id: board.summaries[c.id] for c in columns})


def status_board(
    code: str,
    wanted: BoardFilter,
    *,
    now: datetime,
    timezone: str,
    plan: tuple[Plan, Registry] | None = None,
) -> StatusBoard:
    """The board of campaign `code` as recorded in the store, restricted by `wanted`;
    `plan`: the campaign's compiled plan and registry when the caller already has them."""
    from thidua.store import campaign_rows
    from thidua.store.db import session_scope

    code = code.strip()
    with session_scope() as session:
        if campaign_rows.get_campaign(session, code=code) is None:
            known = ", ".join(c.code for c in campaign_rows.list_campaigns(session)) or "chưa có"
            raise ThiduaError(f"không có chiến dịch “{code}” trong kho trạng thái (đã có: {known})")
    state = parse_state(wanted.state) if wanted.state is not None else None
    compiled: Plan | None
    registry: Registry | None
    if plan is not None:
        (compiled, registry), problem = plan, None
    else:
        compiled, registry, problem = campaign_plan(code)
    milestone = wanted.milestone.strip() if wanted.milestone is not None else None
    unit = wanted.unit.strip() if wanted.unit is not None else None
    group = wanted.group.strip() if wanted.group is not None else None
    if registry is not None:
        if unit is not None:
            if unit not in registry:
                raise InputError(
                    f"đơn vị “{unit}” không có trong danh sách đơn vị", field="unit", value=unit
                )
            unit = registry.unit(unit).code
        if group is not None and group not in registry.groups:
            known = ", ".join(registry.groups) or "danh sách đơn vị không có nhóm nào"
            raise InputError(
                f"không có nhóm {quote(group)} (các nhóm: {known})", field="group", value=group
            )
    elif group is not None or state is not None or milestone is not None:
        asked = [
            key
            for key, v in (("group", group), ("milestone", milestone), ("state", state))
            if v is not None
        ]
        raise InputError(
            f"lọc theo nhóm, mốc hoặc trạng thái cần tệp của đợt thi đua: {problem}",
            field=asked[0],
            also=asked[1:],
        )
    with session_scope() as session:
        rows = read_rows(session, code=code, unit=unit)
    assert rows is not None  # checked above; a campaign record is never deleted
    board = build_board(rows, compiled, registry, now=now, timezone=timezone)
    if milestone is not None:
        board = _only_milestone(board, milestone)
    if unit is not None:
        if compiled is not None and board.unit(unit) is None:
            raise InputError(
                f"đơn vị “{unit}” không tham gia đợt thi đua “{code}”", field="unit", value=unit
            )
        board = board.only(unit)
        if compiled is not None:  # without the plan, who received what is unknown: keep all
            mine = {a.key for a in compiled.actions if unit in a.recipients}
            board.actions = [a for a in board.actions if a.key in mine]
    if group is not None and registry is not None:
        board = board.restrict(u.code for u in registry.members(group))
    if state is not None:
        ids = {c.id for c in board.columns}
        board = board.restrict(
            u.code
            for u in board.units
            if any(c and c.state is state for k, c in u.cells.items() if k in ids)
        )
    return StatusBoard(board, unit, problem)
