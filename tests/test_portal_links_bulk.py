"""A notice's whole audience gets its portal links in bulk (`thidua.portal.links.unit_urls`):
the same links `link_for` prints, each missing one issued once, and two issuers racing
for the same units end with one link per unit and the same URLs."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from thidua.config import get_settings
from thidua.portal import links
from thidua.store import portal_rows
from thidua.store.db import session_scope
from thidua.store.models import PortalLink

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def codes(count: int, prefix: str = "XA") -> list[str]:
    return [f"{prefix}{i:04d}" for i in range(count)]


def in_force(code: str) -> str:
    """The unit's link as `thidua portal link` prints it (read in a session of its own)."""
    with session_scope() as session:
        return links.unit_url(session, unit_code=code)


def link_rows() -> list[PortalLink]:
    with session_scope() as session:
        return list(session.exec(select(PortalLink).order_by(col(PortalLink.id))))


def test_bulk_prints_the_existing_links_and_issues_the_missing_ones_once(store: Engine) -> None:
    base = get_settings().portal_base_url
    units = codes(40)
    with session_scope() as session:
        # Some units already have a link; one of them was rotated (its generation 2 counts).
        existing = {code: links.link_for(session, unit_code=code, now=NOW) for code in units[:10]}
        existing[units[3]] = links.rotate(session, unit_code=units[3], now=NOW)
        # And one unit has only a revoked link: its next link is generation 2.
        links.link_for(session, unit_code=units[20], now=NOW)
        portal_rows.revoke_links(session, unit_code=units[20], at=NOW)
    with session_scope() as session:
        urls = links.unit_urls(session, unit_codes=units, now=NOW)
    assert list(urls) == units
    for code, token in existing.items():
        assert urls[code] == base + links.unit_path(token)
    rows = link_rows()
    in_force = [row for row in rows if row.revoked_at is None]
    assert sorted(row.unit_code for row in in_force) == units  # exactly one each
    assert {row.generation for row in in_force if row.unit_code == units[20]} == {2}
    assert {row.created_at for row in in_force if row.unit_code not in existing} == {NOW}
    # Printed again, one by one or in bulk: the same links, nothing new in the store.
    with session_scope() as session:
        for code in units:
            assert base + links.unit_path(links.link_for(session, unit_code=code)) == urls[code]
            opened = links.resolve(session, urls[code].rsplit("/", 1)[1])
            assert isinstance(opened, links.ResolvedLink) and opened.unit_code == code
        assert links.unit_urls(session, unit_codes=units[::-1]) == urls
    assert len(link_rows()) == len(rows)


def test_bulk_issues_more_units_than_one_statement_holds(store: Engine) -> None:
    units = codes(2300)  # past the IN lists (500) and the rows of one INSERT (1000)
    with session_scope() as session:
        urls = links.unit_urls(session, unit_codes=units, now=NOW)
    assert len(set(urls.values())) == len(units)
    with session_scope() as session:
        counted = session.exec(
            select(func.count(col(PortalLink.id))).where(col(PortalLink.revoked_at).is_(None))
        ).one()
        assert counted == len(units)
        assert links.unit_urls(session, unit_codes=units) == urls


def test_two_issuers_racing_for_the_same_units_print_the_same_links(store: Engine) -> None:
    units = codes(500)
    start = threading.Barrier(2)
    results: list[dict[str, str]] = []
    errors: list[BaseException] = []

    def issue(order: list[str]) -> None:
        try:
            start.wait(timeout=30)
            with session_scope() as session:
                results.append(links.unit_urls(session, unit_codes=order, now=NOW))
        except BaseException as exc:  # reported by the test thread, not lost in this one
            errors.append(exc)

    threads = [
        threading.Thread(target=issue, args=(units,)),
        threading.Thread(target=issue, args=(units[::-1],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(results) == 2
    assert results[0] == results[1]
    rows = link_rows()
    assert sorted(row.unit_code for row in rows) == units  # one row per unit, none lost
    assert all(row.generation == 1 and row.revoked_at is None for row in rows)
    with session_scope() as session:
        for code in units[::50]:
            url = get_settings().portal_base_url + links.unit_path(
                links.link_for(session, unit_code=code)
            )
            assert results[0][code] == url


def test_an_audiences_links_are_issued_a_chunk_at_a_time_and_committed_when_handed_out(
    store: Engine,
) -> None:
    units = codes(7)
    with session_scope() as session:
        before = links.link_for(session, unit_code=units[3], now=NOW)  # one has a link already
    audience = links.AudienceLinks(units, session_scope=session_scope, chunk=3)
    assert {row.unit_code for row in link_rows()} == {units[3]}  # nothing issued up front

    first = audience[units[0]]
    # Its chunk, in the store (read by another session) when the first link is handed out.
    assert {row.unit_code for row in link_rows()} == set(units[:4])
    assert [audience[code] for code in units[1:3]] == [in_force(code) for code in units[1:3]]
    assert audience[units[3]].endswith(before)  # the link in force, not a new one
    assert {row.unit_code for row in link_rows()} == set(units[:6])
    # Out of order (a retry starts over): the same links, none issued twice.
    assert audience[units[0]] == first
    assert audience[units[6]] == in_force(units[6])
    rows = link_rows()
    assert sorted(row.unit_code for row in rows) == units
    with pytest.raises(KeyError):
        audience["XA9999"]
