"""What is left of an invalid campaign, so that its cross-checks run in the same pass.

An admin should see every mistake of a file at once: a typo'd date and an unknown
unit code, not the second only after fixing the first. When field validation fails,
the parts it refused are cut away (the list item, the optional field, the mapping
key that holds the error) and what remains is validated again; a required field of
the campaign itself that is wrong is replaced by a placeholder and named in
`broken`, so that the cross-checks reading it are skipped rather than misled.

Cuts are made on the file's own data, so every location reported on the partial
campaign is translated back (`original`) to the item the admin wrote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from thidua.campaign.dsl import Declaration, Loc
from thidua.campaign.kinds import MilestoneKind
from thidua.campaign.locate import clean_loc, milestone_key

#: valid stand-ins for required fields of a campaign that failed validation
_PLACEHOLDERS: dict[str, Any] = {
    "code": "X/X",
    "title": "x",
    "issuer": "x",
    "issued": "ngày 01/01/2000",
    "period": "Từ ngày 01/01/2000 đến ngày 31/12/2000",
    "organizer": "X",
    "participants": {"units": ["X"]},
    "milestones": [{"kind": "custom", "when": "ngày 01/01/2000"}],
}
#: validating again after each round of cuts; real files need one or two
_ROUNDS = 6


@dataclass
class Salvaged:
    """A partial campaign and how it differs from what the file wrote."""

    campaign: Any  # thidua.campaign.spec.Campaign, or None when nothing could be saved
    #: the plain data the partial campaign was validated from (after the cuts)
    pruned: Any = None
    #: the campaign's own fields cut or replaced by a placeholder, plus "launch" when a
    #: milestone that may be the launch was cut and "participants" when one of its items was
    broken: frozenset[str] = frozenset()
    #: for each list that lost items: the original index of each item kept
    kept: dict[Loc, list[int]] = field(default_factory=dict)
    #: errors the first validation could not see (checks of a whole model that run only
    #: once its fields are valid), located in the file's data
    hidden: list[dict[str, Any]] = field(default_factory=list)

    def original(self, loc: Loc) -> Loc:
        """The location in the file's data of `loc` in the partial campaign."""
        out: Loc = ()
        for part in loc:
            if isinstance(part, int) and out in self.kept and part < len(self.kept[out]):
                part = self.kept[out][part]
            out = (*out, part)
        return out


def salvage(
    data: Any, where: dict[Loc, Declaration], errors: Sequence[Mapping[str, Any]]
) -> Salvaged:
    """The valid part of `data`, given the pydantic `errors` of validating it whole."""
    from pydantic import ValidationError

    from thidua.campaign import spec

    out = Salvaged(None)
    if not isinstance(data, dict):
        return out
    cuts: set[Loc] = set()
    replaced: set[str] = set()
    for round_ in range(_ROUNDS):
        new = False
        for err in errors:
            loc = out.original(clean_loc(err["loc"]))
            if round_ and not _artifact(loc, cuts, replaced):
                out.hidden.append({**err, "loc": loc})
            cut = _cut(loc, err["type"], data, where)
            if cut is None:
                return out  # an error of the campaign as a whole: nothing to cut
            if len(cut) == 1 and _required(str(cut[0])):
                if cut[0] not in _PLACEHOLDERS:
                    return out
                new |= cut[0] not in replaced
                replaced.add(str(cut[0]))
            else:
                new |= cut not in cuts
                cuts.add(cut)
        if not new:
            return out
        out.kept = {}
        pruned = _build(data, (), cuts, out.kept)
        pruned.update({name: _PLACEHOLDERS[name] for name in replaced})
        try:
            out.campaign = spec.Campaign.model_validate(pruned)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            continue
        out.pruned = pruned
        lost = replaced | _lost(data, cuts)
        if any(m.kind is MilestoneKind.LAUNCH for m in out.campaign.milestones):
            lost.discard("launch")  # the launch the cross-checks compare with is still there
        out.broken = frozenset(lost)
        return out
    return out


def _artifact(loc: Loc, cuts: set[Loc], replaced: set[str]) -> bool:
    """Whether an error of a later round comes from the cuts (a list emptied by them, …)."""
    if not loc:
        return bool(replaced)
    if loc[0] in replaced:
        return True
    return any(cut[: len(loc)] == loc for cut in cuts)


def _lost(data: dict[str, Any], cuts: set[Loc]) -> set[str]:
    """Parts whose cross-checks would be misled by the cuts."""
    lost = {str(cut[0]) for cut in cuts if len(cut) == 1}
    milestones = data.get("milestones")
    for cut in cuts:
        if cut[:1] == ("participants",) and len(cut) > 1:
            lost.add("participants")
        if len(cut) == 2 and cut[0] == "milestones" and isinstance(milestones, list):
            index = cut[1]  # a list index: the cut is one milestone
            key = None
            if isinstance(index, int) and index < len(milestones):
                key = milestone_key(milestones[index])
            if key is None or key == "launch":
                lost.add("launch")
    return lost


#: fields of a milestone its dates are read from: without one of them, its days would be
#: wrong (a yearless “15/12” without its recurrence), so the whole milestone goes
_DATE_FIELDS = {"when", "due", "opens", "recurrence", "deadline_rule", "time"}


def _cut(loc: Loc, kind: str, data: Any, where: dict[Loc, Declaration]) -> Loc | None:
    """The smallest part holding an error that can go: list item, optional field, key."""
    if len(loc) > 2 and loc[0] == "milestones" and loc[2] in _DATE_FIELDS:
        return loc[:2]
    if kind == "extra_forbidden" and loc:
        return loc
    for n in range(len(loc), 0, -1):
        part, parent = loc[n - 1], loc[: n - 1]
        container = _get(data, parent)
        if isinstance(part, int) and isinstance(container, list):
            return loc[:n]
        if not isinstance(container, dict):
            continue
        if not parent:
            return loc[:1]  # the campaign's own field: cut if optional, else a placeholder
        model = _model(parent, where)
        if model is None:
            return loc[:n]  # a plain mapping (overrides, criteria): its key can go
        info = model.model_fields.get(str(part))
        if info is None or not info.is_required():
            return loc[:n]
    return None


def _required(name: str) -> bool:
    from thidua.campaign import spec

    info = spec.Campaign.model_fields.get(name)
    return info is not None and info.is_required()


def _model(loc: Loc, where: dict[Loc, Declaration]) -> Any:
    from thidua.campaign import spec

    d = where.get(loc)
    return getattr(spec, d.model, None) if d is not None else None


def _get(data: Any, loc: Loc) -> Any:
    node = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _build(node: Any, at: Loc, cuts: set[Loc], kept: dict[Loc, list[int]]) -> Any:
    if isinstance(node, dict):
        return {k: _build(v, (*at, k), cuts, kept) for k, v in node.items() if (*at, k) not in cuts}
    if isinstance(node, list):
        indices = [i for i in range(len(node)) if (*at, i) not in cuts]
        if len(indices) != len(node):
            kept[at] = indices
        return [_build(node[i], (*at, i), cuts, kept) for i in indices]
    return node
