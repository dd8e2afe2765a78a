"""Quotas on nominations (“không quá 30%…”): the bounds an award sets and how much of each
is used. The rules, which the README states for admins, are in `thidua.ledger.nominations`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from thidua.campaign.audience import participants
from thidua.campaign.kinds import NomineeKind
from thidua.campaign.spec import Award, Campaign
from thidua.errors import NominationError
from thidua.ledger.dossier import award_for_key, award_key
from thidua.ledger.statuses import NominationStatus, status_label
from thidua.store import nomination_rows
from thidua.store.models import Nomination

if TYPE_CHECKING:
    from sqlmodel import Session

    from thidua.campaign.loading import LoadedCampaign
    from thidua.registry import Registry

S = NominationStatus

#: Statuses whose nominations count against quotas.
COUNTED = frozenset({S.SUBMITTED, S.RETURNED, S.RESUBMITTED, S.ACCEPTED, S.AWARDED})

KIND_ORDER = (NomineeKind.COLLECTIVE, NomineeKind.INDIVIDUAL, NomineeKind.HOUSEHOLD)
_PEOPLE = frozenset({NomineeKind.INDIVIDUAL, NomineeKind.HOUSEHOLD})
_ALL_KINDS = frozenset(NomineeKind)


class QuotaExceeded(NominationError):
    """One more nomination would exceed a quota; the message names what counts against it."""


def _decimal(x: float) -> Decimal:
    # Through str, so that 0.29 × 100 is 29, not 28.999…
    return Decimal(str(x))


def _vn_number(x: Decimal) -> str:
    text = format(x.normalize(), "f")
    return text.replace(".", ",")


def _percent(ratio: float) -> str:
    return f"{_vn_number(_decimal(ratio) * 100)}%"


@dataclass(frozen=True)
class Limit:
    """One quota bound: at most `limit` nominations of `kinds` for `award`, from `unit` or all."""

    award: Award
    limit: int
    unit: str | None  # None: across the whole campaign
    kinds: frozenset[NomineeKind]
    basis: str  # how the number was found, in Vietnamese

    @property
    def label(self) -> str:
        """ "SGDDT · Bằng khen…" or "Toàn đợt · Bằng khen… · tập thể"."""
        parts = [self.unit or "Toàn đợt", self.award.name]
        if self.kinds != _ALL_KINDS:
            parts.append(", ".join(k.label for k in KIND_ORDER if k in self.kinds))
        return " · ".join(parts)

    @property
    def key(self) -> tuple[str, str | None, frozenset[NomineeKind]]:
        return (award_key(self.award), self.unit, self.kinds)

    def covers(self, unit: str, kind: NomineeKind | str) -> bool:
        """Whether a nomination of `kind` from `unit` counts against this bound."""
        return NomineeKind(kind) in self.kinds and self.unit in (None, unit)

    def counts(self, nomination: Nomination) -> bool:
        """Whether `nomination` uses up part of this bound."""
        return (
            nomination.award == award_key(self.award)
            and NominationStatus(nomination.status) in COUNTED
            and self.covers(nomination.unit_code, nomination.nominee_kind)
        )


@dataclass(frozen=True)
class Usage:
    """A bound and the nominations that count against it."""

    limit: Limit
    counted: tuple[Nomination, ...]

    @property
    def over(self) -> bool:
        return len(self.counted) > self.limit.limit

    @property
    def line(self) -> str:
        """ "SGDDT · Bằng khen…: 2/2"."""
        return f"{self.limit.label}: {len(self.counted)}/{self.limit.limit}"

    def describe(self) -> str:
        """The bound, the count, and which nominations count (Vietnamese)."""
        lim = self.limit
        return (
            f"hạn mức {lim.label}: tối đa {lim.limit} hồ sơ ({lim.basis}); "
            f"đang có {len(self.counted)} hồ sơ tính vào hạn mức: {counted_text(self.counted)}"
        )


def counted_text(nominations: Sequence[Nomination]) -> str:
    """ "số 1 Nguyễn Văn A (cá nhân, SGDDT, đã nộp); …" or "chưa có"."""
    if not nominations:
        return "chưa có"
    return "; ".join(
        f"số {n.id} {n.nominee_name} ({NomineeKind(n.nominee_kind).label}, {n.unit_code}, "
        f"{status_label(n.status)})"
        for n in nominations
    )


def _per_unit(award: Award, registry: Registry, unit: str) -> Limit | None:
    quota = award.quota
    assert quota is not None
    overrides = {code.upper(): n for code, n in quota.overrides.items()}
    if unit in overrides:
        return Limit(award, overrides[unit], unit, _ALL_KINDS, f"mức riêng của đơn vị {unit}")
    hits = [(overrides[g], g) for g in registry.unit(unit).groups if g in overrides]
    if hits:
        n, group = max(hits)
        basis = f"mức riêng của nhóm {group} ({registry.group(group).name})"
        return Limit(award, n, unit, _ALL_KINDS, basis)
    if quota.per_unit is not None:
        return Limit(award, quota.per_unit, unit, _ALL_KINDS, "mức chung cho mỗi đơn vị")
    return None


def limits_for(
    spec: Campaign,
    registry: Registry,
    award: Award,
    unit: str,
    *,
    members: Sequence[str] | None = None,
) -> list[Limit]:
    """Every quota bound a nomination for `award` from `unit` is subject to.

    `members`: the campaign's participants, when the caller has them (the status
    board asks for every unit, and computing them each time would be quadratic).
    """
    quota = award.quota
    if quota is None:
        return []
    out: list[Limit] = []
    per_unit = _per_unit(award, registry, unit)
    if per_unit is not None:
        out.append(per_unit)
    if quota.max_ratio is None:
        return out
    ratio, pct = _decimal(quota.max_ratio), _percent(quota.max_ratio)
    if members is None:
        members = participants(spec, registry)
    if quota.ratio_of in ("units", "units_and_headcount"):
        exact = ratio * len(members)
        n = int(exact.to_integral_value(ROUND_FLOOR))
        basis = (
            f"không quá {pct} số đơn vị tham gia: {pct} × {len(members)} đơn vị = "
            f"{_vn_number(exact)}, làm tròn xuống {n}"
        )
        out.append(Limit(award, n, None, frozenset({NomineeKind.COLLECTIVE}), basis))
    if quota.ratio_of in ("headcount", "units_and_headcount"):
        headcount = registry.unit(unit).headcount
        scope: str | None = unit
        what = f"quân số của đơn vị {unit}"
        if headcount is None:
            headcount = _total_headcount(registry, members)
            scope, what = None, "tổng quân số các đơn vị tham gia"
            if headcount == 0:
                raise NominationError(
                    f"không tính được hạn mức “{award.name}” (không quá {pct} quân số): "
                    "danh sách đơn vị không ghi quân số (headcount) của đơn vị tham gia nào"
                )
        exact = ratio * headcount
        n = int(exact.to_integral_value(ROUND_FLOOR))
        basis = (
            f"không quá {pct} {what}: {pct} × {headcount} người = {_vn_number(exact)}, "
            f"làm tròn xuống {n}"
        )
        out.append(Limit(award, n, scope, _PEOPLE, basis))
    return out


#: (registry, members, their total headcount) of the last `_total_headcount`: the board
#: and `quota_usage` ask `limits_for` once per unit with the same participants, and adding
#: up every member's headcount each time was quadratic in the units.
_last_total: tuple[Registry, Sequence[str], int] | None = None


def _total_headcount(registry: Registry, members: Sequence[str]) -> int:
    """The participants' headcount (units without one count 0), once per (registry, members)."""
    global _last_total
    last = _last_total
    if last is not None and last[0] is registry and last[1] is members:
        return last[2]
    known = (registry.unit(c).headcount for c in members)
    total = sum(h for h in known if h is not None)
    _last_total = (registry, members, total)
    return total


def quota_usage(
    spec: Campaign, registry: Registry, nominations: Sequence[Nomination]
) -> list[Usage]:
    """Each bound that the nominations' units and awards are subject to, with its count."""
    limits: dict[tuple[str, str | None, frozenset[NomineeKind]], Limit] = {}
    seen: set[tuple[str, str]] = set()
    members: Sequence[str] | None = None
    for n in nominations:
        award = award_for_key(spec, n.award)
        if award is None or n.unit_code not in registry or (n.award, n.unit_code) in seen:
            continue  # an award or unit the files no longer have cannot be checked
        seen.add((n.award, n.unit_code))
        if members is None:  # once, not once per nomination
            members = participants(spec, registry)
        for limit in limits_for(spec, registry, award, n.unit_code, members=members):
            limits.setdefault(limit.key, limit)
    order = {award_key(a): i for i, a in enumerate(spec.awards)}
    units = {u.code: i for i, u in enumerate(registry)}
    ordered = sorted(
        limits.values(),
        key=lambda lim: (
            order[award_key(lim.award)],
            lim.unit is not None,
            units.get(lim.unit or "", -1),
            sorted(k.value for k in lim.kinds),
        ),
    )
    return [Usage(lim, tuple(n for n in nominations if lim.counts(n))) for lim in ordered]


def usage_of(
    spec: Campaign, registry: Registry, nomination: Nomination, nominations: Sequence[Nomination]
) -> list[Usage]:
    """The bounds `nomination` counts against, with their use by `nominations` (its award's)."""
    return [
        u
        for u in quota_usage(spec, registry, nominations)
        if award_key(u.limit.award) == nomination.award
        and u.limit.covers(nomination.unit_code, nomination.nominee_kind)
    ]


def unit_usage(
    spec: Campaign, registry: Registry, unit: str, nominations: Sequence[Nomination]
) -> list[Usage]:
    """Every bound a nomination from `unit` would fall under, award by award, with its use by
    `nominations` (the campaign's): what the unit's nomination form shows."""
    ratios = any(a.quota is not None and a.quota.max_ratio is not None for a in spec.awards)
    members = participants(spec, registry) if ratios else None  # once for every award
    return [
        Usage(limit, tuple(n for n in nominations if limit.counts(n)))
        for award in spec.awards
        for limit in limits_for(spec, registry, award, unit, members=members)
    ]


def quota_overflows(
    spec: Campaign, registry: Registry, nominations: Sequence[Nomination]
) -> list[Usage]:
    """The bounds exceeded by the nominations as they stand (the check at the deadline)."""
    return [usage for usage in quota_usage(spec, registry, nominations) if usage.over]


def recheck(session: Session, loaded: LoadedCampaign) -> list[Usage]:
    """Re-check every quota of a campaign against its stored nominations."""
    nominations = nomination_rows.nominations_for(session, campaign_code=loaded.code)
    return quota_overflows(loaded.spec, loaded.registry, nominations)


def check_quota(
    limits: Sequence[Limit], unit: str, kind: NomineeKind, existing: Sequence[Nomination]
) -> None:
    for limit in limits:
        if not limit.covers(unit, kind):
            continue
        counted = [n for n in existing if limit.counts(n)]
        if len(counted) + 1 > limit.limit:
            raise QuotaExceeded(
                f"vượt hạn mức {limit.label}: tối đa {limit.limit} hồ sơ ({limit.basis}); "
                f"đã có {len(counted)} hồ sơ tính vào hạn mức: {counted_text(counted)}"
            )
