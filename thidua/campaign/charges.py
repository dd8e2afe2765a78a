"""Responsibilities of a plan per unit: what each unit is charged with, and their check.

A plan assigns tasks to units or to groups (“Các sở, ban, ngành: …”); a unit's own tasks
are those written for it and for every group it belongs to, in the plan's order.
"""

from __future__ import annotations

from thidua.campaign.spec import Campaign
from thidua.errors import Problem, did_you_mean
from thidua.registry import Registry, Unit


def tasks_for(campaign: Campaign, unit: Unit) -> list[str]:
    """The tasks the plan charges `unit` with, directly or through one of its groups."""
    mine = {unit.code, *unit.groups}
    out: list[str] = []
    for r in campaign.responsibilities:
        if mine.intersection(r.units):
            out += [t for t in r.tasks if t not in out]
    return out


def check_responsibilities(campaign: Campaign, registry: Registry) -> list[Problem]:
    """Every unit or group a responsibility names must be in the registry, and every task
    a milestone is addressed by (`charged_with`) must be the id of a responsibility.

    A cross-check that `thidua.campaign.checks.check_campaign` runs, so these come out in
    the same pass as every other problem of the file, each with its line.
    """
    out: list[Problem] = []
    either = [*registry.codes(), *registry.groups]
    for i, r in enumerate(campaign.responsibilities):
        where = f"responsibilities[{r.id or i}]"
        for j, code in enumerate(r.units):
            if code not in registry and code not in registry.groups:
                message = "không có đơn vị hoặc nhóm này" + did_you_mean(code, either)
                loc = ("responsibilities", i, "units", j)
                out.append(Problem(f"{where}.units[{j}]", message, code, loc=loc))
    known = sorted(r.id for r in campaign.responsibilities if r.id)
    shown = ", ".join(f"“{k}”" for k in known) or "chưa có nhiệm vụ nào có id"
    for i, m in enumerate(campaign.milestones):
        for j, charge in enumerate(m.charged_with):
            if charge not in known:
                message = (
                    f"“{charge}” không phải id của một nhiệm vụ trong responsibilities "
                    f"(có: {shown})" + did_you_mean(charge, known, codes=False)
                )
                loc = ("milestones", i, "charged_with", j)
                out.append(
                    Problem(f"milestones[{m.key}].charged_with[{j}]", message, charge, loc=loc)
                )
    return out


def tasks_text(campaign: Campaign, unit: Unit) -> str:
    """`thidua plan --unit`'s lines above the table: the unit's own tasks, or ""."""
    tasks = tasks_for(campaign, unit)
    if not tasks:
        return ""
    lines = [f"Nhiệm vụ của {unit.name} theo {campaign.doc_label}:"]
    return "\n".join([*lines, *(f"- {task}" for task in tasks)])
