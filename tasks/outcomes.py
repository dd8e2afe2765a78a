"""What a run tells operators about the units it did not reach: log lines and its name.

A run that reached 86 of 90 units must not read as a plain "Completed" in the
Prefect UI: its name ends with "— 4 đơn vị lỗi" in every run list, its state
message says so, and each failure is a WARNING line of the run's logs (unit,
channel in Apprise's privacy form, reason).

Why the name and not the state name: Prefect 3.8's UI lists runs by state *name*
("All except scheduled" is a fixed list of Prefect's own names), so a Completed
state named "Hoàn thành, 4 đơn vị lỗi" or "Hoãn gửi" hides the run from a
deployment's Runs tab and the Runs page: the very runs operators must see.
`tests/test_run_outcome.py` checks the Runs tab in a real browser.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client

from thidua.registry.contacts import display
from thidua.registry.models import Registry

#: Outcomes that mean the unit got the notice on that channel (now or in an earlier run),
#: or was rightly not sent it.
REACHED = {"sent", "already_sent", "skipped"}


def failed_units(recipients: Iterable[str], outcomes: Iterable[Any]) -> dict[str, list[Any]]:
    """Units with a failed channel, or reached on none, with their non-delivered outcomes."""
    by_unit: dict[str, list[Any]] = {code: [] for code in recipients}
    for o in outcomes:
        by_unit.setdefault(o.unit, []).append(o)
    failed = {}
    for code, outs in by_unit.items():
        bad = [o for o in outs if str(o.status) not in REACHED]
        if any(str(o.status).startswith("failed") for o in outs) or not (
            set(str(o.status) for o in outs) & REACHED
        ):
            failed[code] = bad
    return failed


def channel_label(registry: Registry, unit: str, channel: str) -> str:
    """`0:mailtos (mailtos://…@mail.caobang.gov.vn)`: the contact without its secrets."""
    index, _, _ = channel.partition(":")
    contacts = registry.unit(unit).contacts if unit in registry else ()
    if index.isdigit() and int(index) < len(contacts):
        return f"{channel} ({display(contacts[int(index)])})"
    return channel


def warn_failures(
    logger: logging.Logger | logging.LoggerAdapter[Any],
    registry: Registry,
    failed: dict[str, list[Any]],
) -> None:
    """One WARNING line per undelivered channel (or per unit with no channel at all)."""
    for code, outs in failed.items():
        name = registry.unit(code).name if code in registry else code
        if not outs:
            logger.warning("Unit %s (%s) not reached: no contact to send to", code, name)
        for o in outs:
            logger.warning(
                "Unit %s (%s) not reached on %s: %s [%s]",
                code,
                name,
                channel_label(registry, code, o.channel),
                o.error or "không rõ nguyên nhân",
                o.status,
            )


def failure_label(failed: int) -> str | None:
    """What the run's name adds when some units were not reached; None for a plain success."""
    return f"{failed} đơn vị lỗi" if failed else None


#: Between a run's own name and what happened to it: "… · 04/12/2026 — 2 đơn vị lỗi".
LABEL_SEPARATOR = " — "


def label_run(flow_run_id: Any, label: str | None, logger: Any = None) -> None:
    """Show `label` after the run's name (or remove an earlier one); never fails the run.

    Idempotent: a rerun of the same flow run replaces its label instead of adding one.
    """
    if flow_run_id is None:
        return
    try:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(UUID(str(flow_run_id)))
            base = run.name.split(LABEL_SEPARATOR, 1)[0]
            name = f"{base}{LABEL_SEPARATOR}{label}" if label else base
            if name != run.name:
                client.update_flow_run(run.id, name=name)
    except Exception as exc:  # a label is a courtesy; the run's outcome is already recorded
        if logger is not None:
            logger.warning("Could not label flow run %s: %s", flow_run_id, type(exc).__name__)
