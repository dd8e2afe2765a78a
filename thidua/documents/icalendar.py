"""iCalendar (RFC 5545) text, the one writer every calendar of the product goes through:
the plan's (`thidua plan --format ics`, the .ics a notice carries) and the unit's
subscription feed on the portal.

Pure functions over strings: text values escaped (§3.3.11), content lines folded at 75
octets without splitting a UTF-8 character (§3.1), lines ended by CRLF.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

__all__ = ["TZID", "calendar", "date_value", "escape", "fold", "utc_stamp"]

#: Every time the product writes is Vietnam's; the zone has had no daylight saving since 1975.
TZID = "Asia/Ho_Chi_Minh"

_VTIMEZONE = (
    "BEGIN:VTIMEZONE",
    f"TZID:{TZID}",
    "BEGIN:STANDARD",
    "DTSTART:19750613T000000",
    "TZOFFSETFROM:+0700",
    "TZOFFSETTO:+0700",
    "TZNAME:+07",
    "END:STANDARD",
    "END:VTIMEZONE",
)

#: The most octets of one physical line, CRLF excluded (RFC 5545 §3.1).
LINE_OCTETS = 75


def escape(text: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, any line break as ``\\n``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def fold(line: str) -> list[str]:
    """One content line as physical lines of at most 75 octets; continuations begin with a
    space, and a multi-byte character is never cut."""
    out: list[str] = []
    current = ""
    for ch in line:
        limit = LINE_OCTETS if not out else LINE_OCTETS - 1
        if len((current + ch).encode()) > limit:
            out.append(current)
            current = ch
        else:
            current += ch
    out.append(current)
    return [out[0], *(" " + part for part in out[1:])]


def utc_stamp(moment: datetime) -> str:
    """A DATE-TIME in UTC form, e.g. 20230508T020000Z (what DTSTAMP takes)."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def date_value(day: date) -> str:
    """A DATE value, e.g. 20230704 (an all-day event's DTSTART;VALUE=DATE)."""
    return f"{day:%Y%m%d}"


def calendar(
    *,
    name: str,
    prodid: str,
    events: Iterable[Sequence[str]],
    properties: Sequence[str] = (),
) -> str:
    """A VCALENDAR named `name` (X-WR-CALNAME, escaped here) in Vietnam's time zone.

    `events`: each event's content lines, already escaped, without BEGIN/END:VEVENT;
    `properties`: more calendar properties (e.g. a refresh interval).
    """
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{prodid}",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{escape(name)}",
        f"X-WR-TIMEZONE:{TZID}",
        *properties,
        *_VTIMEZONE,
    ]
    for event in events:
        lines += ["BEGIN:VEVENT", *event, "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(part for line in lines for part in fold(line)) + "\r\n"
