"""Delivery records: the exactly-once claim of each message, its finish, its resends.

A delivery is keyed by (campaign, action, occurrence, unit, channel, resend): the
action's own run uses resend 0, each `thidua resend` its own number, so a resend is
recorded as its own deliveries and never hides what the original run did.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from sqlalchemy import Boolean, TextClause, bindparam, func, text, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from thidua.ledger.statuses import DeliveryStatus
from thidua.registry.contacts import (
    _mask as mask_secrets,  # the masking `display` uses for templates
)
from thidua.store.claimers import holder_gone
from thidua.store.models import Delivery, utcnow

#: A "pending" delivery younger than this is being sent by someone else right now;
#: an older one was left in flight by a crash and may be claimed again.
CLAIM_LEASE = timedelta(minutes=10)
#: Why a delivery taken over in "sending" is uncertain (its sender stopped mid-message).
UNCERTAIN_TAKEOVER = (
    "tiến trình gửi dừng giữa chừng khi đang gửi nội dung thư; không rõ máy chủ đã nhận thư "
    "hay chưa (không tự gửi lại; gửi lại bằng lệnh thidua resend)"
)


# --- deliveries: exactly once -------------------------------------------------------

_DELIVERY_KEY = "campaign_code, action_key, occurrence, unit_code, channel, resend"
#: A first claim in one statement. Written as SQL text because SQLAlchemy never caches
#: a dialect INSERT … ON CONFLICT (it would be compiled again for every message);
#: SQLite (3.35+) and PostgreSQL both accept this exact form.
_CLAIM_INSERT = text(
    f"INSERT INTO deliveries ({_DELIVERY_KEY}, status, attempts, subject, claimed_by,"
    " contact_fp, created_at, updated_at)"
    " VALUES (:campaign_code, :action_key, :occurrence, :unit_code, :channel, :resend,"
    " :status, 1, :subject, :claimer, :contact_fp, :now, :now)"
    f" ON CONFLICT ({_DELIVERY_KEY}) DO NOTHING RETURNING id"
).bindparams(
    bindparam("status", type_=Delivery.__table__.c.status.type),  # type: ignore[attr-defined]
    bindparam("now", type_=Delivery.__table__.c.created_at.type),  # type: ignore[attr-defined]
)


def claim_delivery(
    session: Session,
    *,
    campaign_code: str,
    action_key: str,
    occurrence: str,
    unit_code: str,
    channel: str,
    subject: str | None = None,
    lease: timedelta = CLAIM_LEASE,
    claimer: str | None = None,
    commit: bool = True,
    resend: int = 0,
    contact_fp: str | None = None,
) -> Delivery | None:
    """Claim the right to send one message, in a committed transaction of its own.

    Returns the "pending" delivery to send (then call `finish_delivery`), or None
    when it must not be sent: it was sent, failed for good or was skipped, or
    another worker claimed it less than `lease` ago and is sending it now. A
    "failed_transient" delivery, or a "pending" one whose sender crashed before the
    message went out (older than `lease`, or held by a `claimer` token that
    `thidua.store.claimers` knows is gone), is handed out again to `claimer` with
    `attempts` incremented. A "failed_permanent" one is handed out again only when
    the unit's contact changed since (`contact_fp`, see `contact_fingerprint`). A
    "sending" one whose sender is gone may have arrived: it becomes "uncertain" and
    is not handed out (only `thidua resend` sends it again, as its own delivery).
    `resend` numbers the resend the delivery belongs to (0: the action's own run).

    Race-safe across threads and processes: the UNIQUE key decides who inserts,
    and the row is examined under a lock (SELECT … FOR UPDATE on PostgreSQL; the
    write lock the INSERT took on SQLite). The session's pending changes are
    committed with the claim. With ``commit=False`` the caller commits (and rolls
    back on error), e.g. to write several claims and finishes in one transaction:
    nothing may be sent before that commit.
    """
    now = utcnow()
    key: dict[str, Any] = {
        "campaign_code": campaign_code,
        "action_key": action_key,
        "occurrence": occurrence,
        "unit_code": unit_code,
        "channel": channel,
        "resend": resend,
    }
    try:
        session.flush()
        # The common case, a first claim, is this one statement.
        inserted = (
            session.connection()
            .execute(
                _CLAIM_INSERT,
                {
                    **key,
                    "status": DeliveryStatus.PENDING,
                    "subject": subject,
                    "claimer": claimer,
                    "contact_fp": contact_fp,
                    "now": now,
                },
            )
            .scalar()
        )
        delivery: Delivery | None = None
        if inserted is not None:
            delivery = Delivery(
                id=inserted,
                **key,
                status=DeliveryStatus.PENDING,
                attempts=1,
                subject=subject,
                claimed_by=claimer,
                contact_fp=contact_fp,
                created_at=now,
                updated_at=now,
            )
            # Known to be in the database: a session it is added to will not INSERT it again.
            make_transient_to_detached(delivery)
        else:
            statement = select(Delivery).filter_by(**key).with_for_update()
            delivery = session.exec(statement, execution_options={"populate_existing": True}).one()
            status = delivery.status
            stale = status in (DeliveryStatus.PENDING, DeliveryStatus.SENDING) and (
                delivery.updated_at <= now - lease or holder_gone(delivery.claimed_by)
            )
            readdressed = (
                status == DeliveryStatus.FAILED_PERMANENT
                and contact_fp is not None
                and delivery.contact_fp is not None
                and delivery.contact_fp != contact_fp
            )
            if stale and status == DeliveryStatus.SENDING:
                # Its sender stopped while the message was going out: it may have arrived.
                delivery.status = DeliveryStatus.UNCERTAIN
                delivery.error = UNCERTAIN_TAKEOVER
                delivery.updated_at = now
                session.add(delivery)
                delivery = None
            elif status == DeliveryStatus.FAILED_TRANSIENT or stale or readdressed:
                delivery.status = DeliveryStatus.PENDING
                delivery.attempts += 1
                delivery.claimed_by = claimer
                delivery.updated_at = now
                if contact_fp is not None:
                    delivery.contact_fp = contact_fp
                if subject is not None:
                    delivery.subject = subject
                session.add(delivery)
            else:
                delivery = None
        if commit:
            session.commit()
    except BaseException:
        if commit:
            session.rollback()
        raise
    return delivery


_COLUMNS = Delivery.__table__.c  # type: ignore[attr-defined]


def _mark_sending(claimer_is: str) -> TextClause:
    """The "sending" mark of a delivery claimed by `claimer_is` ("= :claimer" or "IS NULL")."""
    return text(
        "UPDATE deliveries SET status = :sending, updated_at = :now"
        f" WHERE id = :id AND status = :pending AND claimed_by {claimer_is}"
    ).bindparams(
        bindparam("sending", type_=_COLUMNS.status.type),
        bindparam("pending", type_=_COLUMNS.status.type),
        bindparam("now", type_=_COLUMNS.updated_at.type),
    )


#: The "sending" mark and the finish of the delivery engine, one statement each; SQL text
#: for the same reason as `_CLAIM_INSERT`: built once, not compiled again for each message.
_MARK_SENDING = _mark_sending("= :claimer")
_MARK_SENDING_UNCLAIMED = _mark_sending("IS NULL")
_FINISH = text(
    "UPDATE deliveries SET status = :status, error = :error, updated_at = :now,"
    " sent_at = CASE WHEN :sent THEN :now ELSE sent_at END WHERE id = :id"
).bindparams(
    bindparam("status", type_=_COLUMNS.status.type),
    bindparam("now", type_=_COLUMNS.updated_at.type),
    bindparam("sent", type_=Boolean()),
)


def mark_sending(
    session: Session, *, delivery_id: int, claimer: str | None, commit: bool = True
) -> bool:
    """Record that the claimed message is about to go out; False if the claim was taken over.

    Written (and committed) right before SMTP DATA, so that after a crash only the
    deliveries caught in "sending" may have arrived: those become "uncertain", while
    "pending" ones are sent again safely.
    """
    values: dict[str, Any] = {
        "id": delivery_id,
        "sending": DeliveryStatus.SENDING,
        "pending": DeliveryStatus.PENDING,
        "now": utcnow(),
    }
    if claimer is not None:
        values["claimer"] = claimer
    statement = _MARK_SENDING if claimer is not None else _MARK_SENDING_UNCLAIMED
    try:
        done = session.connection().execute(statement, values).rowcount == 1
        if commit:
            session.commit()
    except BaseException:
        if commit:
            session.rollback()
        raise
    return done


def record_finish(
    session: Session, *, delivery_id: int, status: DeliveryStatus, error: str | None
) -> None:
    """`finish_delivery` without reading the row back, in the caller's transaction: the
    delivery engine's finish, one UPDATE (the engine keeps its own outcome)."""
    values = {
        "id": delivery_id,
        "status": status,
        "error": error,
        "now": utcnow(),
        "sent": status is DeliveryStatus.SENT,
    }
    if session.connection().execute(_FINISH, values).rowcount != 1:
        raise LookupError(f"không có lượt gửi số {delivery_id}")


def finish_delivery(
    session: Session,
    *,
    delivery_id: int,
    status: DeliveryStatus | str,
    error: str | None = None,
    commit: bool = True,
) -> Delivery:
    """Record how a claimed delivery ended, and commit it (unless ``commit=False``)."""
    status = DeliveryStatus(status)
    now = utcnow()
    values: dict[str, Any] = {"status": status, "error": error, "updated_at": now}
    if status is DeliveryStatus.SENT:
        values["sent_at"] = now
    table = Delivery.__table__  # type: ignore[attr-defined]
    try:
        # A Core UPDATE … RETURNING: the row comes back in the same round trip, without
        # the ORM bulk-update machinery that costs several times more per message.
        statement = update(table).where(table.c.id == delivery_id).values(values)
        row = session.connection().execute(statement.returning(*table.c)).one_or_none()
        if row is None:
            raise LookupError(f"không có lượt gửi số {delivery_id}")
        delivery = session.identity_map.get(session.identity_key(Delivery, delivery_id))
        if delivery is None:
            delivery = Delivery(**row._mapping)
            make_transient_to_detached(delivery)
        else:  # the copy the session holds shows the row as it is now
            for name, value in row._mapping.items():
                set_committed_value(delivery, name, value)
        if commit:
            session.commit()
    except BaseException:
        if commit:
            session.rollback()
        raise
    return delivery


def contact_fingerprint(url: str) -> str:
    """A short, secret-free fingerprint of a contact URL template.

    Literal passwords and secret query values are masked before hashing, so the
    fingerprint changes when the address changes, never reveals a secret, and is
    the same for the same template in every process.
    """
    return hashlib.sha256(f"thidua-contact\n{mask_secrets(url)}".encode()).hexdigest()[:16]


def deliveries_for(
    session: Session, *, campaign_code: str, action_key: str | None = None
) -> list[Delivery]:
    """The campaign's deliveries (of one action, if given), oldest first."""
    statement = select(Delivery).where(col(Delivery.campaign_code) == campaign_code)
    if action_key is not None:
        statement = statement.where(col(Delivery.action_key) == action_key)
    return list(session.exec(statement.order_by(col(Delivery.id))))


# --- resends -----------------------------------------------------------------------


def next_resend(session: Session, *, campaign_code: str, action_key: str, occurrence: str) -> int:
    """The number of the next `thidua resend` of an action occurrence (1 for the first)."""
    statement = select(func.max(Delivery.resend)).where(
        col(Delivery.campaign_code) == campaign_code,
        col(Delivery.action_key) == action_key,
        col(Delivery.occurrence) == occurrence,
    )
    return int(session.exec(statement).one() or 0) + 1


def reached(
    session: Session, *, campaign_code: str, action_key: str, occurrence: str
) -> set[tuple[str, str]]:
    """(unit, channel) pairs that got this action occurrence for sure, by any run or resend.

    Failed, uncertain and never-attempted deliveries are not reached: `thidua resend`
    sends those (and the others only when asked explicitly).
    """
    statement = select(Delivery.unit_code, Delivery.channel).where(
        col(Delivery.campaign_code) == campaign_code,
        col(Delivery.action_key) == action_key,
        col(Delivery.occurrence) == occurrence,
        col(Delivery.status) == DeliveryStatus.SENT.value,
    )
    return {(unit, channel) for unit, channel in session.exec(statement)}
