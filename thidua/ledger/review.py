"""The review workflow of a nomination: which moves each status allows, and making one.

Every move is checked against `TRANSITIONS` and written with its event in the
caller's transaction; a move someone else made first is refused, not overwritten.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from thidua.errors import NominationError, quote
from thidua.ledger.dossier import (
    award_for_key,
    check_documents,
    in_dossier_order,
    match_documents,
    one_line,
    store_documents,
)
from thidua.ledger.files import FileBatch
from thidua.ledger.statuses import NominationStatus, status_label
from thidua.store import nomination_rows
from thidua.store.models import Nomination, NominationEvent
from thidua.text.fold import fold_words

if TYPE_CHECKING:
    from sqlmodel import Session

    from thidua.campaign.loading import LoadedCampaign

S = NominationStatus

#: The workflow: where a nomination may go from each status.
TRANSITIONS: dict[NominationStatus, tuple[NominationStatus, ...]] = {
    S.SUBMITTED: (S.ACCEPTED, S.RETURNED, S.WITHDRAWN),
    S.RETURNED: (S.RESUBMITTED, S.WITHDRAWN),
    # A resubmitted dossier is a submitted one again, so it may also be withdrawn.
    S.RESUBMITTED: (S.ACCEPTED, S.RETURNED, S.WITHDRAWN),
    S.ACCEPTED: (S.AWARDED, S.NOT_AWARDED),
    S.AWARDED: (),
    S.NOT_AWARDED: (),
    S.WITHDRAWN: (),
}

#: The CLI verb (`thidua nomination VERB ID`) that moves a nomination to each status.
VERBS: dict[NominationStatus, tuple[str, str]] = {
    S.RETURNED: ("return", "trả lại"),
    S.RESUBMITTED: ("resubmit", "nộp lại"),
    S.ACCEPTED: ("accept", "duyệt"),
    S.AWARDED: ("award", "khen thưởng"),
    S.NOT_AWARDED: ("reject", "không khen thưởng"),
    S.WITHDRAWN: ("withdraw", "rút"),
}


class InvalidTransition(NominationError):
    """The workflow does not allow that move from the nomination's current status."""


def parse_status(text: str) -> NominationStatus:
    """A status from its value, Vietnamese label or verb ("trả lại", "tra_lai", "returned")."""
    key = fold_words(text, "_")
    for status in NominationStatus:
        if key in (status.value, fold_words(status.label, "_"), VERBS.get(status, ("", ""))[0]):
            return status
    allowed = ", ".join(f"“{status.label}” ({status.value})" for status in NominationStatus)
    raise NominationError(
        f"trạng thái {quote(text)} không hợp lệ; dùng một trong: {allowed}",
        field="status",
        value=text,
    )


def allowed_moves(status: NominationStatus) -> str:
    """ "duyệt (accept), trả lại (return), rút (withdraw)" or "không còn bước nào"."""
    moves = TRANSITIONS[NominationStatus(status)]
    if not moves:
        return "không còn bước nào (trạng thái cuối)"
    return ", ".join(f"{VERBS[s][1]} ({VERBS[s][0]})" for s in moves)


def get_nomination(session: Session, nomination_id: int) -> Nomination:
    """The nomination with this id; a NominationError when there is none."""
    # Ids are 64-bit: a longer number overflows the database driver instead of finding nothing.
    in_range = 1 <= nomination_id < 2**63
    nomination = (
        nomination_rows.get_nomination(session, nomination_id=nomination_id) if in_range else None
    )
    if nomination is None:
        raise NominationError(f"không có hồ sơ đề nghị số {nomination_id}")
    return nomination


def move(
    session: Session,
    *,
    nomination_id: int,
    to: NominationStatus,
    actor: str,
    reason: str | None = None,
    documents: Sequence[tuple[str, str]] = (),
    loaded: LoadedCampaign | None = None,
    now: datetime | None = None,
) -> Nomination:
    """Move a nomination along the workflow and write the event, in the session's transaction.

    Returning needs a reason; resubmitting may replace documents (then `loaded`, the
    nomination's campaign, is needed to match them against the award's dossier).
    `now`: the event's time (the caller's clock; the wall clock when not given).
    """
    to = NominationStatus(to)
    nomination = get_nomination(session, nomination_id)
    current = NominationStatus(nomination.status)
    if to not in TRANSITIONS[current]:
        raise InvalidTransition(
            f"hồ sơ số {nomination_id} đang ở trạng thái “{status_label(current)}”, không thể "
            f"chuyển sang “{status_label(to)}”; từ “{status_label(current)}” chỉ có thể: "
            f"{allowed_moves(current)}"
        )
    reason = one_line(reason)
    if to is S.RETURNED and reason is None:
        raise NominationError(
            f"trả lại hồ sơ số {nomination_id} cần ghi lý do", field="reason", value=reason
        )
    new_documents = None
    batch = FileBatch()
    if documents:
        if to is not S.RESUBMITTED:
            raise NominationError(
                "chỉ khi nộp lại (resubmit) mới được thay tài liệu", field="documents"
            )
        if loaded is None:
            raise ValueError("replacing documents needs the nomination's campaign")
        award = award_for_key(loaded.spec, nomination.award)
        if award is None:
            raise NominationError(
                f"hình thức khen thưởng “{nomination.award}” của hồ sơ số {nomination_id} "
                f"không còn trong đợt thi đua {loaded.code}"
            )
        replaced = match_documents(award, documents, complete=False)
        check_documents(replaced)
        stored = store_documents(
            batch,
            replaced,
            campaign=nomination.campaign_code,
            milestone=nomination.milestone,
            occurrence=nomination.occurrence,
            unit=nomination.unit_code,
        )
        kept = [d for d in nomination.documents if d["document"] not in {i for i, _ in replaced}]
        new_documents = in_dossier_order(award, kept + stored)
    try:
        moved = nomination_rows.set_nomination_status(
            session,
            nomination_id=nomination_id,
            from_status=current,
            to_status=to,
            actor=actor,
            reason=reason,
            documents=new_documents,
            at=now,
        )
    except BaseException:
        batch.undo()
        raise
    if moved is None:  # someone moved it between our read and our write
        batch.undo()
        latest = get_nomination(session, nomination_id)
        raise InvalidTransition(
            f"hồ sơ số {nomination_id} vừa được chuyển sang “{status_label(latest.status)}” "
            "bởi người khác; hãy xem lại (thidua nomination history)"
        )
    return moved


def history(session: Session, nomination_id: int) -> tuple[Nomination, list[NominationEvent]]:
    """A nomination and its audit trail, oldest first."""
    nomination = get_nomination(session, nomination_id)
    return nomination, nomination_rows.nomination_events(session, nomination_id=nomination_id)
