"""Rows of the local outbox: messages kept instead of sent (the "outbox://" channel)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from thidua.store.models import OutboxMessage


def add_outbox_message(
    session: Session,
    *,
    mailbox: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    unit_code: str | None = None,
    campaign_code: str | None = None,
    action_key: str | None = None,
    eml_path: str | None = None,
) -> OutboxMessage:
    """Keep a message in the local outbox."""
    message = OutboxMessage(
        mailbox=mailbox,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        unit_code=unit_code,
        campaign_code=campaign_code,
        action_key=action_key,
        eml_path=None if eml_path is None else str(eml_path),
    )
    session.add(message)
    session.flush()
    return message


def outbox_messages(
    session: Session, *, mailbox: str | None = None, campaign_code: str | None = None
) -> list[OutboxMessage]:
    """Outbox messages, oldest first, optionally of one mailbox and/or campaign."""
    statement = select(OutboxMessage)
    if mailbox is not None:
        statement = statement.where(col(OutboxMessage.mailbox) == mailbox)
    if campaign_code is not None:
        statement = statement.where(col(OutboxMessage.campaign_code) == campaign_code)
    return list(session.exec(statement.order_by(col(OutboxMessage.id))))
