"""What a run tells operators about the units it did not reach: log lines and its state name.

A run that reached 86 of 90 units must not read as a plain "Completed" in the
Prefect UI: its final state is named "Hoàn thành, 4 đơn vị lỗi", and each failure
is a WARNING line of the run's logs (unit, channel in Apprise's privacy form, reason).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from thidua.contacts import display
from thidua.registry import Registry

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


def final_state_name(failed: int) -> str | None:
    """The run's state name when some units were not reached; None for a plain success."""
    return f"Hoàn thành, {failed} đơn vị lỗi" if failed else None
