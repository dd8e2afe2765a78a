"""Who was not reached: failed deliveries grouped by unit, for the top of every status view.

An operator opening `thidua status` or the board artifact must see first the units a
notice did not reach and why, not find a red "1 lỗi" in the middle of 90 rows. The
store keeps one delivery per (action, unit, channel), updated in place, so a failed
delivery listed here has not been sent since. Pure: `thidua.board.read.read_rows` reads
the rows, `thidua.board.build.build_board` joins them with the actions and the registry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from thidua.dates.written import format_short
from thidua.ledger.action_keys import describe_action_key

#: Delivery statuses that mean the message did not get through.
FAILED_STATUSES = ("failed_transient", "failed_permanent")
#: The reason shown when a failure was stored without one.
_KIND = {
    "failed_permanent": "Lỗi vĩnh viễn (không gửi lại)",
    "failed_transient": "Lỗi tạm thời",
}


@dataclass(frozen=True, slots=True)
class FailureRow:
    """One failed delivery as the store holds it."""

    unit: str
    action_key: str
    channel: str
    status: str
    error: str | None


class _ActionInfo(Protocol):
    key: str
    title: str
    scheduled_at: datetime


@dataclass(frozen=True, slots=True)
class FailedDelivery:
    """A failed delivery with what the operator needs: which notice, when, why."""

    action_key: str
    title: str
    scheduled_at: datetime | None
    channel: str
    status: str
    reason: str
    #: True when no other channel of the unit got this action's notice through.
    unreached: bool

    def text(self, tz: ZoneInfo) -> str:
        when = (
            f" ({format_short(self.scheduled_at.astimezone(tz).date())})"
            if self.scheduled_at
            else ""
        )
        return f"{self.title}{when}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action_key,
            "title": self.title,
            "scheduled_at": self.scheduled_at.isoformat() if self.scheduled_at else None,
            "channel": self.channel,
            "status": self.status,
            "reason": self.reason,
            "unreached": self.unreached,
        }


@dataclass
class UnitFailures:
    """Every failed delivery of one unit, oldest notice first."""

    unit: str
    name: str
    items: list[FailedDelivery] = field(default_factory=list)

    @property
    def unreached(self) -> int:
        """How many notices did not reach the unit by any channel."""
        return len({i.action_key for i in self.items if i.unreached})

    def reason(self, tz: ZoneInfo, sep: str = "; ") -> str:
        """“Nhắc hạn … (17/03/2026): Lỗi vĩnh viễn (không gửi lại): hộp thư đầy”."""
        return sep.join(dict.fromkeys(i.text(tz) for i in self.items))

    def as_dict(self, tz: ZoneInfo) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "name": self.name,
            "unreached": self.unreached,
            "reason": self.reason(tz),
            "deliveries": [i.as_dict() for i in self.items],
        }


def group_failures(
    rows: Iterable[FailureRow],
    actions: Iterable[_ActionInfo],
    *,
    reached: set[tuple[str, str]],
    names: Mapping[str, str],
    order: Sequence[str] = (),
) -> list[UnitFailures]:
    """Failed deliveries by unit: units in `order` first (the board's order), then the rest.

    `reached` holds the (unit, action key) pairs some channel delivered; `names` the
    units' names by code.
    """
    by_key = {a.key: a for a in actions}
    units: dict[str, UnitFailures] = {}
    for row in rows:
        action = by_key.get(row.action_key)
        item = FailedDelivery(
            row.action_key,
            action.title if action else describe_action_key(row.action_key),
            action.scheduled_at if action else None,
            row.channel,
            row.status,
            row.error or _KIND.get(row.status, row.status),
            (row.unit, row.action_key) not in reached,
        )
        units.setdefault(row.unit, UnitFailures(row.unit, names.get(row.unit, row.unit)))
        units[row.unit].items.append(item)
    rank = {code: i for i, code in enumerate(order)}
    out = sorted(units.values(), key=lambda u: (rank.get(u.unit, len(rank)), u.unit))
    for u in out:
        u.items.sort(key=lambda i: (i.scheduled_at is None, i.scheduled_at or 0, i.action_key))
    return out


def failing_first(codes: Sequence[str], failures: Iterable[UnitFailures]) -> list[str]:
    """`codes` with the units that have failures moved to the top, each group in order."""
    failing = {f.unit for f in failures}
    return [c for c in codes if c in failing] + [c for c in codes if c not in failing]
