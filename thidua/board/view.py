"""What happened to a campaign, read from the store: the status board and its terminal view.

`read_rows` reads one campaign in a handful of set-based queries (no query per unit
or per action), `thidua.board.rows.build_board` joins them with the plan, and
`render_board` draws the result for a terminal, where rich decides the width and
the styles: no ANSI codes at all when piped, no colors when NO_COLOR is set.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from thidua.board.rows import (
    REMINDER_KINDS,
    ActionLine,
    Board,
    Cell,
    StoreRows,
    SubmissionRow,
)
from thidua.campaign.plan_output import width
from thidua.dates.written import format_short, weekday_name
from thidua.ledger.failures import FAILED_STATUSES, FailureRow

if TYPE_CHECKING:
    from rich.console import Console
    from sqlmodel import Session

__all__ = [
    "CAMPAIGN_LABELS",
    "LABELS",
    "ActionLine",
    "effective_status",
    "label",
    "read_rows",
    "render_board",
]

LABELS = {
    "planned": "chưa lên lịch",
    "scheduled": "đã lên lịch",
    "running": "đang chạy",
    "done": "đã xong",
    "failed": "lỗi",
    "passed": "đã qua (không gửi)",
    "skipped": "bỏ qua",
    "cancelled": "đã hủy",
    "late": "trễ, chờ chạy",
}


CAMPAIGN_LABELS = {"active": "đang thực hiện", "paused": "tạm dừng", "cancelled": "đã hủy"}

_CELL_STYLES = {"on_time": "green", "late": "yellow", "early": "yellow", "missing": "bold red"}
_ACTION_STYLES = {"failed": "bold red", "late": "yellow", "skipped": "yellow", "done": "green"}


def effective_status(status: str, scheduled_at: datetime, now: datetime) -> str:
    """The status an operator should see: a scheduled action whose time passed is late."""
    if status in ("scheduled", "planned") and scheduled_at < now:
        return "late"
    return str(status)


def label(status: str, scheduled_at: datetime, now: datetime) -> str:
    """Vietnamese label of `effective_status`."""
    return LABELS.get(effective_status(status, scheduled_at, now), str(status))


# --- reading the store -------------------------------------------------------------


def read_rows(session: Session, *, code: str, unit: str | None = None) -> StoreRows | None:
    """The store's facts about campaign `code` (None if it was never recorded).

    With `unit`, delivery counts of the actions, submissions and nominations are
    that unit's only; escalations are kept whole (they go to its supervisor).
    """
    from sqlalchemy import and_, distinct, func
    from sqlmodel import col, select

    from thidua.ledger.nominations import COUNTED
    from thidua.store.models import ActionRecord, CampaignRecord, Delivery, Nomination, Submission

    record = session.get(CampaignRecord, code)
    if record is None:
        return None
    rows = StoreRows(code, record.title, str(record.status))

    counts = select(
        Delivery.action_key, Delivery.unit_code, Delivery.channel, Delivery.status
    ).where(col(Delivery.campaign_code) == code)
    if unit is not None:
        counts = counts.where(col(Delivery.unit_code) == unit)
    # One count per unit and channel, however many resends (`thidua resend`) it took:
    # a failure a resend made good is sent; an uncertain outcome counts as not reached.
    outcome: dict[tuple[str, str, str], str] = {}
    for key, unit_code, channel, status in session.exec(counts):
        status = str(status)
        if outcome.get((key, unit_code, channel)) != "sent":
            outcome[(key, unit_code, channel)] = status
    sent: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for (key, _, _), status in outcome.items():
        if status == "sent":
            sent[key] += 1
        elif status.startswith("failed") or status == "uncertain":
            failed[key] += 1

    actions = select(  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns; it takes any number
        ActionRecord.key,
        ActionRecord.milestone,
        ActionRecord.occurrence,
        ActionRecord.kind,
        ActionRecord.title,
        ActionRecord.scheduled_at,
        ActionRecord.status,
        ActionRecord.recipients,
        ActionRecord.error,
    ).where(col(ActionRecord.campaign_code) == code)
    for key, milestone, occ, kind, title, at, status, recipients, error in session.exec(
        actions.order_by(col(ActionRecord.scheduled_at), col(ActionRecord.key))
    ):
        rows.actions.append(
            ActionLine(
                at,
                title,
                str(status),
                recipients,
                sent[key],
                failed[key],
                error,
                key,
                milestone,
                occ,
                str(kind),
            )
        )

    joined = and_(
        col(ActionRecord.campaign_code) == col(Delivery.campaign_code),
        col(ActionRecord.key) == col(Delivery.action_key),
    )
    reminders = (
        select(
            ActionRecord.milestone,
            ActionRecord.occurrence,
            Delivery.unit_code,
            func.count(distinct(col(Delivery.action_key))),
        )
        .join(ActionRecord, joined)
        .where(
            col(Delivery.campaign_code) == code,
            col(Delivery.status) == "sent",
            col(ActionRecord.kind).in_(REMINDER_KINDS),
        )
    )
    if unit is not None:
        reminders = reminders.where(col(Delivery.unit_code) == unit)
    reminders = reminders.group_by(
        ActionRecord.milestone, ActionRecord.occurrence, Delivery.unit_code
    )
    rows.reminders = {(m, o, u): n for m, o, u, n in session.exec(reminders)}

    escalations = (
        select(
            ActionRecord.milestone,
            ActionRecord.occurrence,
            Delivery.unit_code,
            func.min(Delivery.sent_at),
        )
        .join(ActionRecord, joined)
        .where(
            col(Delivery.campaign_code) == code,
            col(Delivery.status) == "sent",
            col(ActionRecord.kind) == "escalation",
        )
        .group_by(ActionRecord.milestone, ActionRecord.occurrence, Delivery.unit_code)
    )
    for m, o, recipient, at in session.exec(escalations):
        if at is not None:  # a sent delivery always has its time; the column allows none
            rows.escalations.setdefault((m, o), {})[recipient] = at

    submissions = select(  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns; it takes any number
        Submission.milestone,
        Submission.occurrence,
        Submission.unit_code,
        Submission.submitted_at,
        Submission.timing,
        Submission.figures,
    ).where(col(Submission.campaign_code) == code)
    if unit is not None:
        submissions = submissions.where(col(Submission.unit_code) == unit)
    rows.submissions = [
        SubmissionRow(m, o, u, at, str(timing), figures or {})
        for m, o, u, at, timing, figures in session.exec(submissions)
    ]

    nominations = select(
        Nomination.unit_code, Nomination.award, Nomination.nominee_kind, func.count()
    ).where(
        col(Nomination.campaign_code) == code,
        col(Nomination.status).in_([str(s) for s in COUNTED]),
    )
    if unit is not None:
        nominations = nominations.where(col(Nomination.unit_code) == unit)
    nominations = nominations.group_by(
        Nomination.unit_code, Nomination.award, Nomination.nominee_kind
    )
    rows.nominations = {(u, a, k): n for u, a, k, n in session.exec(nominations)}
    _read_failures(session, rows, unit)
    return rows


def _read_failures(session: Session, rows: StoreRows, unit: str | None) -> None:
    """Failed deliveries, and which of their (unit, action) pairs another channel reached."""
    from sqlmodel import col, select

    from thidua.store.models import Delivery

    failed = select(  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns; it takes any number
        Delivery.unit_code, Delivery.action_key, Delivery.channel, Delivery.status, Delivery.error
    ).where(col(Delivery.campaign_code) == rows.code, col(Delivery.status).in_(FAILED_STATUSES))
    if unit is not None:
        failed = failed.where(col(Delivery.unit_code) == unit)
    rows.failures = [
        FailureRow(u, key, channel, str(status), error)
        for u, key, channel, status, error in session.exec(
            failed.order_by(col(Delivery.unit_code), col(Delivery.action_key))
        )
    ]
    keys = sorted({f.action_key for f in rows.failures})
    if not keys:
        return
    sent = select(Delivery.unit_code, Delivery.action_key).where(
        col(Delivery.campaign_code) == rows.code,
        col(Delivery.status) == "sent",
        col(Delivery.action_key).in_(keys),
    )
    rows.reached = {(u, key) for u, key in session.exec(sent)}


# --- drawing -----------------------------------------------------------------------


def header(board: Board) -> str:
    """“CODE — title”, with the campaign's state when it is not running."""
    if board.status == "active":
        return f"{board.code} — {board.title}"
    state = CAMPAIGN_LABELS.get(board.status, board.status)
    return f"{board.code} — {board.title} · {state.upper()}"


def actions_summary(board: Board) -> str:
    """Counts of the actions by what an operator sees of them."""
    counts = Counter(effective_status(x.status, x.scheduled_at, board.now) for x in board.actions)
    return (
        f"Đã xong {counts['done']} · sắp tới {counts['scheduled']} · trễ {counts['late']} · "
        f"lỗi {counts['failed']} · đã qua {counts['passed']} · bỏ qua {counts['skipped']} · "
        f"hủy {counts['cancelled']}"
    )


def make_console(**kwargs: Any) -> Console:
    """A console on stdout: styles on a terminal only, and no colors under NO_COLOR."""
    from rich.console import Console

    return Console(highlight=False, emoji=False, **kwargs)


def render_board(board: Board, console: Console, *, unit: str | None = None) -> None:
    """Print the board: failed deliveries first, then submissions grid, nominations,
    targets, and the actions."""
    console.print(header(board), soft_wrap=True)
    _failure_section(board, console)
    if unit is not None:
        _unit_sections(board, console)
    else:
        _grid_sections(board, console)
        _nomination_section(board, console)
        _target_section(board, console)
    _action_section(board, console)


def _table(console: Console, title: str, **kwargs: Any) -> Any:
    """A table under its section title (printed apart, so a narrow table never folds it)."""
    from rich import box
    from rich.table import Table

    console.print()
    console.print(title, style="bold", soft_wrap=True)
    return Table(
        box=box.SQUARE,
        header_style="bold",
        **kwargs,
    )


# Per-unit tables hold a row per unit (a thousand or more): they are laid out here, in
# one pass over the cells, because rich's Table costs seconds at that size. rich
# still decides what the terminal gets: its width, and colors only on a color TTY.

#: A table cell: its lines, each with a rich style ("" for none).
Lines = list[tuple[str, str]]


@lru_cache(maxsize=4096)
def _width(text: str) -> int:
    return width(text)


def _painter(console: Console) -> Callable[[str, str], str]:
    """Text → text with the ANSI codes of a rich style, when the console shows styles."""
    if console.color_system is None:
        return lambda text, style: text
    from rich.console import COLOR_SYSTEMS
    from rich.style import Style

    system = COLOR_SYSTEMS[console.color_system]
    styles: dict[str, Style] = {}

    def paint(text: str, style: str) -> str:
        if not style or not text:
            return text
        if style not in styles:
            parsed = Style.parse(style)
            styles[style] = parsed.without_color if console.no_color else parsed
        return styles[style].render(text, color_system=system)

    return paint


def _column_width(header: list[str], cells: Iterable[Lines], footer: str | None) -> int:
    lines = [*header, *([footer] if footer else [])]
    return max([*map(_width, lines), *(_width(t) for cell in cells for t, _ in cell)], default=0)


def _draw(
    console: Console,
    title: str,
    headers: list[list[str]],
    rows: list[list[Lines]],
    footers: list[str] | None = None,
) -> None:
    """A boxed table like rich's box.SQUARE, with a header and an optional footer row."""
    paint = _painter(console)
    widths = [
        _column_width(h, (r[i] for r in rows), footers[i] if footers else None)
        for i, h in enumerate(headers)
    ]

    def rule(left: str, mid: str, right: str) -> str:
        return left + mid.join("─" * (w + 2) for w in widths) + right

    def block(cells: list[Lines]) -> list[str]:
        height = max(len(c) for c in cells)
        out = []
        for i in range(height):
            parts = []
            for cell, w in zip(cells, widths, strict=True):
                text, style = cell[i] if i < len(cell) else ("", "")
                pad = " " * (w - _width(text))
                parts.append(f" {paint(text, style)}{pad} " if style else f" {text}{pad} ")
            out.append("│" + "│".join(parts) + "│")
        return out

    top = [
        [("", "")] * (max(map(len, headers)) - len(h)) + [(t, "bold") for t in h] for h in headers
    ]
    lines = [rule("┌", "┬", "┐"), *block(top), rule("├", "┼", "┤")]
    for row in rows:
        lines += block(row)
    if footers is not None:
        lines.append(rule("├", "┼", "┤"))
        lines += block([[(f, "bold")] for f in footers])
    lines.append(rule("└", "┴", "┘"))
    console.print()
    console.print(title, style="bold", soft_wrap=True)
    console.file.write("\n".join(lines) + "\n")


def _cell_lines(cell: Cell | None) -> Lines:
    if cell is None:
        return [("", "")]
    lines = [(cell.label, _CELL_STYLES.get(cell.state, ""))]
    if cell.notes:
        lines.append((", ".join(cell.notes), "bold red" if cell.state == "missing" else "dim"))
    return lines


def _chunks(widths: list[int], room: int) -> list[range]:
    """Split columns into as few tables as fit in `room`, spreading them evenly."""
    count, used = 1, 0
    for w in widths:
        if used and used + w + 3 > room:
            count, used = count + 1, 0
        used += w + 3
    while True:
        size = -(-len(widths) // count)
        parts = [range(i, min(i + size, len(widths))) for i in range(0, len(widths), size)]
        if count >= len(widths) or all(sum(widths[i] + 3 for i in p) <= room for p in parts):
            return parts
        count += 1


def _grid_sections(board: Board, console: Console) -> None:
    if not board.columns:
        return
    headers = [[c.label, f"hạn {format_short(c.due)}"] for c in board.columns]
    grid = [[_cell_lines(u.cells.get(c.id)) for c in board.columns] for u in board.units]
    footers = [board.summaries[c.id].text for c in board.columns]
    widths = [_column_width(h, (row[i] for row in grid), footers[i]) for i, h in enumerate(headers)]
    first = _column_width(["Đơn vị"], ([(u.code, "")] for u in board.units), "Đã nộp")
    chunks = _chunks(widths, console.width - first - 4)
    for n, chunk in enumerate(chunks, 1):
        part = f" ({n}/{len(chunks)})" if len(chunks) > 1 else ""
        _draw(
            console,
            f"Tình hình nộp của đơn vị{part}",
            [["Đơn vị"], *(headers[i] for i in chunk)],
            [
                [[(u.code, "")], *(row[i] for i in chunk)]
                for u, row in zip(board.units, grid, strict=True)
            ],
            ["Đã nộp", *(footers[i] for i in chunk)],
        )
    console.print(
        "✓ ngày nộp, đúng hạn · trễ, sớm: ngoài thời hạn · thiếu: quá hạn chưa nộp\n"
        "— chưa đến hạn · nhắc N: đã nhắc N lần · báo cấp trên: đã báo cáo cấp trên",
        style="dim",
    )


def _nomination_section(board: Board, console: Console) -> None:
    if not board.awards or not board.units:
        return
    footers = ["Tổng"]
    for a in board.awards:
        total = sum(u.nominations[a.key].count for u in board.units)
        footers.append(" · ".join([str(total), *(b.text for b in a.totals)]))
    rows = []
    for u in board.units:
        row: list[Lines] = [[(u.code, "")]]
        for a in board.awards:
            n = u.nominations[a.key]
            over = n.limit is not None and n.count > n.limit
            lines = [(n.main, "bold red" if over else "")]
            lines += [(b.text, "bold red" if b.over else "") for b in n.bounds]
            row.append(lines)
        rows.append(row)
    _draw(
        console,
        "Đề nghị khen thưởng (số hồ sơ / số lượng tối đa)",
        [["Đơn vị"], *([a.label] for a in board.awards)],
        rows,
        footers,
    )


def _target_section(board: Board, console: Console) -> None:
    if not board.targets or not board.units:
        return
    colors: dict[bool | None, str] = {True: "green", False: "red"}
    rows = [
        [
            [(u.code, "")],
            *(
                [(c.text, colors.get(c.met, ""))]
                for c in (u.targets[t.code] for t in board.targets)
            ),
        ]
        for u in board.units
    ]
    _draw(
        console,
        "Chỉ tiêu (đạt được / mục tiêu)",
        [["Đơn vị"], *([t.code] for t in board.targets)],
        rows,
    )
    for t in board.targets:
        console.print(f"{t.code}: {t.description}", style="dim", soft_wrap=True)


def _unit_sections(board: Board, console: Console) -> None:
    """One unit across everything: its occurrences as rows, then nominations and targets."""
    if not board.units:
        return
    from rich.text import Text

    u = board.units[0]
    console.print(f"Đơn vị: {u.code} — {u.name}", soft_wrap=True)
    table = _table(console, "Tình hình nộp")
    table.add_column("Mốc")
    table.add_column("Hạn", no_wrap=True)
    table.add_column("Tình trạng", no_wrap=True)
    table.add_column("Nhắc", justify="right", no_wrap=True)
    table.add_column("Báo cấp trên", no_wrap=True)
    for c in board.columns:
        cell = u.cells.get(c.id)
        if cell is None:
            continue
        table.add_row(
            c.label,
            format_short(c.due),
            Text(cell.label, style=_CELL_STYLES.get(cell.state, "")),
            str(cell.reminders),
            "có" if cell.escalated else "",
        )
    console.print(table)
    if board.awards:
        console.print()
        for a in board.awards:
            n = u.nominations[a.key]
            console.print(
                f"Đề nghị {a.label}: {n.text}", style="bold red" if n.over else "", soft_wrap=True
            )
    if board.targets:
        console.print()
        for t in board.targets:
            figure = u.targets[t.code]
            style = {True: "green", False: "red", None: ""}[figure.met]
            console.print(f"Chỉ tiêu {t.code}: {figure.text}", style=style, soft_wrap=True)


def _failure_section(board: Board, console: Console) -> None:
    """The units a notice did not reach, and why: what an operator must act on first."""
    if not board.failures:
        return
    from rich.text import Text

    tz = ZoneInfo(board.timezone)
    reached = sum(1 for f in board.failures if not f.unreached)
    title = f"Gửi thông báo không thành công tới {len(board.failures)} đơn vị"
    if reached:
        title += f" ({reached} đơn vị vẫn nhận được qua kênh khác)"
    table = _table(console, title)
    table.add_column("Đơn vị", no_wrap=True)
    table.add_column("Thông báo", ratio=1, min_width=16)
    table.add_column("Lý do", ratio=1, min_width=16)
    for f in board.failures:
        for i, item in enumerate(f.items):
            when = item.scheduled_at.astimezone(tz).date() if item.scheduled_at else None
            notice = item.title + (f" ({format_short(when)})" if when else "")
            reason = Text(item.reason, style="bold red" if item.unreached else "")
            if not item.unreached:
                reason.append(" (đã nhận qua kênh khác)", style="dim")
            table.add_row(f.unit if i == 0 else "", notice, reason)
    console.print(table)


def _action_section(board: Board, console: Console) -> None:
    from rich.text import Text

    tz = ZoneInfo(board.timezone)
    table = _table(console, "Các hoạt động")
    table.add_column("Ngày", no_wrap=True)
    table.add_column("Hoạt động", ratio=1, min_width=16)
    table.add_column("Trạng thái", no_wrap=True)
    table.add_column("Kết quả", no_wrap=True)
    for x in board.actions:
        local = x.scheduled_at.astimezone(tz)
        status = effective_status(x.status, x.scheduled_at, board.now)
        result = Text()
        if x.sent or x.failed:
            result.append(f"{x.sent} đã gửi")
            if x.failed:
                result.append(f", {x.failed} lỗi", style="bold red")
        title = Text(x.title)
        if x.error:
            title.append(f"\n{x.error[:120]}", style="red" if status == "failed" else "dim")
        table.add_row(
            f"{format_short(local.date())}\n{weekday_name(local.date())} {local:%H:%M}",
            title,
            Text(LABELS.get(status, status), style=_ACTION_STYLES.get(status, "")),
            result,
        )
    console.print(table)
    console.print(actions_summary(board), soft_wrap=True)
