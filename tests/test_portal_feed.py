"""The unit's calendar subscription (/u/<token>/lich.ics): an RFC 5545 feed of every deadline
the unit owes across the deployed campaigns, with stable UIDs so that a changed plan moves
events instead of duplicating them."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

from thidua.documents.icalendar import escape, fold
from thidua.portal import links
from thidua.store.db import session_scope

from .portal_fixtures import Portal

NOW = datetime(2023, 5, 8, 2, 0, tzinfo=UTC)
SEED_FILE = "ubnd_2023_75_nam_thi_dua_ai_quoc.py"


def fetch(portal: Portal, unit: str) -> str:
    response = portal.client.get(portal.unit_path(unit) + "/lich.ics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    return response.content.decode("utf-8")


def physical_lines(text: str) -> list[str]:
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return text.split("\r\n")[:-1]


def unfolded(text: str) -> list[str]:
    """Content lines: each continuation (CRLF + one space) joined to the line before."""
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def events(text: str) -> list[dict[str, str]]:
    """Each VEVENT as {property name with parameters: value}."""
    found: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in unfolded(text):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            assert current is not None
            found.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            current[name] = value
    return found


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def test_the_feed_is_a_well_formed_calendar_of_the_units_deadlines(portal: Portal) -> None:
    portal.at(NOW)
    text = fetch(portal, "SGDDT")
    lines = physical_lines(text)
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    # Folding never cuts a UTF-8 sequence: every physical line decodes on its own.
    raw = portal.client.get(portal.unit_path("SGDDT") + "/lich.ics").content
    assert [part.decode("utf-8") for part in raw.split(b"\r\n")[:-1]] == lines
    assert any(len(line.encode()) > len(line) + 2 and line.startswith(" ") for line in lines)
    content = unfolded(text)
    assert content[:4] == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//thidua//portal//VI",
        "CALSCALE:GREGORIAN",
    ]
    assert content[-1] == "END:VCALENDAR"
    assert "X-WR-CALNAME:Hạn nộp thi đua — Sở Giáo dục và Đào tạo" in content
    assert content.count("BEGIN:VEVENT") == content.count("END:VEVENT")
    # Every content line is NAME[;PARAM=…]:VALUE and nothing else.
    assert all(re.match(r"^[A-Z][A-Z0-9-]*(;[A-Z-]+=[^:]+)*:", line) for line in content), content

    found = events(text)
    # SGDDT takes part in the 2023 plan only: its nomination dossier and its report.
    assert [(e["DTSTART;VALUE=DATE"], e["DTEND;VALUE=DATE"]) for e in found] == [
        ("20230704", "20230705"),
        ("20230710", "20230711"),
    ]
    nomination, report = found
    assert nomination["UID"] == "75nam-tdaq-kh-ubnd/ho-so-bang-khen/-/SGDDT@thidua"
    assert report["UID"] == "75nam-tdaq-kh-ubnd/bao-cao-ket-qua/-/SGDDT@thidua"
    assert all(e["DTSTAMP"] == "20230508T020000Z" for e in found)
    summary = unescape(nomination["SUMMARY"])
    assert summary == "Hạn: Nộp hồ sơ đề nghị Bằng khen (trực tuyến mức độ 4) · 75NAM-TDAQ/KH-UBND"
    description = unescape(nomination["DESCRIPTION"])
    assert description.startswith("Kế hoạch số 75NAM-TDAQ/KH-UBND: Phát động thi đua")
    assert "\nViệc phải nộp: hồ sơ đề nghị khen thưởng\n" in description
    token = portal.token("SGDDT")
    assert nomination["URL"].endswith(f"/u/{token}/de-nghi/75nam-tdaq-kh-ubnd/ho-so-bang-khen/-")
    assert report["URL"].endswith(f"/u/{token}/nop/75nam-tdaq-kh-ubnd/bao-cao-ket-qua/-")
    # The text is escaped: the title's commas and the description's line breaks.
    raw = next(line for line in content if line.startswith("DESCRIPTION:"))
    assert "\\n" in raw and "\n" not in raw
    assert not re.search(r"(?<!\\)[,;]", raw.removeprefix("DESCRIPTION:")), raw


def test_each_unit_sees_only_what_it_owes(portal: Portal) -> None:
    portal.at(NOW)
    mine = {e["UID"] for e in events(fetch(portal, "SO-A"))}
    # SO-A is in the small registry's figures campaign only: four quarterly figures
    # (the 2024 plan), the nomination dossier and the final report.
    assert mine and all(
        uid.startswith("7-kh-solieu/") and uid.endswith("/SO-A@thidua") for uid in mine
    )
    assert "7-kh-solieu/so-lieu-quy/2024-Q1/SO-A@thidua" in mine
    assert "7-kh-solieu/ho-so/-/SO-A@thidua" in mine
    # The organizer owes itself nothing.
    assert events(fetch(portal, "BTDKT")) == []


def test_a_changed_deadline_moves_the_event_under_the_same_uid(portal: Portal) -> None:
    portal.at(NOW)
    before = {e["UID"]: e for e in events(fetch(portal, "SGDDT"))}
    uid = "75nam-tdaq-kh-ubnd/bao-cao-ket-qua/-/SGDDT@thidua"
    assert before[uid]["DTSTART;VALUE=DATE"] == "20230710"

    path = portal.campaigns / SEED_FILE
    text = path.read_text(encoding="utf-8")
    assert 'when="chậm nhất ngày 10/7/2023"' in text
    path.write_text(text.replace("chậm nhất ngày 10/7/2023", "chậm nhất ngày 14/7/2023"), "utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))

    after = {e["UID"]: e for e in events(fetch(portal, "SGDDT"))}
    assert set(after) == set(before)  # moved, not duplicated
    assert after[uid]["DTSTART;VALUE=DATE"] == "20230714"
    assert after[uid]["DTEND;VALUE=DATE"] == "20230715"
    assert "14/07/2023" in unescape(after[uid]["DESCRIPTION"])


def test_a_revoked_or_unknown_link_has_no_feed(portal: Portal) -> None:
    portal.at(NOW)
    old = portal.token("SGDDT")
    with session_scope() as session:
        links.rotate(session, unit_code="SGDDT", settings=portal.settings)
    response = portal.client.get(f"/u/{old}/lich.ics")
    assert response.status_code == 404 and "đã được thay" in response.text
    assert "BEGIN:VCALENDAR" not in response.text
    assert portal.client.get(f"/u/{'B' * 43}/lich.ics").status_code == 404
    assert "BEGIN:VCALENDAR" in fetch(portal, "SGDDT")  # the new link has it


def test_escaping_and_folding_follow_rfc_5545() -> None:
    assert escape("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"
    line = "SUMMARY:" + "Đợt thi đua ái quốc " * 8
    parts = fold(line)
    assert "".join(p.removeprefix(" ") if i else p for i, p in enumerate(parts)) == line
    assert all(len(p.encode()) <= 75 for p in parts) and all(p[0] == " " for p in parts[1:])
    assert len(parts[0].encode()) >= 73  # filled up, not cut early
    assert fold("X:" + "a" * 73) == ["X:" + "a" * 73]
    assert fold("X:" + "a" * 74) == ["X:" + "a" * 73, " a"]
