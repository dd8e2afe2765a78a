"""Receipt numbers (số tiếp nhận) for what a unit hands in through the portal, and the
acknowledgement each one sends through the unit's contacts.

A receipt is written in the same transaction as the submission or nomination it numbers;
the acknowledgement goes after the commit, through the app's `Acknowledger`, keyed by the
receipt number so a retry never sends it twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from thidua.ledger.action_keys import receipt_action_key
from thidua.portal.pages import when
from thidua.portal.state import PortalState
from thidua.store import portal_rows
from thidua.store.models import ReceiptRecord

__all__ = ["acknowledge", "issue"]


def issue(
    session: Session, *, kind: str, ref_id: int, campaign_code: str, unit_code: str, at: datetime
) -> ReceiptRecord:
    """Number what was just recorded ("submission" or "nomination")."""
    return portal_rows.add_receipt(
        session, kind=kind, ref_id=ref_id, campaign_code=campaign_code, unit_code=unit_code, at=at
    )


def acknowledge(
    state: PortalState,
    receipt: ReceiptRecord,
    *,
    unit_name: str,
    campaign_ref: str,
    what: str,
    page_url: str,
) -> None:
    """Tell the unit, through its contacts, what was received, when, and under which number.

    `what` says what was handed in (“báo cáo mốc “Báo cáo kết quả” quý II/2023”);
    `campaign_ref` names the plan (“Kế hoạch số 75NAM-TDAQ/KH-UBND”).
    """
    if state.acknowledge is None:
        return
    number = receipt.number or ""
    text = (
        f"Kính gửi: {unit_name}\n\n"
        f"Ban Thi đua - Khen thưởng đã tiếp nhận {what} của đơn vị theo {campaign_ref} "
        f"lúc {when(receipt.issued_at)}, số tiếp nhận {number}.\n\n"
        f"Đơn vị xem lại những gì đã nộp và các việc còn phải nộp tại: {page_url}\n"
        "--\n"
        "Đây là giấy báo tiếp nhận do hệ thống theo dõi phong trào thi đua gửi tự động."
    )
    state.acknowledge(
        unit_code=receipt.unit_code,
        campaign_code=receipt.campaign_code,
        key=receipt_action_key(number),
        subject=f"Giấy báo tiếp nhận số {number}",
        text=text,
    )
