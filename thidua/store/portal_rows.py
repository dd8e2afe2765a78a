"""Reads and writes of the portal's tables: links, staff accounts, the audit log, receipts.

Keyword-only functions over the caller's session, as every `*_rows` module; committing is
the caller's job (`thidua.store.db.session_scope`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from thidua.store.models import AuditEntry, PortalLink, ReceiptRecord, StaffUser, utcnow
from thidua.store.statements import insert_for

__all__ = [
    "add_audit",
    "add_link",
    "add_links",
    "add_receipt",
    "add_staff",
    "audit_entries",
    "current_link",
    "current_links",
    "find_link",
    "get_staff",
    "latest_generation",
    "latest_generations",
    "receipts_of",
    "revoke_links",
]


#: Codes of one IN list; rows of one INSERT statement (executed for many rows).
IN_LIST = 500
INSERT_ROWS = 1000


# --- links -----------------------------------------------------------------------------


def current_link(session: Session, *, unit_code: str) -> PortalLink | None:
    """The unit's link in force (the newest not revoked), if it has one."""
    return session.exec(
        select(PortalLink)
        .where(PortalLink.unit_code == unit_code, col(PortalLink.revoked_at).is_(None))
        .order_by(col(PortalLink.generation).desc())
    ).first()


def current_links(session: Session, *, unit_codes: Sequence[str]) -> dict[str, PortalLink]:
    """`current_link` of many units at once (unit code → link), `IN_LIST` codes a query."""
    found: dict[str, PortalLink] = {}
    wanted = sorted(set(unit_codes))
    for start in range(0, len(wanted), IN_LIST):
        rows = session.exec(
            select(PortalLink)
            .where(
                col(PortalLink.unit_code).in_(wanted[start : start + IN_LIST]),
                col(PortalLink.revoked_at).is_(None),
            )
            .order_by(col(PortalLink.generation))
        )
        for row in rows:
            found[row.unit_code] = row  # ascending generations: the newest stays
    return found


def latest_generation(session: Session, *, unit_code: str) -> int:
    """The highest generation the unit's links reached, revoked or not; 0 for none."""
    row = session.exec(
        select(PortalLink.generation)
        .where(PortalLink.unit_code == unit_code)
        .order_by(col(PortalLink.generation).desc())
    ).first()
    return row or 0


def latest_generations(session: Session, *, unit_codes: Sequence[str]) -> dict[str, int]:
    """`latest_generation` of many units (unit code → generation; absent: none yet)."""
    found: dict[str, int] = {}
    wanted = sorted(set(unit_codes))
    for start in range(0, len(wanted), IN_LIST):
        rows = session.exec(
            select(PortalLink.unit_code, func.max(PortalLink.generation))
            .where(col(PortalLink.unit_code).in_(wanted[start : start + IN_LIST]))
            .group_by(col(PortalLink.unit_code))
        )
        found.update((code, int(generation)) for code, generation in rows)
    return found


def add_links(session: Session, *, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert many links at once (dicts of PortalLink's columns), skipping any that collide.

    INSERT … ON CONFLICT DO NOTHING, `INSERT_ROWS` rows a statement: a concurrent issuer's
    link for the same (unit, generation) wins and ours is dropped without an error, so
    the caller re-reads the links in force (`current_links`) to know which one counts.
    Rows are inserted in the order given; callers sort them by unit code, so two issuers
    take the rows' locks in the same order (PostgreSQL waits, never deadlocks).
    """
    session.flush()  # pending ORM changes first, so the statement sees them
    statement = insert_for(session, PortalLink).on_conflict_do_nothing()
    for start in range(0, len(rows), INSERT_ROWS):
        session.execute(statement, [dict(row) for row in rows[start : start + INSERT_ROWS]])


def add_link(session: Session, *, link: PortalLink) -> PortalLink:
    """Insert `link` under a savepoint: a concurrent twin's IntegrityError loses only it."""
    with session.begin_nested():
        session.add(link)
    return link


def revoke_links(session: Session, *, unit_code: str, at: datetime) -> int:
    """Revoke every link of the unit in force; how many."""
    rows = list(
        session.exec(
            select(PortalLink).where(
                PortalLink.unit_code == unit_code, col(PortalLink.revoked_at).is_(None)
            )
        )
    )
    for row in rows:
        row.revoked_at = at
        session.add(row)
    session.flush()
    return len(rows)


def find_link(session: Session, *, token_hash: str) -> PortalLink | None:
    return session.exec(select(PortalLink).where(PortalLink.token_hash == token_hash)).first()


# --- staff -----------------------------------------------------------------------------


def get_staff(session: Session, *, username: str) -> StaffUser | None:
    return session.get(StaffUser, username)


def add_staff(session: Session, *, user: StaffUser) -> StaffUser:
    session.add(user)
    session.flush()
    return user


# --- audit -----------------------------------------------------------------------------


def add_audit(
    session: Session,
    *,
    address: str,
    actor: str,
    action: str,
    outcome: str,
    campaign_code: str | None = None,
    unit_code: str | None = None,
    detail: str | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        at=at or utcnow(),
        address=address,
        actor=actor,
        action=action,
        outcome=outcome,
        campaign_code=campaign_code,
        unit_code=unit_code,
        detail=detail,
    )
    session.add(entry)
    session.flush()
    return entry


def audit_entries(
    session: Session, *, unit_code: str | None = None, campaign_code: str | None = None
) -> list[AuditEntry]:
    statement = select(AuditEntry).order_by(col(AuditEntry.id))
    if unit_code is not None:
        statement = statement.where(AuditEntry.unit_code == unit_code)
    if campaign_code is not None:
        statement = statement.where(AuditEntry.campaign_code == campaign_code)
    return list(session.exec(statement))


# --- receipts --------------------------------------------------------------------------


def add_receipt(
    session: Session, *, kind: str, ref_id: int, campaign_code: str, unit_code: str, at: datetime
) -> ReceiptRecord:
    """A new receipt numbered "<year>/<id:06d>" from its own row id (unique on any backend)."""
    row = ReceiptRecord(
        kind=kind, ref_id=ref_id, campaign_code=campaign_code, unit_code=unit_code, issued_at=at
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    row.number = f"{at.year}/{row.id:06d}"
    session.add(row)
    session.flush()
    return row


def receipts_of(
    session: Session, *, unit_code: str, kind: str | None = None
) -> list[ReceiptRecord]:
    statement = select(ReceiptRecord).where(ReceiptRecord.unit_code == unit_code)
    if kind is not None:
        statement = statement.where(ReceiptRecord.kind == kind)
    return list(session.exec(statement.order_by(col(ReceiptRecord.id))))
