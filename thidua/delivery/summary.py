"""What a finished batch says: the action's record, the result table, the run's summary.

Plain data and text in Vietnamese; `thidua.tasks.actions` publishes them as Prefect
artifacts and writes the record to the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from thidua.delivery.outcome import Outcome
from thidua.ledger.statuses import ActionStatus, DeliveryStatus
from thidua.registry import Registry


@dataclass(frozen=True)
class ActionResult:
    """How an action run ends in the store: done or failed, and what went wrong."""

    status: ActionStatus
    message: str | None


def action_result(outcomes: Sequence[Outcome], error: str | None = None) -> ActionResult:
    """Failed when the batch gave up (`error`); else done, saying what did not get through."""
    failed = sum(o.failed for o in outcomes)
    uncertain = sum(o.status is DeliveryStatus.UNCERTAIN for o in outcomes)
    problems = [f"{failed} lượt gửi không thành công"] if failed else []
    if uncertain:
        problems.append(f"{uncertain} lượt gửi chưa rõ kết quả")
    return ActionResult(
        ActionStatus.FAILED if error else ActionStatus.DONE,
        error or ("; ".join(problems) or None),
    )


#: Up to this many outcomes the result table lists each; past it, each one not delivered
#: and the rest as counts: a table artifact of 100,000 rows is itself ~15 MB of JSON.
FULL_TABLE_ROWS = 2000


def result_rows(outcomes: Sequence[Outcome], registry: Registry) -> list[dict[str, str]]:
    """The run's result table: one row per unit and channel, or per problem and a count.

    Past `FULL_TABLE_ROWS` outcomes, those sent by this run are counted per channel in
    rows that say so, and every other outcome (failed, uncertain, held, sent earlier)
    keeps its own row.
    """
    if len(outcomes) <= FULL_TABLE_ROWS:
        return [_row(o, registry) for o in outcomes]
    rows: list[dict[str, str]] = []
    sent: dict[str, int] = {}
    for o in outcomes:
        if o.sent_now:
            sent[o.channel] = sent.get(o.channel, 0) + 1
        else:
            rows.append(_row(o, registry))
    return rows + [
        {
            "Mã": "",
            "Đơn vị": f"{n} đơn vị khác (gửi tới hơn {FULL_TABLE_ROWS} lượt: lượt gửi thành công "
            "chỉ được đếm; mọi lượt khác đều có dòng riêng ở trên)",
            "Kênh": channel,
            "Kết quả": DeliveryStatus.label_of(DeliveryStatus.SENT),
            "Lỗi": "",
        }
        for channel, n in sorted(sent.items())
    ]


def _row(o: Outcome, registry: Registry) -> dict[str, str]:
    return {
        "Mã": o.unit,
        "Đơn vị": registry.unit(o.unit).name,
        "Kênh": o.channel,
        "Kết quả": o.label,
        "Lỗi": o.error or "",
    }


@dataclass(frozen=True)
class Heading:
    """Who the summary is about: the action, its campaign and its audience."""

    action_title: str
    campaign_code: str
    campaign_title: str
    audience: str  # the action's audience rule, as the plan names it
    recipients: int
    submitted: int = 0
    total: int = 0  # units that owe the milestone (0: not a milestone with submissions)


def summary_markdown(heading: Heading, outcomes: Sequence[Outcome]) -> str:
    """The run's short summary: how many were reached, how many failed and why."""
    sent = sum(o.status is DeliveryStatus.SENT for o in outcomes)
    failed = [o for o in outcomes if o.failed]
    lines = [
        f"## {heading.action_title}",
        f"**{heading.campaign_code}** · {heading.campaign_title}",
        "",
        f"- Đối tượng: {heading.recipients} đơn vị ({heading.audience})",
        f"- Gửi thành công: {sent} lượt; không thành công: {len(failed)}",
    ]
    if failed:
        permanent = sum(o.status is DeliveryStatus.FAILED_PERMANENT for o in failed)
        lines.append(
            f"- Trong đó lỗi vĩnh viễn (địa chỉ không nhận thư, cấu hình sai; không gửi lại): "
            f"{permanent}; lỗi tạm thời (đã thử lại nhưng chưa được): {len(failed) - permanent}"
        )
    if heading.total:
        lines.append(f"- Đã nộp: {heading.submitted}/{heading.total} đơn vị")
    if failed:
        lines += [
            "",
            "### Không gửi được",
            *[f"- {o.unit} ({o.channel}): {o.error}" for o in failed],
        ]
    return "\n".join(lines)
