"""Which units a batch did not reach, and how each is told to operators (log lines, labels).

A run that reached 86 of 90 units must not read as a plain success: each unit not
reached is a WARNING line of the run's logs (unit, channel in Apprise's privacy
form, reason), and the run's name says how many (`failure_label`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from thidua.delivery.outcome import Outcome
from thidua.registry import Registry
from thidua.registry.contacts import display


def failed_units(
    recipients: Iterable[str], outcomes: Iterable[Outcome]
) -> dict[str, list[Outcome]]:
    """Units with a failed channel, or reached on none, with their non-delivered outcomes.

    In the order of `recipients`, then of the other units' first problem. Holds the units
    with a problem and the set of units seen, never a list per recipient: a fan-out to
    100,000 units reads its outcomes here (twice, so a lazy iterable is listed first).
    """
    if not isinstance(outcomes, Sequence):
        outcomes = list(outcomes)
    seen: set[str] = set()
    bad: dict[str, list[Outcome]] = {}
    failed: set[str] = set()
    for o in outcomes:
        seen.add(o.unit)
        if not o.reached:
            bad.setdefault(o.unit, []).append(o)
        if o.failed:
            failed.add(o.unit)
    reached = {o.unit for o in outcomes if o.reached and o.unit in bad}
    result: dict[str, list[Outcome]] = {}
    for code in recipients:
        if code not in seen:
            result[code] = []
        elif code in bad and (code in failed or code not in reached):
            result[code] = bad[code]
    for code, outs in bad.items():  # units only the outcomes name (another run's, a resend's)
        if code not in result and (code in failed or code not in reached):
            result[code] = outs
    return result


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
    failed: dict[str, list[Outcome]],
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
