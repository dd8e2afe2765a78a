"""Decide what a (re)deployment changes: which runs to create, move, cancel or pass.

Pure and Prefect-free: the orchestration layer reads the store, calls `reconcile`
and carries out the result. The rules are the product's promises:

- every future action has exactly one scheduled run, keyed by its stable key;
- an action that already ran (or is running) is never scheduled again, even if
  its date moved;
- actions whose time passed before they were ever scheduled are recorded as
  *passed* and not sent, unless they are within the catch-up window (a deploy at
  09:00 still sends the 08:00 notice of the same morning);
- a run that is already scheduled stays, even when late: the worker decides at run
  time whether it is still within the catch-up window;
- a milestone removed from the file cancels its future runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from thidua.campaign.plan import Action

#: Statuses of an action that has happened (or is happening) and must not repeat.
FINAL = frozenset({"running", "done", "failed", "skipped"})


class Recorded(Protocol):
    """What the store knows of an action (thidua.store.models.ActionRecord fits)."""

    # Read-only members: a record whose fields are narrower (an ActionStatus, a str
    # subclass) still fits.
    @property
    def key(self) -> str: ...

    @property
    def scheduled_at(self) -> datetime: ...

    @property
    def status(self) -> str: ...

    @property
    def flow_run_id(self) -> str | None: ...


@dataclass
class SyncPlan:
    """The changes a deployment makes; each list holds actions or records."""

    create: list[Action] = field(default_factory=list)
    move: list[tuple[Recorded, Action]] = field(default_factory=list)
    cancel: list[Recorded] = field(default_factory=list)
    passed: list[Action] = field(default_factory=list)
    keep: list[Action] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.create or self.move or self.cancel or self.passed)

    def summary(self) -> str:
        return (
            f"{len(self.create)} mới, {len(self.move)} dời lịch, {len(self.cancel)} hủy, "
            f"{len(self.passed)} đã qua, {len(self.keep)} giữ nguyên"
        )


def reconcile(
    actions: Iterable[Action],
    recorded: Mapping[str, Recorded],
    *,
    now: datetime,
    catchup: timedelta,
) -> SyncPlan:
    """What to do so that the scheduled runs match `actions` at `now`."""
    plan = SyncPlan()
    wanted = {a.key: a for a in actions}
    for key, action in wanted.items():
        record = recorded.get(key)
        if record is not None and record.status in FINAL:
            plan.keep.append(action)
            continue
        # The record of a run that is still waiting in Prefect, if there is one.
        scheduled = (
            record
            if record is not None and record.status == "scheduled" and record.flow_run_id
            else None
        )
        if scheduled is not None and scheduled.scheduled_at == action.at:
            plan.keep.append(action)
        elif action.at < now - catchup:
            if scheduled is not None:
                plan.cancel.append(scheduled)
            if record is None or record.status != "passed":
                plan.passed.append(action)
            else:
                plan.keep.append(action)
        elif scheduled is not None:
            plan.move.append((scheduled, action))
        else:
            plan.create.append(action)
    for key, record in recorded.items():
        if key not in wanted and record.status == "scheduled":
            plan.cancel.append(record)
    return plan


def catchup_exceeded(scheduled_for: datetime, now: datetime, catchup: timedelta) -> bool:
    """True when a run is too late to be sent (the worker or server was down too long)."""
    return now - scheduled_for > catchup
