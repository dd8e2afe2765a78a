"""The weekly digest: for a unit on it (`digest: weekly` in the registry), everything it
still owes in the next 14 days across all running campaigns, in one message a week.

A unit on the digest gets no separate reminders (`thidua.campaign.audience.reminded`);
due-today, overdue and every other notice still go to it. The digest goes out on the
first working day of the week (`first_working_day`: a Monday holiday moves it to the
Tuesday), at the notice time, and is delivered exactly once per unit, channel and ISO
week through the delivery engine, under the reserved scope `DIGEST_SCOPE` (a campaign
code no campaign can have: codes are document numbers like “641/KH-UBND”).

Everything here is core: the Prefect flow (`flows/digest.py`) and the message
(`notifications/digest.py`) call it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from thidua.campaign.audience import owing
from thidua.campaign.kinds import Requirement
from thidua.dates.hours import TZ
from thidua.dates.workdays import WorkCalendar, vietnam_calendar
from thidua.dates.written import days_left_label, format_short, weekday_name
from thidua.ledger.statuses import CampaignStatus, DeliveryStatus
from thidua.portal.campaigns import PortalCampaign
from thidua.registry import Unit, wants_digest
from thidua.store import submission_rows
from thidua.store.models import Delivery

#: The delivery scope of digests: not a campaign's (a campaign code is never “*”).
DIGEST_SCOPE = "*"
#: The action key of the weekly digest's deliveries.
DIGEST_ACTION = "ban-tin-tuan"
#: Days a digest looks ahead, the day it is sent included (Monday to the next Sunday).
WINDOW_DAYS = 14


def week_key(day: date) -> str:
    """The ISO week of `day`, the occurrence of its digest: “2026-W50”."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_label(key: str) -> str:
    """“tuần 50 năm 2026” for "2026-W50"."""
    year, _, week = key.partition("-W")
    return f"tuần {int(week)} năm {year}"


def first_working_day(day: date, calendar: WorkCalendar | None = None) -> date | None:
    """The first working day of the (Monday to Sunday) week of `day`; None for a week
    without one (a whole week of Tết holidays)."""
    calendar = calendar or vietnam_calendar()
    monday = day - timedelta(days=day.weekday())
    for n in range(7):
        candidate = monday + timedelta(days=n)
        if calendar.is_working_day(candidate):
            return candidate
    return None


def is_digest_day(day: date, calendar: WorkCalendar | None = None) -> bool:
    """Whether the weekly digest goes out on `day`."""
    return first_working_day(day, calendar) == day


@dataclass(frozen=True)
class DigestItem:
    """One occurrence a unit still owes, due within the digest's window."""

    campaign_code: str
    campaign_title: str
    campaign_ref: str  # the document: “Kế hoạch số 641/KH-UBND”
    milestone: str
    label: str  # the milestone's name as the plan writes it
    occurrence: str  # "" for a one-off milestone
    occurrence_label: str  # “quý IV/2026”, "" for a one-off
    requirement: str  # what to hand in (“báo cáo”, “số liệu chỉ tiêu”…)
    due: date
    days_left: int

    @property
    def weekday(self) -> str:
        return weekday_name(self.due)

    @property
    def due_text(self) -> str:
        """“thứ Hai, 14/12/2026”."""
        return f"{self.weekday}, {format_short(self.due)}"

    @property
    def left_text(self) -> str:
        """“còn 7 ngày”, “hôm nay”."""
        return days_left_label(self.days_left)


@dataclass(frozen=True)
class WeeklyDigest:
    """The digest of one unit for one week: what it owes from `start` to `end`."""

    unit: Unit
    week: str
    start: date
    end: date
    items: list[DigestItem] = field(default_factory=list)

    @property
    def unit_code(self) -> str:
        return self.unit.code


def _active(campaigns: Iterable[PortalCampaign]) -> list[PortalCampaign]:
    # A paused campaign sends no notice at all; the digest, which stands in for its
    # reminders, keeps quiet about it too.
    return [c for c in campaigns if c.status is CampaignStatus.ACTIVE]


def digest_units(campaigns: Iterable[PortalCampaign]) -> dict[str, Unit]:
    """Units on the weekly digest in any running campaign's registry, by code, in order."""
    found: dict[str, Unit] = {}
    for campaign in _active(campaigns):
        registry = campaign.loaded.registry
        for unit in registry:
            if unit.code not in found and wants_digest(registry, unit.code):
                found[unit.code] = unit
    return found


def weekly_digests(
    session: Session,
    campaigns: Iterable[PortalCampaign],
    *,
    now: datetime,
    units: Iterable[str] | None = None,
) -> list[WeeklyDigest]:
    """The digest of every unit on it (or of `units`), as of `now`.

    Each lists, sorted by due date, every occurrence due in the next `WINDOW_DAYS`
    days (today included) of every running campaign that the unit owes and has not
    submitted yet; a unit that owes nothing gets an empty digest (the message says so).
    """
    running = _active(campaigns)
    today = now.astimezone(TZ).date()
    end = today + timedelta(days=WINDOW_DAYS - 1)
    on_digest = digest_units(running)
    wanted = list(on_digest) if units is None else [u for u in units if u in on_digest]
    owed: dict[str, list[DigestItem]] = {code: [] for code in wanted}
    for campaign in running:
        spec, registry, plan = campaign.loaded.spec, campaign.loaded.registry, campaign.plan
        for occ in plan.occurrences:
            milestone = occ.milestone
            if not today <= occ.due <= end or milestone.requirement is Requirement.NONE:
                continue
            concerned = [
                c for c in owing(spec, registry, milestone, members=plan.participants) if c in owed
            ]
            if not concerned:
                continue
            done = submission_rows.submitted_units(
                session, campaign_code=spec.code, milestone=milestone.key, occurrence=occ.key
            )
            item = DigestItem(
                campaign_code=spec.code,
                campaign_title=spec.title,
                campaign_ref=spec.doc_reference,
                milestone=milestone.key,
                label=milestone.label,
                occurrence=occ.key,
                occurrence_label=occ.label,
                requirement=milestone.requirement.label,
                due=occ.due,
                days_left=(occ.due - today).days,
            )
            for code in concerned:
                if code not in done:
                    owed[code].append(item)
    week = week_key(today)
    return [
        WeeklyDigest(
            on_digest[code],
            week,
            today,
            end,
            sorted(owed[code], key=lambda i: (i.due, i.campaign_code, i.label)),
        )
        for code in wanted
    ]


@dataclass(frozen=True)
class LastDigest:
    """The last weekly digest delivered to a unit (over any of its channels)."""

    week: str
    status: DeliveryStatus
    at: datetime | None


def last_digests(session: Session, units: Iterable[str]) -> dict[str, LastDigest]:
    """Each unit's latest digest week and how it went: sent if any channel sent it."""
    codes = sorted(set(units))
    if not codes:
        return {}
    rows = session.exec(
        select(Delivery).where(
            col(Delivery.campaign_code) == DIGEST_SCOPE,
            col(Delivery.action_key) == DIGEST_ACTION,
            col(Delivery.unit_code).in_(codes),
        )
    )
    found: dict[str, LastDigest] = {}
    for row in rows:
        status = DeliveryStatus(row.status)
        at = row.sent_at or row.updated_at
        seen = found.get(row.unit_code)
        if seen is not None and seen.week > row.occurrence:
            continue
        if seen is not None and seen.week == row.occurrence:
            # One channel delivering is the unit reached; keep the best outcome of the week.
            if seen.status is DeliveryStatus.SENT and status is not DeliveryStatus.SENT:
                continue
            if seen.status is status and seen.at is not None and at is not None and seen.at > at:
                continue
        found[row.unit_code] = LastDigest(row.occurrence, status, at)
    return found
