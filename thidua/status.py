"""What happened to a campaign's actions, read from the store: done, due, late, failed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from thidua.plan_output import render_table
from thidua.vnformat import format_short, weekday_name

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


def effective_status(status: str, scheduled_at: datetime, now: datetime) -> str:
    """The status an operator should see: a scheduled action whose time passed is late."""
    if status in ("scheduled", "planned") and scheduled_at < now:
        return "late"
    return status


def label(status: str, scheduled_at: datetime, now: datetime) -> str:
    """Vietnamese label of `effective_status`."""
    return LABELS.get(effective_status(status, scheduled_at, now), status)


@dataclass
class ActionLine:
    """One row of the status table; built from a store ActionRecord."""

    scheduled_at: datetime
    title: str
    status: str
    recipients: int
    sent: int
    failed: int
    error: str | None


def status_table(
    code: str, title: str, campaign_status: str, lines: list[ActionLine], now: datetime
) -> str:
    """The campaign's actions as a table with a summary line."""
    counts = Counter(effective_status(x.status, x.scheduled_at, now) for x in lines)
    rows = []
    for x in lines:
        local = x.scheduled_at.astimezone()
        result = (
            f"{x.sent} đã gửi" + (f", {x.failed} lỗi" if x.failed else "")
            if x.sent or x.failed
            else ""
        )
        rows.append(
            [
                format_short(local.date()),
                weekday_name(local.date()),
                local.strftime("%H:%M"),
                x.title,
                label(x.status, x.scheduled_at, now),
                result,
                (x.error or "")[:60],
            ]
        )
    state = CAMPAIGN_LABELS.get(campaign_status, campaign_status)
    header = f"{code} — {title} · {state.upper()}"
    if campaign_status == "active":
        header = f"{code} — {title}"
    summary = (
        f"Đã xong {counts['done']} · sắp tới {counts['scheduled']} · trễ {counts['late']} · "
        f"lỗi {counts['failed']} · đã qua {counts['passed']} · bỏ qua {counts['skipped']} · "
        f"hủy {counts['cancelled']}"
    )
    table = render_table(
        rows, ["Ngày", "Thứ", "Giờ", "Hoạt động", "Trạng thái", "Kết quả", "Ghi chú"]
    )
    return "\n".join([header, table, summary])
