"""Reads behind the Ban's portal pages: counts per campaign, one unit's submissions, one
submission by id. Keyword-only functions over the caller's session, as every `*_rows`."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from thidua.store.models import Nomination, Submission

__all__ = ["campaign_counts", "submission_by_id", "unit_submissions"]


def campaign_counts(session: Session) -> dict[str, tuple[int, int]]:
    """campaign code → (submissions, nominations), two grouped queries for every campaign."""
    submissions = dict(
        session.exec(
            select(Submission.campaign_code, func.count()).group_by(col(Submission.campaign_code))
        ).all()
    )
    nominations = dict(
        session.exec(
            select(Nomination.campaign_code, func.count()).group_by(col(Nomination.campaign_code))
        ).all()
    )
    return {
        code: (submissions.get(code, 0), nominations.get(code, 0))
        for code in submissions.keys() | nominations.keys()
    }


def unit_submissions(session: Session, *, campaign_code: str, unit_code: str) -> list[Submission]:
    """What one unit handed in for one campaign, by milestone, occurrence, time."""
    return list(
        session.exec(
            select(Submission)
            .where(
                col(Submission.campaign_code) == campaign_code,
                col(Submission.unit_code) == unit_code,
            )
            .order_by(
                col(Submission.milestone), col(Submission.occurrence), col(Submission.submitted_at)
            )
        )
    )


def submission_by_id(session: Session, *, submission_id: int) -> Submission | None:
    """The submission with this id; None outside the 64-bit range the drivers accept."""
    if not 1 <= submission_id < 2**63:
        return None
    return session.get(Submission, submission_id)
