"""The status board drawn for a terminal.

`render_board` draws a `Board` (`thidua.board.build`), where rich decides the width
and the styles: no ANSI codes at all when piped, no colors when NO_COLOR is set.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from thidua.board.rows import Board, Cell
from thidua.campaign.plan_output import width
from thidua.dates.written import format_short, weekday_name
from thidua.ledger.statuses import (
    LATE_ACTION,
    ActionStatus,
    CampaignStatus,
    SubmissionState,
    action_label,
    effective_status,
)

if TYPE_CHECKING:
    from rich.console import Console

__all__ = [
    "actions_summary",
    "header",
    "make_console",
    "render_board",
]

_CELL_STYLES = {
    SubmissionState.ON_TIME: "green",
    SubmissionState.LATE: "yellow",
    SubmissionState.EARLY: "yellow",
    SubmissionState.MISSING: "bold red",
}
_ACTION_STYLES = {
    ActionStatus.FAILED: "bold red",
    LATE_ACTION: "yellow",
    ActionStatus.SKIPPED: "yellow",
    ActionStatus.DONE: "green",
}
#: The order the summary line counts actions in: what is done first, what is wrong next.
_SUMMARY_ORDER = (
    ActionStatus.DONE,
    ActionStatus.SCHEDULED,
    LATE_ACTION,
    ActionStatus.FAILED,
    ActionStatus.PASSED,
    ActionStatus.SKIPPED,
    ActionStatus.CANCELLED,
)


# --- drawing -----------------------------------------------------------------------


def header(board: Board) -> str:
    """“CODE — title”, with the campaign's state when it is not running."""
    if board.status == "active":
        return f"{board.code} — {board.title}"
    state = CampaignStatus.label_of(board.status)
    return f"{board.code} — {board.title} · {state.upper()}"


def actions_summary(board: Board, room: int | None = None) -> str:
    """Counts of the actions by what an operator sees of them, named by their labels;
    with `room`, broken into lines that fit it between two counts, never inside one."""
    counts = Counter(effective_status(x.status, x.scheduled_at, board.now) for x in board.actions)
    items = [f"{action_label(s)}: {counts[s]}" for s in _SUMMARY_ORDER]
    items[0] = items[0][:1].upper() + items[0][1:]
    lines = [items[0]]
    for item in items[1:]:
        if room is not None and _width(lines[-1]) + 3 + _width(item) > room:
            lines.append(item)
        else:
            lines[-1] += f" · {item}"
    return "\n".join(lines)


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
    st = SubmissionState
    console.print(
        f"✓ ngày nộp, {st.ON_TIME.label} · {st.LATE.label}, {st.EARLY.label}: ngoài thời hạn · "
        f"{st.MISSING.label}\n— {st.PENDING.label} · nhắc N: đã nhắc N lần · "
        "báo cấp trên: đã báo cáo cấp trên",
        style="dim",
    )
    _digest_line(board, console)


def _digest_line(board: Board, console: Console) -> None:
    """The units on the weekly digest (they get no separate reminders) and their last one."""
    tz = ZoneInfo(board.timezone)
    marks = [f"{u.code}: {u.digest.text(tz)}" for u in board.units if u.digest is not None]
    if marks:
        console.print(
            "Nhận bản tin tuần thay cho thông báo nhắc hạn — " + "; ".join(marks),
            soft_wrap=True,
            markup=False,
            highlight=False,
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
    if u.digest is not None:
        mark = u.digest.text(ZoneInfo(board.timezone))
        console.print(f"Nhận {mark} thay cho thông báo nhắc hạn", soft_wrap=True)
    if u.tasks:
        console.print()
        console.print("Nhiệm vụ được giao", style="bold", soft_wrap=True)
        for task in u.tasks:
            console.print(f"- {task}", soft_wrap=True, markup=False, highlight=False)
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
            Text(action_label(status), style=_ACTION_STYLES.get(status, "")),
            result,
        )
    console.print(table)
    console.print(actions_summary(board, console.width), soft_wrap=True)
