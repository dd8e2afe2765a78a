"""What happened to a campaign, read from the store for its status board.

`read_rows` reads one campaign in a handful of set-based queries (no query per unit
or per action); `thidua.board.build.build_board` joins them with the plan.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from thidua.board.rows import ActionLine, DigestMark, StoreRows, SubmissionRow
from thidua.campaign.plan import ActionKind
from thidua.ledger.failures import FAILED_STATUSES, FailureRow
from thidua.ledger.statuses import DeliveryStatus

if TYPE_CHECKING:
    from sqlmodel import Session

#: Notices to the unit itself about an occurrence it still owes; counted as reminders.
REMINDER_KINDS = (ActionKind.REMINDER.value, ActionKind.DUE.value, ActionKind.OVERDUE.value)


def read_rows(session: Session, *, code: str, unit: str | None = None) -> StoreRows | None:
    """The store's facts about campaign `code` (None if it was never recorded).

    With `unit`, delivery counts of the actions, submissions and nominations are
    that unit's only; escalations are kept whole (they go to its supervisor).
    """
    rows = _read_head(session, code, unit)
    if rows is None:
        return None
    only = None if unit is None else [unit]
    _read_reminders(session, rows, only)
    _read_submissions(session, rows, only)
    _read_nominations(session, rows, only)
    _read_failures(session, rows, unit)
    _read_digests(session, rows, unit)
    return rows


def read_head(session: Session, *, code: str) -> StoreRows | None:
    """What a board shows whole however many units it has: the campaign, its actions with
    their delivery counts (counted in SQL), the escalations (by recipient: supervisors and
    group heads) and the failed deliveries; nothing per unit beyond those. `read_units`
    then adds the facts of the units a page of the board lists (`thidua.board.page`)."""
    rows = _read_head(session, code, None)
    if rows is not None:
        _read_failures(session, rows, None)
    return rows


def read_units(session: Session, rows: StoreRows, units: Sequence[str]) -> None:
    """Add to `rows` the reminders, submissions, nominations and last weekly digests of
    `units` only (those of the campaign's units, `CampaignUnit`, as `read_rows` reads)."""
    from sqlmodel import col, select

    from thidua.ledger.digest import last_digests
    from thidua.store.models import CampaignUnit

    _read_reminders(session, rows, units)
    _read_submissions(session, rows, units)
    _read_nominations(session, rows, units)
    members: list[str] = []
    for chunk in _slices(units):
        members += session.exec(
            select(CampaignUnit.unit_code).where(
                col(CampaignUnit.campaign_code) == rows.code, col(CampaignUnit.unit_code).in_(chunk)
            )
        )
    rows.digests = {
        code: DigestMark(last.week, str(last.status), last.at)
        for chunk in _slices(members)
        for code, last in last_digests(session, chunk).items()
    }


def submission_states(session: Session, *, code: str) -> Iterator[tuple[str, str, str, str]]:
    """(milestone, occurrence, unit, timing value) of every submission of campaign `code`,
    streamed a batch at a time: a board's column counts, without a row held per unit.

    Through the Core connection and with the timing as its stored text: the ORM's rows and
    the timing's enum cost ~15 µs a submission (4 s at 100,000 units × 2.7 submissions)."""
    from sqlalchemy import String, select, type_coerce
    from sqlmodel import col

    from thidua.store.models import Submission

    query = select(
        col(Submission.milestone),
        col(Submission.occurrence),
        col(Submission.unit_code),
        type_coerce(col(Submission.timing), String),
    ).where(col(Submission.campaign_code) == code)
    connection = session.connection().execution_options(yield_per=_BATCH)
    yield from connection.execute(query).tuples()


def nomination_totals(session: Session, *, code: str) -> dict[tuple[str, str], int]:
    """(award key, nominee kind) → the campaign's nominations counting against quotas."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from thidua.ledger.quotas import COUNTED
    from thidua.store.models import Nomination

    query = (
        select(Nomination.award, Nomination.nominee_kind, func.count())
        .where(
            col(Nomination.campaign_code) == code,
            col(Nomination.status).in_([str(s) for s in COUNTED]),
        )
        .group_by(Nomination.award, Nomination.nominee_kind)
    )
    return {(a, k): n for a, k, n in session.exec(query)}


def _read_head(session: Session, code: str, unit: str | None) -> StoreRows | None:
    """The campaign, its actions (with delivery counts, `unit`'s only if given) and escalations."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from thidua.store.models import ActionRecord, CampaignRecord, Delivery

    record = session.get(CampaignRecord, code)
    if record is None:
        return None
    rows = StoreRows(code, record.title, str(record.status))

    sent, failed = _delivery_counts(session, code, unit)

    actions = select(  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns (fastapi/sqlmodel#271)
        ActionRecord.key,
        ActionRecord.milestone,
        ActionRecord.occurrence,
        ActionRecord.kind,
        ActionRecord.title,
        ActionRecord.scheduled_at,
        ActionRecord.status,
        ActionRecord.recipients,
        ActionRecord.error,
    ).where(col(ActionRecord.campaign_code) == code)
    for key, milestone, occ, kind, title, at, status, recipients, error in session.exec(
        actions.order_by(col(ActionRecord.scheduled_at), col(ActionRecord.key))
    ):
        rows.actions.append(
            ActionLine(
                at,
                title,
                str(status),
                recipients,
                sent[key],
                failed[key],
                error,
                key,
                milestone,
                occ,
                str(kind),
            )
        )

    escalations = (
        select(
            ActionRecord.milestone,
            ActionRecord.occurrence,
            Delivery.unit_code,
            func.min(Delivery.sent_at),
        )
        .join(ActionRecord, _joined())
        .where(
            col(Delivery.campaign_code) == code,
            col(Delivery.status) == DeliveryStatus.SENT,
            col(ActionRecord.kind) == ActionKind.ESCALATION.value,
        )
        .group_by(ActionRecord.milestone, ActionRecord.occurrence, Delivery.unit_code)
    )
    for m, o, recipient, at in session.exec(escalations):
        # Every sent delivery is stamped (`ledger.deliveries`); min() is None only without one.
        if at is not None:
            rows.escalations.setdefault((m, o), {})[recipient] = at
    return rows


def _joined() -> Any:
    """Deliveries joined with the action they belong to."""
    from sqlalchemy import and_
    from sqlmodel import col

    from thidua.store.models import ActionRecord, Delivery

    return and_(
        col(ActionRecord.campaign_code) == col(Delivery.campaign_code),
        col(ActionRecord.key) == col(Delivery.action_key),
    )


def _chunks(units: Sequence[str] | None) -> Iterator[Sequence[str] | None]:
    """`units` in slices a query's IN list takes (bound parameter limits); None: once, all."""
    if units is None:
        yield None
    else:
        yield from _slices(units)


def _slices(units: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(units), _MAX_IN):
        yield units[i : i + _MAX_IN]


def _read_reminders(session: Session, rows: StoreRows, units: Sequence[str] | None) -> None:
    """How many reminder actions reached each unit (of `units`; None: all) per occurrence."""
    from sqlalchemy import distinct, func
    from sqlmodel import col, select

    from thidua.store.models import ActionRecord, Delivery

    for chunk in _chunks(units):
        reminders = (
            select(
                ActionRecord.milestone,
                ActionRecord.occurrence,
                Delivery.unit_code,
                func.count(distinct(col(Delivery.action_key))),
            )
            .join(ActionRecord, _joined())
            .where(
                col(Delivery.campaign_code) == rows.code,
                col(Delivery.status) == DeliveryStatus.SENT,
                col(ActionRecord.kind).in_(REMINDER_KINDS),
            )
        )
        if chunk is not None:
            reminders = reminders.where(col(Delivery.unit_code).in_(chunk))
        reminders = reminders.group_by(
            ActionRecord.milestone, ActionRecord.occurrence, Delivery.unit_code
        )
        rows.reminders.update({(m, o, u): n for m, o, u, n in session.exec(reminders)})


def _read_submissions(session: Session, rows: StoreRows, units: Sequence[str] | None) -> None:
    from sqlmodel import col, select

    from thidua.store.models import Submission

    for chunk in _chunks(units):
        submissions = select(  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns (fastapi/sqlmodel#271)
            Submission.milestone,
            Submission.occurrence,
            Submission.unit_code,
            Submission.submitted_at,
            Submission.timing,
            Submission.figures,
        ).where(col(Submission.campaign_code) == rows.code)
        if chunk is not None:
            submissions = submissions.where(col(Submission.unit_code).in_(chunk))
        rows.submissions += [
            SubmissionRow(m, o, u, at, str(timing), figures or {})
            for m, o, u, at, timing, figures in session.exec(submissions)
        ]


def _read_nominations(session: Session, rows: StoreRows, units: Sequence[str] | None) -> None:
    """Nominations counting against quotas by (unit, award, nominee kind)."""
    from sqlalchemy import func
    from sqlmodel import col, select

    from thidua.ledger.quotas import COUNTED
    from thidua.store.models import Nomination

    for chunk in _chunks(units):
        nominations = select(
            Nomination.unit_code, Nomination.award, Nomination.nominee_kind, func.count()
        ).where(
            col(Nomination.campaign_code) == rows.code,
            col(Nomination.status).in_([str(s) for s in COUNTED]),
        )
        if chunk is not None:
            nominations = nominations.where(col(Nomination.unit_code).in_(chunk))
        nominations = nominations.group_by(
            Nomination.unit_code, Nomination.award, Nomination.nominee_kind
        )
        rows.nominations.update({(u, a, k): n for u, a, k, n in session.exec(nominations)})


def _read_digests(session: Session, rows: StoreRows, unit: str | None) -> None:
    """The last weekly digest of each of the campaign's units (they are not per campaign)."""
    from sqlmodel import col, select

    from thidua.ledger.digest import last_digests
    from thidua.store.models import CampaignUnit

    members = (
        [unit]
        if unit is not None
        else list(
            session.exec(
                select(CampaignUnit.unit_code).where(col(CampaignUnit.campaign_code) == rows.code)
            )
        )
    )
    rows.digests = {
        code: DigestMark(last.week, str(last.status), last.at)
        for code, last in last_digests(session, members).items()
    }


#: Above this many units, a filter by unit is left out of a query (bound parameter limits);
#: a page's units are asked for in slices of this size.
_MAX_IN = 5000
#: Rows fetched at a time where a query is streamed.
_BATCH = 2000


def _delivery_counts(
    session: Session, code: str, unit: str | None
) -> tuple[Counter[str], Counter[str]]:
    """Per action key: the (unit, channel) pairs reached, and those that failed.

    One count per unit and channel, however many resends (`thidua resend`) it took: a
    failure a resend made good is sent; without any sent delivery, the latest outcome
    decides, and an uncertain one counts as not reached. The sent pairs are counted in
    SQL and only the deliveries not sent are read, so a campaign of a thousand units
    reads a few rows, not every delivery.
    """
    from sqlalchemy import func
    from sqlmodel import col, select

    from thidua.store.models import Delivery

    mine = [col(Delivery.campaign_code) == code]
    if unit is not None:
        mine.append(col(Delivery.unit_code) == unit)
    is_sent = col(Delivery.status) == DeliveryStatus.SENT
    pairs = (
        select(Delivery.action_key, Delivery.unit_code, Delivery.channel)
        .where(*mine, is_sent)
        .distinct()
        .subquery()
    )
    counted = select(pairs.c.action_key, func.count()).group_by(pairs.c.action_key)
    sent: Counter[str] = Counter({key: n for key, n in session.exec(counted)})
    latest: dict[tuple[str, str, str], str] = {}
    unsent = select(Delivery.action_key, Delivery.unit_code, Delivery.channel, Delivery.status)
    for key, unit_code, channel, status in session.exec(
        unsent.where(*mine, ~is_sent).order_by(col(Delivery.id))
    ):
        latest[(key, unit_code, channel)] = str(status)
    if latest:  # which of them a resend made good
        good = select(Delivery.action_key, Delivery.unit_code, Delivery.channel).where(
            *mine, is_sent, col(Delivery.action_key).in_({k for k, _, _ in latest})
        )
        units = {u for _, u, _ in latest}
        if len(units) <= _MAX_IN:
            good = good.where(col(Delivery.unit_code).in_(units))
        # Streamed: the failing units' sent deliveries of those actions are many more than
        # the pairs asked about (~35 a failing unit here, 16 MB at 5,000 failing units).
        for triple in session.exec(good.execution_options(yield_per=_BATCH)):
            latest.pop(tuple(triple), None)  # type: ignore[arg-type]
    failed: Counter[str] = Counter(
        key
        for (key, _, _), status in latest.items()
        if status.startswith("failed") or status == DeliveryStatus.UNCERTAIN
    )
    return sent, failed


def _read_failures(session: Session, rows: StoreRows, unit: str | None) -> None:
    """Failed deliveries, and which of their (unit, action) pairs another channel reached."""
    from sqlmodel import col, select

    from thidua.store.models import Delivery

    failed = select(  # type: ignore[call-overload]  # sqlmodel types select() for at most 4 columns (fastapi/sqlmodel#271)
        Delivery.unit_code, Delivery.action_key, Delivery.channel, Delivery.status, Delivery.error
    ).where(col(Delivery.campaign_code) == rows.code, col(Delivery.status).in_(FAILED_STATUSES))
    if unit is not None:
        failed = failed.where(col(Delivery.unit_code) == unit)
    rows.failures = [
        FailureRow(u, key, channel, str(status), error)
        for u, key, channel, status, error in session.exec(
            failed.order_by(col(Delivery.unit_code), col(Delivery.action_key))
        )
    ]
    keys = sorted({f.action_key for f in rows.failures})
    if not keys:
        return
    sent = select(Delivery.unit_code, Delivery.action_key).where(
        col(Delivery.campaign_code) == rows.code,
        col(Delivery.status) == DeliveryStatus.SENT,
        col(Delivery.action_key).in_(keys),
    )
    # Only the units that failed somewhere matter, not every sent delivery of those actions.
    units = {f.unit for f in rows.failures}
    if len(units) <= _MAX_IN:
        sent = sent.where(col(Delivery.unit_code).in_(units))
    # Streamed, and only the failed pairs kept: a failing unit has a sent delivery for
    # most of those actions (~17 rows each at 5,000 failing units: 9 MB held, for a few).
    failed = {(f.unit, f.action_key) for f in rows.failures}
    rows.reached = {
        (u, key)
        for u, key in session.exec(sent.execution_options(yield_per=_BATCH))
        if (u, key) in failed
    }
