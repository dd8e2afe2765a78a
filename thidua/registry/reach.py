"""Which units a run could not reach now because their contacts need unset ``${VARS}``.

A warning, not an error: the shipped registry gives each unit a local outbox next to
its e-mail address, and the e-mail part waits for the SMTP settings
(``THIDUA_SMTP_*``). `thidua validate`, `thidua serve` and `thidua simulate` say which
contacts cannot be used with the current environment and which units would then get
nothing at all. ``${secret:…}`` blocks are read at send time and are not judged here.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from thidua.registry.contacts import missing_env

if TYPE_CHECKING:
    from thidua.registry import Registry


@dataclass
class Reach:
    """Contacts with unset variables, grouped by the variables they miss."""

    #: missing variable names → codes of units with such a contact (a unit once)
    partial: dict[tuple[str, ...], list[str]] = field(default_factory=dict)
    #: units every contact of which misses a variable: they would receive nothing
    unreached: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.partial or self.unreached)

    def lines(self) -> list[str]:
        """One Vietnamese sentence per group, then the units that get nothing."""
        out = []
        for names, units in self.partial.items():
            variables = ", ".join(names)
            still = (
                "; các đơn vị này vẫn nhận thông báo qua địa chỉ khác"
                if not set(units) & set(self.unreached)
                else ""
            )
            out.append(
                f"chưa đặt biến môi trường {variables}: địa chỉ liên hệ dùng các biến này của "
                f"{len(units)} đơn vị ({', '.join(units)}) sẽ không gửi được{still}"
            )
        if self.unreached:
            out.append(
                f"{len(self.unreached)} đơn vị sẽ không nhận được thông báo nào "
                f"(mọi địa chỉ liên hệ đều thiếu biến môi trường): {', '.join(self.unreached)}"
            )
        return out


def unreached_contacts(
    registry: Registry,
    units: Iterable[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Reach:
    """The `units` (default: all) whose contacts need variables `environ` does not set."""
    env = os.environ if environ is None else environ
    wanted = None if units is None else set(units)
    reach = Reach()
    for unit in registry:
        if wanted is not None and unit.code not in wanted:
            continue
        blocked = 0
        for url in unit.contacts:
            names = tuple(missing_env(url, env))
            if names:
                blocked += 1
                members = reach.partial.setdefault(names, [])
                if unit.code not in members:
                    members.append(unit.code)
        if unit.contacts and blocked == len(unit.contacts):
            reach.unreached.append(unit.code)
    return reach
