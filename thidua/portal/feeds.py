"""The unit's calendar subscription: an iCalendar feed of all its deadlines, every campaign.

`/u/<token>/lich.ics` lists one all-day event on the effective due date of every
occurrence of every milestone the unit owes (`thidua.campaign.audience.owing`), across
the deployed campaigns of the catalog. The event's UID names the campaign, the milestone,
the occurrence and the unit, never the date, so when a plan's deadline changes the
calendar application moves the event instead of adding a second one. The catalog reloads
a campaign when its file changes, so the feed follows the plan in force.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from thidua.campaign.audience import owing
from thidua.campaign.kinds import MilestoneKind
from thidua.campaign.plan import Occurrence
from thidua.campaign.plan_output import deadline_text
from thidua.documents.icalendar import calendar, date_value, escape, utc_stamp
from thidua.portal.campaigns import PortalCampaign
from thidua.portal.guards import portal_state, unit_of
from thidua.portal.links import unit_path

__all__ = ["deadline_event", "router", "unit_calendar"]

router = APIRouter()

#: How often a calendar application should fetch the feed again (plans change rarely).
REFRESH = "PT6H"


def _form_path(token: str, campaign: PortalCampaign, occurrence: Occurrence) -> str:
    """Where the unit hands in what the occurrence asks (the nomination form or the other)."""
    kind = "de-nghi" if occurrence.milestone.kind is MilestoneKind.NOMINATION else "nop"
    return (
        f"{unit_path(token)}/{kind}/{campaign.slug}/{occurrence.milestone.key}/"
        f"{occurrence.key or '-'}"
    )


def deadline_event(
    campaign: PortalCampaign,
    occurrence: Occurrence,
    unit_code: str,
    *,
    stamp: datetime,
    url: str,
) -> list[str]:
    """The content lines of one deadline as an all-day event on its effective due date."""
    milestone = occurrence.milestone
    spec = campaign.loaded.spec
    what = milestone.label + (f" {occurrence.label}" if occurrence.label else "")
    description = (
        f"Kế hoạch số {spec.code}: {spec.title}\n"
        f"Việc phải nộp: {milestone.requirement.label}\n"
        f"Hạn nộp: {deadline_text(occurrence.due, occurrence.due_written)}\n"
        f"Nộp tại: {url}"
    )
    uid = f"{campaign.slug}/{milestone.key}/{occurrence.key or '-'}/{unit_code}@thidua"
    return [
        f"UID:{escape(uid)}",
        f"DTSTAMP:{utc_stamp(stamp)}",
        f"DTSTART;VALUE=DATE:{date_value(occurrence.due)}",
        f"DTEND;VALUE=DATE:{date_value(occurrence.due + timedelta(days=1))}",
        f"SUMMARY:{escape(f'Hạn: {what} · {spec.code}')}",
        f"DESCRIPTION:{escape(description)}",
        f"URL:{url}",
        "TRANSP:TRANSPARENT",
        f"CATEGORIES:{escape(milestone.kind.label)}",
    ]


def unit_calendar(
    campaigns: list[PortalCampaign], unit_code: str, *, now: datetime, base_url: str, token: str
) -> str:
    """The whole feed of `unit_code` over `campaigns`, deadlines in date order."""
    found: list[tuple[PortalCampaign, Occurrence]] = []
    name = unit_code
    for campaign in campaigns:
        spec, registry = campaign.loaded.spec, campaign.loaded.registry
        if unit_code not in registry:
            continue
        name = registry.unit(unit_code).name
        members = campaign.plan.participants
        found += [
            (campaign, occ)
            for occ in campaign.plan.occurrences
            if unit_code in owing(spec, registry, occ.milestone, members=members)
        ]
    found.sort(key=lambda pair: (pair[1].due, pair[0].code, pair[1].milestone.key, pair[1].key))
    events = [
        deadline_event(
            campaign, occ, unit_code, stamp=now, url=base_url + _form_path(token, campaign, occ)
        )
        for campaign, occ in found
    ]
    return calendar(
        name=f"Hạn nộp thi đua — {name}",
        prodid="-//thidua//portal//VI",
        events=events,
        properties=[
            f"REFRESH-INTERVAL;VALUE=DURATION:{REFRESH}",
            f"X-PUBLISHED-TTL:{REFRESH}",
        ],
    )


@router.get("/u/{token}/lich.ics")
def feed(request: Request, token: str) -> Response:
    link = unit_of(request, token)
    state = portal_state(request)
    text = unit_calendar(
        state.catalog.of_unit(link.unit_code),
        link.unit_code,
        now=state.now(),
        base_url=state.settings.portal_base_url,
        token=token,
    )
    return Response(
        text.encode("utf-8"),
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": 'inline; filename="lich-thi-dua.ics"',
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
        },
    )
