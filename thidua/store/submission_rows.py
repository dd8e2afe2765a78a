"""Rows of the submissions: what each unit handed in for a milestone occurrence.

The rules (what may be submitted, how a duplicate is worded) live in
`thidua.ledger.submissions`; this module only reads and writes the rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from thidua.ledger.statuses import SubmissionTiming
from thidua.store.models import Submission, utcnow
from thidua.store.statements import insert_for, reload, upsert


class SubmissionTaken(Exception):
    """The unit already has a submission for this milestone occurrence (`existing`)."""

    def __init__(self, existing: Submission) -> None:
        super().__init__(existing.unit_code)
        self.existing = existing


def record_submission(
    session: Session,
    *,
    campaign_code: str,
    milestone: str,
    occurrence: str,
    unit_code: str,
    submitted_at: datetime,
    timing: SubmissionTiming | str = SubmissionTiming.ON_TIME,
    note: str | None = None,
    **fields: Any,
) -> Submission:
    """Record that a unit submitted; recording the same unit again replaces the record.

    `fields` are the other Submission columns (requirement, files, figures, source,
    recorded_by); unknown names are a TypeError.
    """
    unknown = set(fields) - set(Submission.model_fields) | ({"id"} & set(fields))
    if unknown:
        raise TypeError(f"record_submission: unknown fields {sorted(unknown)}")
    values = {
        "submitted_at": submitted_at,
        "timing": SubmissionTiming(timing).value,
        "note": note,
        "recorded_at": utcnow(),
        **fields,
    }
    return upsert(
        session,
        Submission,
        key={
            "campaign_code": campaign_code,
            "milestone": milestone,
            "occurrence": occurrence,
            "unit_code": unit_code,
        },
        insert={},
        update=values,
    )


def submitted_units(
    session: Session, *, campaign_code: str, milestone: str, occurrence: str
) -> set[str]:
    """Codes of the units that submitted for one occurrence of a milestone."""
    statement = select(Submission.unit_code).where(
        col(Submission.campaign_code) == campaign_code,
        col(Submission.milestone) == milestone,
        col(Submission.occurrence) == occurrence,
    )
    return set(session.exec(statement))


def submissions_of_unit(session: Session, *, unit_code: str) -> list[Submission]:
    """Everything one unit handed in, in every campaign (its portal page reads it at once)."""
    statement = select(Submission).where(col(Submission.unit_code) == unit_code)
    return list(session.exec(statement.order_by(col(Submission.id))))


def get_submission(
    session: Session, *, campaign_code: str, milestone: str, occurrence: str, unit_code: str
) -> Submission | None:
    """The unit's submission for one milestone occurrence, or None."""
    statement = select(Submission).where(
        col(Submission.campaign_code) == campaign_code,
        col(Submission.milestone) == milestone,
        col(Submission.occurrence) == occurrence,
        col(Submission.unit_code) == unit_code,
    )
    return session.exec(statement).first()


def add_submission(
    session: Session,
    *,
    campaign_code: str,
    milestone: str,
    occurrence: str,
    unit_code: str,
    submitted_at: datetime,
    timing: SubmissionTiming | str = SubmissionTiming.ON_TIME,
    replace: bool = False,
    **fields: Any,
) -> Submission:
    """Record a new submission; SubmissionTaken when the unit already has one, unless `replace`.

    `fields` are the other Submission columns (requirement, files, figures, source,
    recorded_by, note).
    """
    where = {
        "campaign_code": campaign_code,
        "milestone": milestone,
        "occurrence": occurrence,
        "unit_code": unit_code,
    }
    if replace:
        return record_submission(
            session, **where, submitted_at=submitted_at, timing=timing, **fields
        )
    existing = get_submission(session, **where)
    if existing is not None:
        raise SubmissionTaken(existing)
    unknown = set(fields) - set(Submission.model_fields) | ({"id"} & set(fields))
    if unknown:
        raise TypeError(f"add_submission: unknown fields {sorted(unknown)}")
    session.flush()
    # DO NOTHING, not a savepoint: a concurrent writer of the same key makes this a no-op
    # that we report as the duplicate it is (pysqlite savepoints are unreliable).
    inserted = session.exec(
        insert_for(session, Submission)
        .values(
            {
                **where,
                "submitted_at": submitted_at,
                "timing": SubmissionTiming(timing).value,
                "recorded_at": utcnow(),
                **fields,
            }
        )
        .on_conflict_do_nothing(index_elements=list(where))
        .returning(col(Submission.id))
    ).scalar()
    if inserted is None:
        existing = get_submission(session, **where)
        assert existing is not None
        raise SubmissionTaken(existing)
    return reload(session, Submission, {"id": inserted})


def submissions_for(
    session: Session,
    *,
    campaign_code: str,
    milestone: str | None = None,
    occurrence: str | None = None,
) -> list[Submission]:
    """The campaign's submissions (of one milestone / occurrence, if given), by milestone,
    occurrence, then submission time."""
    statement = select(Submission).where(col(Submission.campaign_code) == campaign_code)
    if milestone is not None:
        statement = statement.where(col(Submission.milestone) == milestone)
    if occurrence is not None:
        statement = statement.where(col(Submission.occurrence) == occurrence)
    statement = statement.order_by(
        col(Submission.milestone),
        col(Submission.occurrence),
        col(Submission.submitted_at),
        col(Submission.unit_code),
    )
    return list(session.exec(statement))
