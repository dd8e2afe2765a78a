"""Render a compiled plan as a terminal table, JSON, or an iCalendar file.

The table is drawn by hand rather than with rich: `thidua plan` runs on every edit
of a campaign file and rich's import alone would cost a third of its time budget.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import UTC, date, datetime
from typing import Any

from thidua.campaign.kinds import Requirement
from thidua.campaign.plan import Action, Occurrence, Plan
from thidua.dates.workdays import vietnam_calendar
from thidua.dates.written import format_short, weekday_name
from thidua.documents.icalendar import TZID, calendar, escape, utc_stamp

AUDIENCE_LABELS = {
    "participants": "đơn vị tham gia",
    "organizer": "cơ quan tổ chức",
    "supervisor": "đơn vị cấp trên",
    "group_head": "trưởng cụm/khối",
    "units": "đơn vị chỉ định",
}


def width(text: str) -> int:
    """Terminal columns taken by `text` (combining marks take none, wide CJK two)."""
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def _pad(text: str, cols: int) -> str:
    return text + " " * (cols - width(text))


def render_table(rows: list[list[str]], headers: list[str]) -> str:
    """A boxed table with columns sized to their content."""
    cols = [max(width(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def line(left: str, mid: str, right: str) -> str:
        return left + mid.join("─" * (c + 2) for c in cols) + right

    def row(cells: list[str]) -> str:
        return (
            "│" + "│".join(f" {_pad(cell, c)} " for cell, c in zip(cells, cols, strict=True)) + "│"
        )

    out = [line("┌", "┬", "┐"), row(headers), line("├", "┼", "┤")]
    out += [row(r) for r in rows]
    out.append(line("└", "┴", "┘"))
    return "\n".join(out)


def audience_text(action: Action) -> str:
    return f"{AUDIENCE_LABELS.get(action.audience, action.audience)} ({len(action.recipients)})"


def _day_note(d: date) -> str:
    """“Chủ nhật” or “thứ Năm, Ngày Chiến thắng”: the weekday, and the holiday if any."""
    holiday = vietnam_calendar().holiday_name(d)
    return f"{weekday_name(d)}, {holiday}" if holiday else weekday_name(d)


def deadline_text(due: date, written: date | None = None) -> str:
    """A deadline as `thidua plan` shows it, with the written day when the rule moved it.

    “25/05/2026 (thứ Hai)”, or “24/05/2026 (Chủ nhật) → 25/05/2026 (thứ Hai, Điều 148
    BLDS)” when the last day written is not a working day.
    """
    effective = f"{format_short(due)} ({weekday_name(due)}"
    if written is None or written == due:
        return effective + ")"
    why = "Điều 148 BLDS" if due > written else "ngày làm việc liền trước"
    return f"{format_short(written)} ({_day_note(written)}) → {effective}, {why})"


def moved_deadlines(plan: Plan) -> list[Occurrence]:
    """The occurrences whose deadline the rule moved off a weekend or holiday."""
    return [o for o in plan.occurrences if o.moved]


def plan_table(plan: Plan) -> str:
    """The plan as a human-readable table with a short header."""
    c = plan.campaign
    header = [
        f"{c.code} — {c.title}",
        f"Thời gian thực hiện: {format_short(c.period.start)} – {format_short(c.period.end)}"
        f" · Đơn vị tham gia: {len(plan.participants)} · Cơ quan tổ chức: {c.organizer}",
    ]
    rows = []
    for a in plan.actions:
        moved = f" (dời từ {a.moved_from:%d/%m})" if a.moved_from and a.moved_from != a.day else ""
        rows.append(
            [
                format_short(a.day),
                weekday_name(a.day),
                a.at.strftime("%H:%M"),
                a.title + moved,
                audience_text(a),
                a.template,
            ]
        )
    table = render_table(rows, ["Ngày", "Thứ", "Giờ", "Hoạt động", "Đối tượng", "Mẫu"])
    notes = []
    if shifted := moved_deadlines(plan):
        notes.append("Hạn rơi vào ngày nghỉ (hạn theo văn bản → hạn áp dụng):")
        notes += [
            f"- {o.milestone.label}{' ' + o.label if o.label else ''}: "
            f"{deadline_text(o.due, o.written)}"
            for o in shifted
        ]
    return "\n".join([*header, table, *notes, f"Tổng cộng {len(plan.actions)} hoạt động."])


def action_dict(a: Action) -> dict[str, Any]:
    return {
        "key": a.key,
        "kind": a.kind.value,
        "milestone": a.milestone,
        "occurrence": a.occurrence,
        "at": a.at.isoformat(),
        "weekday": weekday_name(a.day),
        "title": a.title,
        "run_name": a.run_name(),
        "template": a.template,
        "audience": a.audience,
        "recipients": list(a.recipients),
        "requirement": a.requirement.value,
        "opens": a.opens.isoformat() if a.opens else None,
        "due": a.due.isoformat() if a.due else None,
        # The deadline as the plan writes it; differs from `due` when it fell on a day off.
        "due_written": (a.due_written or a.due).isoformat() if a.due else None,
        "days_left": a.days_left,
        "moved_from": a.moved_from.isoformat() if a.moved_from else None,
    }


def plan_json(plan: Plan) -> str:
    c = plan.campaign
    data = {
        "campaign": {
            "code": c.code,
            "title": c.title,
            "issuer": c.issuer,
            "period": {"start": c.period.start.isoformat(), "end": c.period.end.isoformat()},
            "organizer": c.organizer,
            "participants": list(plan.participants),
        },
        "deadlines": [
            {
                "milestone": o.milestone.key,
                "occurrence": o.key,
                "due_written": o.written.isoformat(),
                "due": o.due.isoformat(),
                "rule": o.rule.value,
                "required": o.milestone.is_required,
            }
            for o in plan.occurrences
            if o.milestone.requirement is not Requirement.NONE
        ],
        "actions": [action_dict(a) for a in plan.actions],
    }
    return json.dumps(data, ensure_ascii=False, indent=2)


def plan_ics(plan: Plan, *, now: datetime | None = None) -> str:
    """An iCalendar (RFC 5545) file with one event per action, in Asia/Ho_Chi_Minh time."""
    stamp = utc_stamp(now or datetime.now(UTC))
    c = plan.campaign
    events = []
    for a in plan.actions:
        description = f"{c.code} — {c.title}\nĐối tượng: {audience_text(a)}"
        if a.due:
            description += f"\nHạn: {deadline_text(a.due, a.due_written)}"
        events.append(
            [
                f"UID:{escape(c.code + '/' + a.key)}@thidua",
                f"DTSTAMP:{stamp}",
                f"DTSTART;TZID={TZID}:{a.at:%Y%m%dT%H%M%S}",
                "DURATION:PT30M",
                f"SUMMARY:{escape(a.run_name())}",
                f"DESCRIPTION:{escape(description)}",
                f"CATEGORIES:{a.kind.value}",
            ]
        )
    return calendar(name=c.code + " — " + c.title, prodid="-//thidua//plan//VI", events=events)
