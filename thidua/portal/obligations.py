"""What one unit owes, across every deployed campaign, by deadline: the use case behind the
unit's page (`thidua.portal.unit_pages`), free of the web framework.

Each obligation is one occurrence of a milestone that asks the unit for something
(`thidua.campaign.audience.owing`, the definition the reminders and the board use): its
deadline, where the unit stands (the ledger's `SubmissionState`, or "trả lại" of
`NominationStatus` when a nomination came back with a reason), what it handed in with
the receipt number it got, and whether the form still accepts (a milestone with
``late="refuse"`` accepts only inside its window).

The unit's submissions, nominations and receipts are read in three queries whatever the
number of campaigns, so the page stays fast for a unit in many campaigns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from thidua.campaign.audience import owing
from thidua.campaign.kinds import Requirement
from thidua.campaign.plan import Occurrence
from thidua.ledger import review
from thidua.ledger.statuses import NominationStatus, SubmissionState, SubmissionTiming
from thidua.ledger.timing import local_zone, stamp, window_text
from thidua.portal.campaigns import PortalCampaign
from thidua.store import nomination_rows, portal_rows, submission_rows
from thidua.store.models import Nomination, ReceiptRecord, Submission

__all__ = [
    "NOMINATION",
    "NominationLine",
    "Obligation",
    "find_obligation",
    "obligations",
    "unit_name",
]

#: Requirements answered by the nomination forms (`/de-nghi/...`), not the submission form.
NOMINATION = Requirement.NOMINATION_DOSSIER

Status = SubmissionState | NominationStatus


@dataclass(frozen=True)
class NominationLine:
    """One nomination the unit made for an obligation, and why it came back, if it did."""

    id: int
    nominee: str
    status: NominationStatus
    submitted_at: datetime
    receipt: ReceiptRecord | None
    reason: str | None = None  # the Ban's reason when it was returned


@dataclass(frozen=True)
class Obligation:
    """One occurrence of one milestone the unit owes something for."""

    campaign: PortalCampaign
    occurrence: Occurrence
    status: Status
    open: bool  # whether the form accepts now
    closed_reason: str  # why it does not ("" when open)
    submission: Submission | None = None
    receipt: ReceiptRecord | None = None
    nominations: tuple[NominationLine, ...] = ()

    @property
    def campaign_code(self) -> str:
        return self.campaign.code

    @property
    def campaign_slug(self) -> str:
        return self.campaign.slug

    @property
    def campaign_title(self) -> str:
        return self.campaign.loaded.spec.title

    @property
    def campaign_ref(self) -> str:
        """“Kế hoạch số 75NAM-TDAQ/KH-UBND”."""
        return self.campaign.loaded.spec.doc_reference

    @property
    def milestone_key(self) -> str:
        return self.occurrence.milestone.key

    @property
    def milestone_label(self) -> str:
        return self.occurrence.milestone.label

    @property
    def requirement(self) -> Requirement:
        return self.occurrence.milestone.requirement

    @property
    def occurrence_key(self) -> str:
        return self.occurrence.key

    @property
    def occurrence_label(self) -> str:
        return self.occurrence.label

    @property
    def occurrence_slug(self) -> str:
        """The occurrence as URLs name it: "-" for a milestone without occurrences."""
        return self.occurrence.key or "-"

    @property
    def opens(self) -> date:
        return self.occurrence.opens

    @property
    def due(self) -> date:
        return self.occurrence.due

    @property
    def window(self) -> str:
        """“đến hết ngày 10 tháng 7 năm 2023 (thứ Hai)”."""
        return window_text(self.occurrence)

    @property
    def is_nomination(self) -> bool:
        return self.requirement is NOMINATION

    @property
    def submitted(self) -> bool:
        return self.submission is not None or bool(self.nominations)

    @property
    def status_label(self) -> str:
        """“đã nộp, đúng hạn”, “quá hạn chưa nộp”, “trả lại”…"""
        if isinstance(self.status, SubmissionState) and self.status.submitted:
            return f"đã nộp, {self.status.label}"
        return self.status.label

    @property
    def status_class(self) -> str:
        return f"status-{self.status.value}"

    @property
    def returned(self) -> tuple[NominationLine, ...]:
        return tuple(n for n in self.nominations if n.status is NominationStatus.RETURNED)

    def path(self, token: str) -> str:
        """Where the unit hands this in: the submission form or the nomination form."""
        kind = "de-nghi" if self.is_nomination else "nop"
        return f"/u/{token}/{kind}/{self.campaign_slug}/{self.milestone_key}/{self.occurrence_slug}"


@dataclass
class _UnitRows:
    """What the unit handed in, read once for all its obligations."""

    submissions: dict[tuple[str, str, str], Submission]
    nominations: dict[tuple[str, str, str], list[Nomination]]
    receipts: dict[tuple[str, int], ReceiptRecord]


def _unit_rows(session: Session, unit_code: str) -> _UnitRows:
    submissions = {
        (s.campaign_code, s.milestone, s.occurrence): s
        for s in submission_rows.submissions_of_unit(session, unit_code=unit_code)
    }
    nominations: dict[tuple[str, str, str], list[Nomination]] = {}
    for n in nomination_rows.nominations_of_unit(session, unit_code=unit_code):
        if n.milestone is not None:  # one made outside any nomination milestone owes nothing
            nominations.setdefault((n.campaign_code, n.milestone, n.occurrence), []).append(n)
    receipts = {
        (r.kind, r.ref_id): r for r in portal_rows.receipts_of(session, unit_code=unit_code)
    }
    return _UnitRows(submissions, nominations, receipts)


def _return_reason(session: Session, nomination_id: int) -> str | None:
    """The reason of the latest return (only returned nominations are asked: few)."""
    _, events = review.history(session, nomination_id)
    reasons = [e.reason for e in events if e.to_status is NominationStatus.RETURNED]
    return reasons[-1] if reasons else None


def _lines(
    session: Session, found: list[Nomination], rows: _UnitRows
) -> tuple[NominationLine, ...]:
    lines = []
    for n in found:
        assert n.id is not None
        status = NominationStatus(n.status)
        reason = _return_reason(session, n.id) if status is NominationStatus.RETURNED else None
        receipt = rows.receipts.get(("nomination", n.id))
        lines.append(NominationLine(n.id, n.nominee_name, status, n.submitted_at, receipt, reason))
    return tuple(lines)


def _obligation(
    session: Session, campaign: PortalCampaign, occ: Occurrence, rows: _UnitRows, now: datetime
) -> Obligation:
    zone = local_zone(None)
    today = now.astimezone(zone).date()
    m = occ.milestone
    key = (campaign.code, m.key, occ.key)
    timing, _ = stamp(occ, now, tz=zone)
    refused = m.late == "refuse" and timing is not SubmissionTiming.ON_TIME
    closed = f"chỉ nhận {window_text(occ)}" if refused else ""
    unsubmitted = SubmissionState.MISSING if today > occ.due else SubmissionState.PENDING
    if m.requirement is NOMINATION:
        lines = _lines(session, rows.nominations.get(key, []), rows)
        status: Status = unsubmitted
        if any(n.status is NominationStatus.RETURNED for n in lines):
            status = NominationStatus.RETURNED
        elif lines:
            status = SubmissionState(str(rows.nominations[key][-1].timing))
        return Obligation(campaign, occ, status, not refused, closed, nominations=lines)
    sub = rows.submissions.get(key)
    if sub is None:
        return Obligation(campaign, occ, unsubmitted, not refused, closed)
    assert sub.id is not None
    return Obligation(
        campaign,
        occ,
        SubmissionState(str(sub.timing)),
        False,
        "đơn vị đã nộp",
        submission=sub,
        receipt=rows.receipts.get(("submission", sub.id)),
    )


def _owed(campaign: PortalCampaign, unit_code: str) -> list[Occurrence]:
    """The campaign's occurrences whose milestone asks the unit for something."""
    spec, registry, plan = campaign.loaded.spec, campaign.loaded.registry, campaign.plan
    if unit_code not in registry:
        return []
    asked: dict[str, bool] = {}
    out = []
    for occ in plan.occurrences:
        m = occ.milestone
        if m.key not in asked:
            asked[m.key] = unit_code in owing(spec, registry, m, members=plan.participants)
        if asked[m.key]:
            out.append(occ)
    return out


def obligations(
    catalog_campaigns: Iterable[PortalCampaign], session: Session, *, unit_code: str, now: datetime
) -> list[Obligation]:
    """Everything `unit_code` owes in the campaigns given, by effective deadline."""
    rows = _unit_rows(session, unit_code)
    found = [
        _obligation(session, campaign, occ, rows, now)
        for campaign in catalog_campaigns
        for occ in _owed(campaign, unit_code)
    ]
    found.sort(key=lambda o: (o.due, o.opens, o.campaign_code, o.milestone_key, o.occurrence_key))
    return found


def find_obligation(
    campaign: PortalCampaign,
    session: Session,
    *,
    unit_code: str,
    milestone: str,
    occurrence: str,
    now: datetime,
) -> Obligation | None:
    """The one obligation a form is for; None when the unit owes nothing there.

    `occurrence` is as URLs name it ("-" for a milestone without occurrences)."""
    wanted = "" if occurrence == "-" else occurrence
    for occ in _owed(campaign, unit_code):
        if occ.milestone.key == milestone and occ.key == wanted:
            return _obligation(session, campaign, occ, _unit_rows(session, unit_code), now)
    return None


def unit_name(campaigns: Iterable[PortalCampaign], unit_code: str) -> str:
    """The unit's name as the registry of its campaigns writes it; its code without one."""
    for campaign in campaigns:
        if unit_code in campaign.loaded.registry:
            return campaign.loaded.registry.unit(unit_code).name
    return unit_code
