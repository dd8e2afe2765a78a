"""Nominations for awards (hồ sơ đề nghị khen thưởng): dossier, window, quotas, workflow.

Pure domain rules over the store (no Prefect); `thidua.cli.nominations` is the
CLI over them and `thidua.tasks.nominations` re-checks quotas at a deadline. Rules decided
here, which the README states for admins:

- A nomination counts against its quotas until it is withdrawn (đã rút) or closed
  as not awarded (không được khen thưởng). A returned one (trả lại) still counts:
  the unit is expected to resubmit it, and its place must not be taken meanwhile.
- "Không quá 30%" is rounded down, as the Circulars apply it (the share may not be
  exceeded): 30% of 3 units allows 0 collectives, 30% of 8 people allows 2.
- `ratio_of` "units" limits collectives (tập thể) across the campaign to the ratio of
  the participating units; "headcount" limits individuals and households per
  nominating unit to the ratio of its headcount (across the campaign, against the
  participants' total headcount, when the registry gives the unit none);
  "units_and_headcount" applies both.
- `overrides` keys are unit or group codes; a unit's own entry beats its groups',
  and among several groups the largest number applies.
- The same nominee (folded name and kind) for the same achievement (folded) is one
  nomination per campaign, whatever its status: a withdrawn one blocks it too,
  because the store's unique key (uq_nominations_nominee) does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from thidua.campaign.plan import Occurrence, occurrences, participants
from thidua.campaign.spec import Award, Campaign, MilestoneKind, NomineeKind, fold
from thidua.errors import ThiduaError, quote
from thidua.ledger.files import FileBatch, FileCheckError, check_file
from thidua.ledger.submissions import FUTURE_TOLERANCE, local_text, stamp, window_text
from thidua.store import crud
from thidua.store.models import (
    Nomination,
    NominationEvent,
    NominationStatus,
    SubmissionTiming,
    utcnow,
)

if TYPE_CHECKING:
    from sqlmodel import Session

    from thidua.campaign.loading import LoadedCampaign
    from thidua.registry.units import Registry

S = NominationStatus

#: Statuses whose nominations count against quotas.
COUNTED = frozenset({S.SUBMITTED, S.RETURNED, S.RESUBMITTED, S.ACCEPTED, S.AWARDED})

STATUS_LABELS: dict[NominationStatus, str] = {
    S.SUBMITTED: "đã nộp",
    S.RETURNED: "trả lại",
    S.RESUBMITTED: "nộp lại",
    S.ACCEPTED: "đã duyệt",
    S.AWARDED: "được khen thưởng",
    S.NOT_AWARDED: "không được khen thưởng",
    S.WITHDRAWN: "đã rút",
}

#: The workflow: where a nomination may go from each status.
TRANSITIONS: dict[NominationStatus, tuple[NominationStatus, ...]] = {
    S.SUBMITTED: (S.ACCEPTED, S.RETURNED, S.WITHDRAWN),
    S.RETURNED: (S.RESUBMITTED, S.WITHDRAWN),
    # A resubmitted dossier is a submitted one again, so it may also be withdrawn.
    S.RESUBMITTED: (S.ACCEPTED, S.RETURNED, S.WITHDRAWN),
    S.ACCEPTED: (S.AWARDED, S.NOT_AWARDED),
    S.AWARDED: (),
    S.NOT_AWARDED: (),
    S.WITHDRAWN: (),
}

#: The CLI verb (`thidua nomination VERB ID`) that moves a nomination to each status.
VERBS: dict[NominationStatus, tuple[str, str]] = {
    S.RETURNED: ("return", "trả lại"),
    S.RESUBMITTED: ("resubmit", "nộp lại"),
    S.ACCEPTED: ("accept", "duyệt"),
    S.AWARDED: ("award", "khen thưởng"),
    S.NOT_AWARDED: ("reject", "không khen thưởng"),
    S.WITHDRAWN: ("withdraw", "rút"),
}

KIND_ORDER = (NomineeKind.COLLECTIVE, NomineeKind.INDIVIDUAL, NomineeKind.HOUSEHOLD)
_PEOPLE = frozenset({NomineeKind.INDIVIDUAL, NomineeKind.HOUSEHOLD})
_ALL_KINDS = frozenset(NomineeKind)

TIMING_LABELS = {
    SubmissionTiming.ON_TIME: "đúng hạn",
    SubmissionTiming.LATE: "nộp muộn",
    SubmissionTiming.EARLY: "nộp trước thời hạn",
}


# --- errors -------------------------------------------------------------------------


class NominationError(ThiduaError):
    """A nomination cannot be recorded or moved as asked; nothing was changed."""


class IncompleteDossier(NominationError):
    """The dossier lacks documents the award requires; the message lists them, numbered."""


class OutsideWindow(NominationError):
    """Handed in outside the nomination milestone's window, and the campaign refuses that."""


class QuotaExceeded(NominationError):
    """One more nomination would exceed a quota; the message names what counts against it."""


class DuplicateNomination(NominationError):
    """The same nominee was already nominated for the same achievement in this campaign."""


class DocumentRefused(FileCheckError, NominationError):
    """A dossier document's file is missing or not what it claims; names the dossier item."""

    def __init__(self, item: str, error: FileCheckError) -> None:
        super().__init__(error.path, error.reason)
        self.item = item
        self.args = (f"tài liệu “{item}”: {self}",)


class InvalidTransition(NominationError):
    """The workflow does not allow that move from the nomination's current status."""


# --- small helpers --------------------------------------------------------------------


def status_label(status: NominationStatus | str) -> str:
    """The Vietnamese label of a status: "đã nộp", "trả lại"…"""
    return STATUS_LABELS[NominationStatus(status)]


def parse_status(text: str) -> NominationStatus:
    """A status from its value or Vietnamese label ("trả lại", "tra_lai", "returned")."""
    key = fold(text)
    for status, label in STATUS_LABELS.items():
        if key in (status.value, fold(label), VERBS.get(status, ("", ""))[0]):
            return status
    allowed = ", ".join(f"“{label}” ({status.value})" for status, label in STATUS_LABELS.items())
    raise NominationError(f"trạng thái {quote(text)} không hợp lệ; dùng một trong: {allowed}")


def award_key(award: Award) -> str:
    """How a nomination names its award in the store: the code, or the folded name."""
    return award.code or fold(award.name)


def award_for_key(spec: Campaign, key: str) -> Award | None:
    """The campaign's award stored as `key`, or None when the file no longer has it."""
    return next((a for a in spec.awards if award_key(a) == key), None)


def _numbered(items: Iterable[str]) -> str:
    return "; ".join(f"{i}. {item}" for i, item in enumerate(items, 1))


def find_award(spec: Campaign, text: str) -> Award:
    """The award named by code, name or a unique prefix of its name (case, diacritics ignored)."""
    if not spec.awards:
        raise NominationError(
            f"đợt thi đua {spec.code} không có hình thức khen thưởng nào (awards) "
            "nên không nhận hồ sơ đề nghị"
        )
    key = fold(text)
    for award in spec.awards:
        if key and (key == fold(award.name) or (award.code and key == fold(award.code))):
            return award
    prefixed = [a for a in spec.awards if key and fold(a.name).startswith(key)]
    if len(prefixed) == 1:
        return prefixed[0]
    names = _numbered(a.name + (f" (mã {a.code})" if a.code else "") for a in spec.awards)
    what = "khớp với nhiều hình thức" if prefixed else "không có"
    raise NominationError(
        f"hình thức khen thưởng {quote(text)} {what} trong đợt thi đua {spec.code}; "
        f"các hình thức của đợt: {names}"
    )


def parse_kind(text: str, award: Award) -> NomineeKind:
    """The nominee kind (tập thể / cá nhân / hộ gia đình), which the award must allow."""
    try:
        kind: NomineeKind = NomineeKind.parse(text)
    except ValueError as exc:
        raise NominationError(f"loại đối tượng (--loai) {quote(text)}: {exc}") from None
    if kind not in award.nominees:
        allowed = ", ".join(k.label for k in award.nominees)
        raise NominationError(
            f"loại đối tượng (--loai) {quote(text)}: hình thức “{award.name}” không dành cho "
            f"{kind.label}; chỉ dành cho: {allowed}"
        )
    return kind


def parse_document_arg(text: str) -> tuple[str, str]:
    """Split a `--tai-lieu` value "MỤC=ĐƯỜNG-DẪN" into (item as typed, path)."""
    item, sep, path = text.partition("=")
    if not sep or not item.strip() or not path.strip():
        raise NominationError(
            f"tài liệu (--tai-lieu) {quote(text)} phải có dạng MỤC=ĐƯỜNG-DẪN, "
            "ví dụ “Tờ trình đề nghị khen thưởng=to_trinh.pdf” hoặc “1=to_trinh.pdf”"
        )
    return item.strip(), path.strip()


def match_item(award: Award, given: str) -> str:
    """The dossier item of `award` that `given` names: its number, its name, or a unique prefix."""
    dossier = award.dossier
    if not dossier:
        return given  # no list to match against: the item is named as the unit names it
    listing = _numbered(dossier)
    if given.isdigit():
        number = int(given)
        if 1 <= number <= len(dossier):
            return dossier[number - 1]
        raise NominationError(
            f"tài liệu số {given} không có: hồ sơ “{award.name}” gồm {len(dossier)} tài liệu: "
            f"{listing}"
        )
    key = fold(given)
    exact = [item for item in dossier if fold(item) == key]
    if exact:
        return exact[0]
    prefixed = [item for item in dossier if fold(item).startswith(key)]
    if len(prefixed) == 1:
        return prefixed[0]
    what = "khớp với nhiều tài liệu" if prefixed else "không có"
    raise NominationError(
        f"tài liệu {quote(given)} {what} trong hồ sơ “{award.name}”; hồ sơ gồm: {listing}"
    )


def match_documents(
    award: Award, pairs: Sequence[tuple[str, str]], *, complete: bool = True
) -> list[tuple[str, Path]]:
    """Pair each given file with its dossier item; refuse duplicates and (if `complete`) gaps."""
    chosen: dict[str, Path] = {}
    for given, path in pairs:
        item = match_item(award, given)
        if item in chosen:
            raise NominationError(f"tài liệu “{item}” được nộp hai lần ({chosen[item]} và {path})")
        chosen[item] = Path(path)
    if complete:
        missing = [(i, item) for i, item in enumerate(award.dossier, 1) if item not in chosen]
        if missing:
            lines = "\n".join(f"  {i}. {item}" for i, item in missing)
            raise IncompleteDossier(
                f"hồ sơ đề nghị “{award.name}” chưa đủ, còn thiếu {len(missing)} tài liệu:\n"
                f'{lines}\n(nộp mỗi tài liệu bằng --tai-lieu "TÊN hoặc SỐ=ĐƯỜNG-DẪN")'
            )
    order = {item: i for i, item in enumerate(award.dossier)}
    return sorted(chosen.items(), key=lambda kv: order.get(kv[0], len(order)))


# --- window ---------------------------------------------------------------------------


def audience_units(spec: Campaign, registry: Registry, audience: str | list[str]) -> set[str]:
    """Codes of the units a milestone's audience names (groups expanded)."""
    if audience == "participants":
        return set(participants(spec, registry))
    if audience == "organizer":
        return {spec.organizer}
    codes: set[str] = set()
    for code in audience:
        if code in registry.groups:
            codes.update(u.code for u in registry.members(code))
        elif code in registry:
            codes.add(registry.unit(code).code)
    return codes


def nomination_occurrence(
    spec: Campaign, registry: Registry, unit: str, day: date
) -> Occurrence | None:
    """The nomination occurrence a dossier handed in on `day` by `unit` answers, if any.

    The first one not yet past (so an early or on-time dossier), else the last one
    (a late dossier). None when no nomination milestone addresses the unit.
    """
    occs, _ = occurrences(spec)
    mine = sorted(
        (
            o
            for o in occs
            if o.milestone.kind is MilestoneKind.NOMINATION
            and unit in audience_units(spec, registry, o.milestone.audience)
        ),
        key=lambda o: o.due,
    )
    if not mine:
        return None
    return next((o for o in mine if day <= o.due), mine[-1])


def _refuse_outside(
    occurrence: Occurrence, timing: SubmissionTiming, at: datetime, tz: ZoneInfo
) -> None:
    milestone = occurrence.milestone
    if timing is SubmissionTiming.ON_TIME or milestone.late != "refuse":
        return
    where = "chưa đến" if timing is SubmissionTiming.EARLY else "đã quá"
    raise OutsideWindow(
        f"hồ sơ nộp lúc {local_text(at, tz=tz)} {where} thời hạn của mốc “{milestone.label}”: "
        f"{window_text(occurrence)}; kế hoạch không nhận hồ sơ ngoài thời hạn này"
    )


# --- quotas ---------------------------------------------------------------------------


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
            known = [registry.unit(c).headcount for c in members]
            headcount = sum(h for h in known if h is not None)
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


def quota_usage(
    spec: Campaign, registry: Registry, nominations: Sequence[Nomination]
) -> list[Usage]:
    """Each bound that the nominations' units and awards are subject to, with its count."""
    limits: dict[tuple[str, str | None, frozenset[NomineeKind]], Limit] = {}
    seen: set[tuple[str, str]] = set()
    for n in nominations:
        award = award_for_key(spec, n.award)
        if award is None or n.unit_code not in registry or (n.award, n.unit_code) in seen:
            continue  # an award or unit the files no longer have cannot be checked
        seen.add((n.award, n.unit_code))
        for limit in limits_for(spec, registry, award, n.unit_code):
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


def quota_overflows(
    spec: Campaign, registry: Registry, nominations: Sequence[Nomination]
) -> list[Usage]:
    """The bounds exceeded by the nominations as they stand (the check at the deadline)."""
    return [usage for usage in quota_usage(spec, registry, nominations) if usage.over]


def recheck(session: Session, loaded: LoadedCampaign) -> list[Usage]:
    """Re-check every quota of a campaign against its stored nominations."""
    nominations = crud.nominations_for(session, campaign_code=loaded.code)
    return quota_overflows(loaded.spec, loaded.registry, nominations)


def _check_quota(
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


# --- nominating -----------------------------------------------------------------------


@dataclass
class NominationInput:
    """What a unit hands in, as typed (the CLI's arguments)."""

    unit: str
    award: str
    kind: str
    name: str
    achievement: str
    documents: list[tuple[str, str]] = field(default_factory=list)  # (item as typed, path)
    position: str | None = None
    workplace: str | None = None
    at: datetime | None = None
    by: str | None = None


def _text(value: str | None) -> str | None:
    value = re.sub(r"\s+", " ", value or "").strip()
    return value or None


def _duplicate_message(earlier: Nomination, tz: ZoneInfo, given: str | None = None) -> str:
    # Names match ignoring case, diacritics and spacing: show both spellings when they differ.
    same = "" if given in (None, earlier.nominee_name) else f"{quote(given)} trùng với "
    return (
        f"{NomineeKind(earlier.nominee_kind).label} {same}“{earlier.nominee_name}” đã được đề nghị "
        f"với cùng thành tích trong đợt thi đua này: hồ sơ số {earlier.id} của đơn vị "
        f"{earlier.unit_code}, nộp lúc {local_text(earlier.submitted_at, tz=tz)} "
        f"({status_label(earlier.status)})"
    )


def _unit_code(spec: Campaign, registry: Registry, unit: str) -> str:
    members = participants(spec, registry)
    code = unit.strip().upper()
    if code not in registry:
        raise NominationError(f"đơn vị (--don-vi) {quote(unit)} không có trong danh sách đơn vị")
    if code not in members:
        raise NominationError(
            f"đơn vị {code} ({registry.unit(code).name}) không tham gia đợt thi đua {spec.code} "
            "nên không đề nghị khen thưởng trong đợt này"
        )
    return code


def nominate(
    session: Session,
    loaded: LoadedCampaign,
    request: NominationInput,
    *,
    tz: ZoneInfo,
) -> Nomination:
    """Check a nomination against every rule and record it with its first event.

    Every check runs before anything is written (files included), so a refusal
    changes nothing.
    """
    spec, registry = loaded.spec, loaded.registry
    unit = _unit_code(spec, registry, request.unit)
    award = find_award(spec, request.award)
    kind = parse_kind(request.kind, award)
    name, achievement = _text(request.name), _text(request.achievement)
    position, workplace = _text(request.position), _text(request.workplace)
    if name is None:
        raise NominationError("thiếu tên đối tượng được đề nghị (--ten)")
    if achievement is None:
        raise NominationError("thiếu tóm tắt thành tích (--thanh-tich)")
    if kind is NomineeKind.INDIVIDUAL and (position is None or workplace is None):
        missing = [
            f
            for f, v in (
                ("chức vụ (--chuc-vu)", position),
                ("đơn vị công tác (--noi-cong-tac)", workplace),
            )
            if v is None
        ]
        raise NominationError(f"đề nghị cho cá nhân “{name}” cần ghi {' và '.join(missing)}")
    if kind is not NomineeKind.INDIVIDUAL and position is not None:
        raise NominationError(f"chức vụ (--chuc-vu) chỉ ghi cho cá nhân, không cho {kind.label}")
    documents = match_documents(award, request.documents)
    _check_documents(documents)

    now = utcnow()
    moment = request.at or now
    if moment > now + FUTURE_TOLERANCE:
        raise NominationError(
            f"thời điểm nộp (--luc) {local_text(moment, tz=tz)} chưa tới; hãy ghi lúc hồ sơ "
            "thực sự được nộp"
        )
    occurrence = nomination_occurrence(spec, registry, unit, moment.astimezone(tz).date())
    timing = SubmissionTiming.ON_TIME
    if occurrence is not None:
        timing, _ = stamp(occurrence, moment, tz=tz)
        _refuse_outside(occurrence, timing, moment, tz)

    crud.lock_nominations(session, campaign_code=spec.code)
    nominee_key, achievement_key = fold(name), fold(achievement)
    earlier = crud.find_nominee(
        session,
        campaign_code=spec.code,
        nominee_kind=kind.value,
        nominee_key=nominee_key,
        achievement_key=achievement_key,
    )
    if earlier is not None:
        raise DuplicateNomination(_duplicate_message(earlier, tz, name))
    existing = crud.nominations_for(session, campaign_code=spec.code, award=award_key(award))
    _check_quota(limits_for(spec, registry, award, unit), unit, kind, existing)

    milestone = occurrence.milestone.key if occurrence else None
    occ_key = occurrence.key if occurrence else ""
    batch = FileBatch()
    stored = _store_documents(
        batch, documents, campaign=spec.code, milestone=milestone, occurrence=occ_key, unit=unit
    )
    nomination = Nomination(
        campaign_code=spec.code,
        unit_code=unit,
        award=award_key(award),
        nominee_kind=kind.value,
        nominee_name=name,
        nominee_key=nominee_key,
        position=position,
        workplace=workplace,
        achievement=achievement,
        achievement_key=achievement_key,
        documents=stored,
        milestone=milestone,
        occurrence=occ_key,
        timing=timing,
        status=S.SUBMITTED,
        submitted_at=moment,
    )
    try:
        return insert_nomination(session, nomination, actor=request.by or unit, tz=tz)
    except BaseException:
        batch.undo()
        raise


def _check_documents(documents: Sequence[tuple[str, Path]]) -> None:
    """Each file is what it claims; a refusal names the dossier item it was given for."""
    for item, path in documents:
        try:
            check_file(path)
        except FileCheckError as exc:
            raise DocumentRefused(item, exc) from None


def _store_documents(
    batch: FileBatch, documents: Sequence[tuple[str, Path]], **where: Any
) -> list[dict[str, Any]]:
    # A campaign without a nomination milestone still needs a folder for its dossiers.
    where["milestone"] = where["milestone"] or MilestoneKind.NOMINATION.value
    try:
        return [{"document": item, **batch.store(path, **where)} for item, path in documents]
    except BaseException:
        batch.undo()
        raise


def insert_nomination(
    session: Session, nomination: Nomination, *, actor: str, tz: ZoneInfo
) -> Nomination:
    """Insert with its first event; the unique key is the last guard against a duplicate.

    Two units nominating the same person at the same instant both pass the check
    above on a store without the campaign lock; the loser gets the same message.
    """
    from sqlalchemy.exc import IntegrityError

    try:
        return crud.add_nomination(session, nomination=nomination, actor=actor)
    except IntegrityError:
        session.rollback()
        earlier = crud.find_nominee(
            session,
            campaign_code=nomination.campaign_code,
            nominee_kind=nomination.nominee_kind,
            nominee_key=nomination.nominee_key,
            achievement_key=nomination.achievement_key,
        )
        if earlier is None:
            raise
        raise DuplicateNomination(
            _duplicate_message(earlier, tz, nomination.nominee_name)
        ) from None


# --- workflow -------------------------------------------------------------------------


def allowed_moves(status: NominationStatus) -> str:
    """ "duyệt (accept), trả lại (return), rút (withdraw)" or "không còn bước nào"."""
    moves = TRANSITIONS[NominationStatus(status)]
    if not moves:
        return "không còn bước nào (trạng thái cuối)"
    return ", ".join(f"{VERBS[s][1]} ({VERBS[s][0]})" for s in moves)


def get_nomination(session: Session, nomination_id: int) -> Nomination:
    """The nomination with this id; a NominationError when there is none."""
    # Ids are 64-bit: a longer number overflows the database driver instead of finding nothing.
    in_range = 1 <= nomination_id < 2**63
    nomination = crud.get_nomination(session, nomination_id=nomination_id) if in_range else None
    if nomination is None:
        raise NominationError(f"không có hồ sơ đề nghị số {nomination_id}")
    return nomination


def move(
    session: Session,
    *,
    nomination_id: int,
    to: NominationStatus,
    actor: str,
    reason: str | None = None,
    documents: Sequence[tuple[str, str]] = (),
    loaded: LoadedCampaign | None = None,
) -> Nomination:
    """Move a nomination along the workflow and write the event, in the session's transaction.

    Returning needs a reason; resubmitting may replace documents (then `loaded`, the
    nomination's campaign, is needed to match them against the award's dossier).
    """
    to = NominationStatus(to)
    nomination = get_nomination(session, nomination_id)
    current = NominationStatus(nomination.status)
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(
            f"hồ sơ số {nomination_id} đang ở trạng thái “{status_label(current)}”, không thể "
            f"chuyển sang “{status_label(to)}”; từ “{status_label(current)}” chỉ có thể: "
            f"{allowed_moves(current)}"
        )
    reason = _text(reason)
    if to is S.RETURNED and reason is None:
        raise NominationError(f"trả lại hồ sơ số {nomination_id} cần ghi lý do (--ly-do)")
    new_documents = None
    batch = FileBatch()
    if documents:
        if to is not S.RESUBMITTED:
            raise NominationError("chỉ khi nộp lại (resubmit) mới được thay tài liệu (--tai-lieu)")
        if loaded is None:
            raise ValueError("replacing documents needs the nomination's campaign")
        award = award_for_key(loaded.spec, nomination.award)
        if award is None:
            raise NominationError(
                f"hình thức khen thưởng “{nomination.award}” của hồ sơ số {nomination_id} "
                f"không còn trong đợt thi đua {loaded.code}"
            )
        replaced = match_documents(award, documents, complete=False)
        _check_documents(replaced)
        stored = _store_documents(
            batch,
            replaced,
            campaign=nomination.campaign_code,
            milestone=nomination.milestone,
            occurrence=nomination.occurrence,
            unit=nomination.unit_code,
        )
        kept = [d for d in nomination.documents if d["document"] not in {i for i, _ in replaced}]
        new_documents = _in_dossier_order(award, kept + stored)
    try:
        moved = crud.set_nomination_status(
            session,
            nomination_id=nomination_id,
            from_status=current,
            to_status=to,
            actor=actor,
            reason=reason,
            documents=new_documents,
        )
    except BaseException:
        batch.undo()
        raise
    if moved is None:  # someone moved it between our read and our write
        batch.undo()
        latest = get_nomination(session, nomination_id)
        raise InvalidTransition(
            f"hồ sơ số {nomination_id} vừa được chuyển sang “{status_label(latest.status)}” "
            "bởi người khác; hãy xem lại (thidua nomination history)"
        )
    return moved


def _in_dossier_order(award: Award, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    order = {item: i for i, item in enumerate(award.dossier)}
    return sorted(documents, key=lambda d: order.get(d["document"], len(order)))


def history(session: Session, nomination_id: int) -> tuple[Nomination, list[NominationEvent]]:
    """A nomination and its audit trail, oldest first."""
    nomination = get_nomination(session, nomination_id)
    return nomination, crud.nomination_events(session, nomination_id=nomination_id)


def unit_name(registry: Registry, code: str) -> str:
    """The unit's name, or its code when the registry no longer has it."""
    return registry.unit(code).name if code in registry else code
