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

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from thidua.campaign.audience import audience, participants
from thidua.campaign.kinds import MilestoneKind, NomineeKind
from thidua.campaign.plan import Occurrence, occurrences
from thidua.campaign.spec import Campaign
from thidua.errors import NominationError, OutsideWindow, quote
from thidua.ledger.dossier import (
    award_key,
    check_documents,
    find_award,
    match_documents,
    name_key,
    one_line,
    parse_kind,
    store_documents,
)
from thidua.ledger.files import FileBatch
from thidua.ledger.quotas import (
    Usage,
    check_quota,
    limits_for,
    quota_usage,
)
from thidua.ledger.review import (
    InvalidTransition,
    get_nomination,
    move,
    parse_status,
)
from thidua.ledger.statuses import NominationStatus, SubmissionTiming, status_label
from thidua.ledger.timing import FUTURE_TOLERANCE, local_text, stamp, window_text
from thidua.store import nomination_rows
from thidua.store.models import Nomination, utcnow

if TYPE_CHECKING:
    from sqlmodel import Session

    from thidua.campaign.loading import LoadedCampaign
    from thidua.registry import Registry

#: The nomination ledger's public names; the dossier, the quotas and the review workflow
#: have their own modules (`dossier`, `quotas`, `review`) and are listed here for callers.
__all__ = [
    "Correction",
    "DuplicateNomination",
    "NominationInput",
    "insert_nomination",
    "list_nominations",
    "nominate",
    "nomination_occurrence",
    "resubmit",
    "unit_name",
]

S = NominationStatus


class DuplicateNomination(NominationError):
    """The same nominee was already nominated for the same achievement in this campaign."""


# --- window ---------------------------------------------------------------------------


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
            and unit in audience(spec, registry, o.milestone)
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
        raise NominationError(
            f"đơn vị {quote(unit)} không có trong danh sách đơn vị", field="unit", value=unit
        )
    if code not in members:
        raise NominationError(
            f"đơn vị {code} ({registry.unit(code).name}) không tham gia đợt thi đua {spec.code} "
            "nên không đề nghị khen thưởng trong đợt này",
            field="unit",
            value=unit,
        )
    return code


def _nominee_fields(
    kind: NomineeKind,
    name: str | None,
    achievement: str | None,
    position: str | None,
    workplace: str | None,
) -> tuple[str, str, str | None, str | None]:
    """Name, achievement, position and workplace as kept (one line each), checked for `kind`."""
    name, achievement = one_line(name), one_line(achievement)
    position, workplace = one_line(position), one_line(workplace)
    if name is None:
        raise NominationError("thiếu tên đối tượng được đề nghị", field="nominee_name")
    if achievement is None:
        raise NominationError("thiếu tóm tắt thành tích", field="achievement")
    if kind is NomineeKind.INDIVIDUAL and (position is None or workplace is None):
        missing = [
            (key, words)
            for key, words, v in (
                ("position", "chức vụ", position),
                ("workplace", "đơn vị công tác", workplace),
            )
            if v is None
        ]
        raise NominationError(
            f"đề nghị cho cá nhân “{name}” cần ghi {' và '.join(w for _, w in missing)}",
            field=missing[0][0],
            also=[key for key, _ in missing[1:]],
            value=name,
        )
    if kind is not NomineeKind.INDIVIDUAL and position is not None:
        raise NominationError(
            f"chức vụ chỉ ghi cho cá nhân, không cho {kind.label}", field="position", value=position
        )
    return name, achievement, position, workplace


def nominate(
    session: Session,
    loaded: LoadedCampaign,
    request: NominationInput,
    *,
    tz: ZoneInfo,
    now: datetime | None = None,
) -> Nomination:
    """Check a nomination against every rule and record it with its first event.

    Every check runs before anything is written (files included), so a refusal
    changes nothing. `now`: the caller's clock (the portal's, injected in tests); the
    wall clock when not given.
    """
    spec, registry = loaded.spec, loaded.registry
    unit = _unit_code(spec, registry, request.unit)
    award = find_award(spec, request.award)
    kind = parse_kind(request.kind, award)
    name, achievement, position, workplace = _nominee_fields(
        kind, request.name, request.achievement, request.position, request.workplace
    )
    documents = match_documents(award, request.documents)
    check_documents(documents)

    now = now or utcnow()
    moment = request.at or now
    if moment > now + FUTURE_TOLERANCE:
        raise NominationError(
            f"thời điểm nộp {local_text(moment, tz=tz)} chưa tới; hãy ghi lúc hồ sơ "
            "thực sự được nộp",
            field="submitted_at",
            value=moment,
        )
    occurrence = nomination_occurrence(spec, registry, unit, moment.astimezone(tz).date())
    timing = SubmissionTiming.ON_TIME
    if occurrence is not None:
        timing, _ = stamp(occurrence, moment, tz=tz)
        _refuse_outside(occurrence, timing, moment, tz)

    nomination_rows.lock_nominations(session, campaign_code=spec.code)
    nominee_key, achievement_key = name_key(name), name_key(achievement)
    earlier = nomination_rows.find_nominee(
        session,
        campaign_code=spec.code,
        nominee_kind=kind.value,
        nominee_key=nominee_key,
        achievement_key=achievement_key,
    )
    if earlier is not None:
        raise DuplicateNomination(_duplicate_message(earlier, tz, name))
    existing = nomination_rows.nominations_for(
        session, campaign_code=spec.code, award=award_key(award)
    )
    check_quota(limits_for(spec, registry, award, unit), unit, kind, existing)

    milestone = occurrence.milestone.key if occurrence else None
    occ_key = occurrence.key if occurrence else ""
    batch = FileBatch()
    stored = store_documents(
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
        return insert_nomination(session, nomination, actor=request.by or unit, tz=tz, at=now)
    except BaseException:
        batch.undo()
        raise


def insert_nomination(
    session: Session,
    nomination: Nomination,
    *,
    actor: str,
    tz: ZoneInfo,
    at: datetime | None = None,
) -> Nomination:
    """Insert with its first event; the unique key is the last guard against a duplicate.

    Two units nominating the same person at the same instant both pass the check
    above on a store without the campaign lock; the loser gets the same message.
    """
    from sqlalchemy.exc import IntegrityError

    try:
        return nomination_rows.add_nomination(session, nomination=nomination, actor=actor, at=at)
    except IntegrityError:
        session.rollback()
        earlier = nomination_rows.find_nominee(
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


@dataclass
class Correction:
    """A returned nomination as its unit hands it in again: the fields as now typed, and
    the documents that replace stored ones (item as typed, path); the others are kept."""

    name: str | None
    achievement: str | None
    position: str | None = None
    workplace: str | None = None
    documents: list[tuple[str, str]] = field(default_factory=list)
    by: str | None = None


def resubmit(
    session: Session,
    loaded: LoadedCampaign,
    nomination_id: int,
    correction: Correction,
    *,
    unit: str,
    tz: ZoneInfo,
    now: datetime | None = None,
) -> Nomination:
    """A returned nomination (trả lại) corrected and handed in again by `unit`, its own unit.

    The nominee kind and the award stay (the quota place is the one it already holds);
    the name, achievement, position and workplace follow the rules of `nominate`, and a
    corrected name or achievement must not duplicate another nomination. The move to
    “nộp lại” goes through the review workflow (`review.move`) with its event, whose
    actor is `correction.by`. Every check runs before a file is stored.
    """
    nomination = get_nomination(session, nomination_id)
    if nomination.unit_code != unit.strip().upper() or nomination.campaign_code != loaded.code:
        # Another unit's nomination is, for this unit, one that does not exist.
        raise NominationError(f"không có hồ sơ đề nghị số {nomination_id}")
    current = NominationStatus(nomination.status)
    if current is not S.RETURNED:
        raise InvalidTransition(
            f"hồ sơ số {nomination_id} đang ở trạng thái “{status_label(current)}”; chỉ hồ sơ "
            f"bị trả lại mới được nộp lại"
        )
    kind = NomineeKind(nomination.nominee_kind)
    name, achievement, position, workplace = _nominee_fields(
        kind, correction.name, correction.achievement, correction.position, correction.workplace
    )
    nomination_rows.lock_nominations(session, campaign_code=loaded.code)
    nominee_key, achievement_key = name_key(name), name_key(achievement)
    earlier = nomination_rows.find_nominee(
        session,
        campaign_code=loaded.code,
        nominee_kind=kind.value,
        nominee_key=nominee_key,
        achievement_key=achievement_key,
    )
    if earlier is not None and earlier.id != nomination.id:
        raise DuplicateNomination(_duplicate_message(earlier, tz, name))
    nomination.nominee_name, nomination.nominee_key = name, nominee_key
    nomination.achievement, nomination.achievement_key = achievement, achievement_key
    nomination.position, nomination.workplace = position, workplace
    session.add(nomination)
    session.flush()  # in the caller's transaction: a refused move below undoes it too
    return move(
        session,
        nomination_id=nomination_id,
        to=S.RESUBMITTED,
        actor=correction.by or nomination.unit_code,
        documents=correction.documents,
        loaded=loaded,
        now=now,
    )


@dataclass
class Listing:
    """Nominations as asked for (a unit's, in a status), and the quota bounds they fall under."""

    nominations: list[Nomination]
    usages: list[Usage]  # measured on every nomination of the campaign
    unit: str | None = None
    status: NominationStatus | None = None


def list_nominations(
    session: Session, loaded: LoadedCampaign, *, unit: str | None = None, status: str | None = None
) -> Listing:
    """The campaign's nominations, of one unit and in one status when asked; a NominationError
    naming the unit or status that does not exist."""
    code = unit.strip().upper() if unit else None
    if code is not None and code not in loaded.registry:
        raise NominationError(
            f"đơn vị {quote(unit)} không có trong danh sách đơn vị", field="unit", value=unit
        )
    wanted = parse_status(status) if status else None
    everything = nomination_rows.nominations_for(session, campaign_code=loaded.code)
    shown = [
        n
        for n in everything
        if (code is None or n.unit_code == code) and (wanted is None or n.status == wanted)
    ]
    usages = [
        u
        for u in quota_usage(loaded.spec, loaded.registry, everything)
        if code is None or u.limit.unit in (None, code)
    ]
    return Listing(shown, usages, code, wanted)


def unit_name(registry: Registry, code: str) -> str:
    """The unit's name, or its code when the registry no longer has it."""
    return registry.unit(code).name if code in registry else code
