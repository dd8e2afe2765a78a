"""Which units a campaign and its milestones concern: the one definition.

The plan addresses notices with it, the ledger checks who may submit with it, the
board draws its cells with it, the report counts who was due with it, and an action
run finds who has not submitted yet with it; they cannot disagree. Units on the weekly
digest (`digest: weekly` in the registry) are left out of reminders here
(`reminded`), the one place that decides it.
"""

from __future__ import annotations

from collections.abc import Iterable

from thidua.campaign.kinds import Requirement
from thidua.campaign.spec import Campaign, Milestone
from thidua.registry import Registry, wants_digest
from thidua.registry.vocabulary import code_key


def participants(campaign: Campaign, registry: Registry) -> tuple[str, ...]:
    """Unit codes taking part, in registry order; unknown codes are left to the checks."""
    p = campaign.participants
    chosen: set[str] = set(c for c in p.units if c in registry)
    # Codes and profiles only: a registry read from its compiled cache builds no unit here.
    for group in p.groups:
        if group in registry.groups:
            chosen.update(registry.member_codes(group))
    if p.kinds:
        chosen.update(registry.codes_of_kind(*p.kinds))
    chosen.difference_update(p.exclude)
    return tuple(code for code in registry.codes() if code in chosen)


def expand(codes: Iterable[str], registry: Registry) -> tuple[str, ...]:
    """Unit codes named directly or through a group, in the order given, once each;
    codes the registry does not know are left to the checks."""
    out: dict[str, None] = {}
    for code in codes:
        if code in registry.groups:
            out.update((member, None) for member in registry.member_codes(code))
        elif code in registry:
            out[code_key(code)] = None
    return tuple(out)


def audience(
    campaign: Campaign,
    registry: Registry,
    milestone: Milestone,
    *,
    members: tuple[str, ...] | None = None,
) -> tuple[str, ...]:
    """Codes of the units a milestone addresses: the units charged with the tasks it
    names (`charged_with`), the participants, the organizer, or the units and groups it
    names (groups expanded).

    `members`: the campaign's participants, when the caller already has them (a board
    asks for every milestone, and computing them each time would be wasted work).
    """
    if milestone.charged_with:
        return charged_units(campaign, registry, milestone.charged_with)
    if milestone.audience == "participants":
        return members if members is not None else participants(campaign, registry)
    if milestone.audience == "organizer":
        return (campaign.organizer,)
    return expand(milestone.audience, registry)


def owing(
    campaign: Campaign,
    registry: Registry,
    milestone: Milestone,
    *,
    members: tuple[str, ...] | None = None,
) -> tuple[str, ...]:
    """Units that owe what the milestone requires: its audience, but nobody when it requires
    nothing, and never the organizer (which owes itself nothing)."""
    if milestone.requirement is Requirement.NONE:
        return ()
    found = audience(campaign, registry, milestone, members=members)
    return tuple(code for code in found if code != campaign.organizer)


def charged_units(
    campaign: Campaign, registry: Registry, charges: Iterable[str]
) -> tuple[str, ...]:
    """The units the plan charges with the responsibilities whose ids are `charges`."""
    wanted = set(charges)
    return expand(
        (c for r in campaign.responsibilities if r.id in wanted for c in r.units), registry
    )


def reminded(milestone: Milestone, registry: Registry, codes: Iterable[str]) -> tuple[str, ...]:
    """The units of `codes` a reminder of `milestone` goes to: not those on the weekly
    digest, which lists what they owe instead.

    A reminder of a milestone nobody submits to (a meeting) still goes to everyone:
    the digest lists only what a unit owes, so it would not recall that date.
    """
    if milestone.requirement is Requirement.NONE:
        return tuple(codes)
    return tuple(code for code in codes if not wants_digest(registry, code))
