"""Exactly-once delivery of a batch of messages: claim, send, finish, each durable first.

The protocol, per message and contact (a `Job`):

1. **claim**: a "pending" delivery record, committed before anything is sent. A
   message already claimed (sent, failed for good, held by a live sender) is not
   sent again (`thidua.ledger.deliveries.claim_delivery` decides, race-safe across
   threads, processes and machines).
2. **sending**: committed right before the message itself goes out (SMTP DATA, or
   the channel's request). A sender killed before it left nothing at the relay, so
   its claim is sent again; one killed after it may have delivered, and the claim
   becomes "uncertain" (only `thidua resend` repeats it).
3. **finish**: the answer (sent, failed now, failed for good, uncertain), committed
   right after it.

A sender queues the claim of its next message with its current one's "sending" mark,
so both share a group commit (`thidua.delivery.workers`): a message waits for one commit.

The sink that carries a message is passed in (`Sink`): the core does not know
channels; `thidua.tasks.actions` passes `thidua.notifications.send.send`. Writes of
a batch's threads go through one `Recorder` (group commit). Nothing here imports
Prefect: retries of a whole batch belong to its caller, and are safe because the
claims skip what was sent.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlmodel import Session, col, select

from thidua.delivery import workers
from thidua.delivery.messages import Rendered
from thidua.delivery.outcome import Outcome, Outcomes, labelled
from thidua.delivery.recorder import Pending, Recorder, depended
from thidua.ledger import deliveries
from thidua.ledger.statuses import DeliveryStatus
from thidua.store.claimers import end_attempt, new_attempt, this_process
from thidua.store.db import session_scope
from thidua.store.models import Delivery


class SinkResult(Protocol):
    """What a sink answers for one message (`thidua.notifications.send.SendResult`)."""

    @property
    def ok(self) -> bool: ...
    @property
    def permanent(self) -> bool: ...
    @property
    def error(self) -> str | None: ...
    @property
    def uncertain(self) -> bool: ...
    @property
    def claim_lost(self) -> bool: ...


class Sink(Protocol):
    """Carries one message to one contact.

    It must call `before_data` once, right before the message itself goes out, and
    send nothing (answering `claim_lost`) when it returns False.
    """

    def __call__(
        self,
        url: str,
        message: Any,
        *,
        context: dict[str, Any],
        before_data: Callable[[], bool],
    ) -> SinkResult: ...


@dataclass(frozen=True)
class Scope:
    """Whose deliveries a batch makes: one action occurrence of a campaign, one resend."""

    campaign_code: str
    action_key: str
    occurrence: str
    #: 0: the action's own run; n > 0: the n-th `thidua resend` of this occurrence.
    resend: int = 0


@dataclass(frozen=True)
class Job:
    """One message to one contact of a unit."""

    unit: str
    channel: str  # stable and secret-free: the contact's position and scheme
    url: str  # the contact as the registry writes it (with ${VARS}); the sink expands it
    message: Any  # anything with a `subject`; the sink renders the rest


@dataclass(frozen=True)
class _Failed:
    """The answer of a sink that raised: a channel bug must not leave the claim pending."""

    error: str
    ok: bool = False
    permanent: bool = False
    uncertain: bool = False
    claim_lost: bool = False


def _status(result: SinkResult) -> DeliveryStatus:
    if result.ok:
        return DeliveryStatus.SENT
    if result.uncertain:
        return DeliveryStatus.UNCERTAIN
    if result.permanent:
        return DeliveryStatus.FAILED_PERMANENT
    return DeliveryStatus.FAILED_TRANSIENT


def _claim(
    scope: Scope, job: Job, *, recorder: Recorder, lease: timedelta, claimer: str | None
) -> Pending:
    """Queue the claim of `job`; its result, once committed, is the delivery's id or None."""
    fingerprint = deliveries.contact_fingerprint(job.url)

    def claim(session: Session) -> int | None:
        delivery = deliveries.claim_delivery(
            session,
            campaign_code=scope.campaign_code,
            action_key=scope.action_key,
            occurrence=scope.occurrence,
            unit_code=job.unit,
            channel=job.channel,
            subject=job.message.subject,
            lease=lease,
            claimer=claimer,
            commit=False,
            resend=scope.resend,
            contact_fp=fingerprint,
        )
        return None if delivery is None else delivery.id

    return recorder.submit(claim)


def _send_claimed(
    scope: Scope,
    job: Job,
    claimed: Pending,
    *,
    sink: Sink,
    recorder: Recorder,
    claimer: str | None,
    before_mark: Callable[[], None] | None = None,
) -> tuple[Outcome, Pending] | None:
    """Send `job` once its queued claim is committed; None when the store says not to.

    `before_mark` runs right before the "sending" mark is queued (the batch's senders
    queue their next claim there, to share the mark's group commit).
    """
    claim_id = claimed.result()  # committed before anything of the message is prepared
    if claim_id is None:
        return None

    def before_data() -> bool:
        if before_mark is not None:
            before_mark()
        return bool(
            recorder.write(
                lambda session: deliveries.mark_sending(
                    session, delivery_id=claim_id, claimer=claimer, commit=False
                )
            )
        )

    context = {"unit": job.unit, "campaign": scope.campaign_code, "action": scope.action_key}
    result: SinkResult
    depended()  # nothing of an earlier message counts for this one
    try:
        result = sink(job.url, job.message, context=context, before_data=before_data)
    except Exception as exc:
        # Only the type is kept: an exception's text may quote the expanded URL and its secret.
        result = _Failed(error=f"lỗi chương trình khi gửi ({type(exc).__name__})")
    records = depended()  # the sink's own record of the message (the outbox's row)
    if result.claim_lost:  # taken over while connecting (lease): the new holder sends it
        return None
    status = _status(result)
    error = labelled(status, result.error)

    def finish(session: Session) -> Outcome:
        final, reason = status, error
        if status is DeliveryStatus.SENT and any(r.error is not None for r in records):
            # Its record was not committed (it runs before this write, in this group or
            # alone after a failed group): not sent, and worth another try.
            final = DeliveryStatus.FAILED_TRANSIENT
            reason = labelled(final, "không ghi được bản lưu của thư")
        deliveries.record_finish(session, delivery_id=claim_id, status=final, error=reason)
        return Outcome(job.unit, job.channel, final, reason)

    pending = recorder.submit(finish)
    return Outcome(job.unit, job.channel, status, error), pending


#: Jobs a batch takes at a time per worker thread. Bounded, so a batch holds the
#: messages of one chunk, not of its whole audience (flat memory at 100,000 units),
#: and big enough that the threads rarely wait for the chunk's slowest send.
CHUNK_PER_THREAD = 32
#: At most this many jobs a chunk: its units are one SQL IN list when reconciled.
CHUNK_MAX = 500


def deliver(
    scope: Scope,
    jobs: Iterable[Job],
    *,
    sink: Sink,
    threads: int,
    lease: timedelta,
) -> Outcomes:
    """Send every job at most once over all runs, `threads` at a time; each job's outcome.

    Jobs are taken from `jobs` in bounded chunks (a lazy iterable renders each message
    only when its chunk comes), and the outcomes are kept compact (`Outcomes`).
    Jobs this batch did not claim come back as the store records them
    (`reconcile`). Whatever happens, the batch's claimer token ends when it returns,
    so a retry (or another run) may take over the claims it left pending without
    waiting for the lease.
    """
    threads = max(1, threads)
    outcomes = Outcomes()
    claimer = new_attempt()
    queue = workers.Queue(threads)

    def claim(job: Job) -> Pending:
        return _claim(scope, job, recorder=recorder, lease=lease, claimer=claimer)

    def run(job: Job, claimed: Pending, take_next: Callable[[], None]) -> Any:
        return _send_claimed(
            scope,
            job,
            claimed,
            sink=sink,
            recorder=recorder,
            claimer=claimer,
            before_mark=take_next,
        )

    try:
        with Recorder() as recorder:
            senders = [
                threading.Thread(
                    target=workers.sender,
                    args=(queue, recorder, claim, run),
                    name=f"thidua-sender-{i}",
                    daemon=True,
                )
                for i in range(threads)
            ]
            for thread in senders:
                thread.start()
            try:
                # One chunk is sent while the next is rendered and queued behind it: the
                # threads never wait for the slowest send of a chunk, nor for rendering.
                # Each job is queued as soon as it is made (rendered), not once its chunk
                # is whole: an action's first chunk (often its only one) was rendered
                # whole before its first message went out.
                size = min(CHUNK_MAX, threads * CHUNK_PER_THREAD)
                in_flight: deque[tuple[list[Job], list[Future[Any]]]] = deque()
                chunk: list[Job] = []
                futures: list[Future[Any]] = []
                try:
                    for job in jobs:
                        chunk.append(job)
                        futures.append(queue.put(job))
                        if len(chunk) == size:
                            in_flight.append((chunk, futures))
                            chunk, futures = [], []
                            if len(in_flight) > 1:
                                outcomes.extend(_settle(scope, in_flight))
                except BaseException:
                    for future in futures:  # a message that failed to render ends the batch
                        future.cancel()
                    raise
                if chunk:
                    in_flight.append((chunk, futures))
                while in_flight:
                    outcomes.extend(_settle(scope, in_flight))
            finally:
                queue.close()
                for thread in senders:
                    thread.join()
    finally:
        end_attempt(claimer)
    return outcomes


def _settle(scope: Scope, in_flight: deque[tuple[list[Job], list[Future[Any]]]]) -> list[Outcome]:
    """The outcomes of the oldest chunk in flight, once sent and every finish committed.

    When one of its jobs failed (the store unreachable), the chunks queued behind it
    are called off before they start, as if they had never been taken.
    """
    chunk, futures = in_flight.popleft()
    results: list[Outcome | None] = []
    try:
        for future in futures:
            sent = future.result()
            if sent is None:
                results.append(None)
            else:
                _, finish = sent
                results.append(finish.result())  # durable, and as recorded, before reported
    except BaseException:
        for _, later in in_flight:
            for future in later:
                future.cancel()
        raise
    return reconcile(scope, chunk, results)


def reconcile(scope: Scope, jobs: list[Job], results: list[Outcome | None]) -> list[Outcome]:
    """The outcomes of a batch: its own, and the store's record for the jobs it did not claim.

    A retry of a batch finds its permanent failures already final: they must stay
    failures in the artifact and the report, not read "sent before". A message sent
    by an earlier attempt of this same process's run is this run's, not another's.
    Only the records of these jobs' units are read (a chunk at a time, not the scope).
    """
    if all(r is not None for r in results):
        return [r for r in results if r is not None]
    units = {job.unit for job, result in zip(jobs, results, strict=True) if result is None}
    stored = {(d.unit_code, d.channel): d for d in stored_rows(scope, units)}
    outcomes = []
    for job, result in zip(jobs, results, strict=True):
        if result is None:
            row = stored.get((job.unit, job.channel))
            result = (
                from_row(row)
                if row is not None
                else Outcome(job.unit, job.channel, DeliveryStatus.SENT, earlier=True)
            )
        outcomes.append(result)
    return outcomes


def from_row(row: Delivery) -> Outcome:
    """An outcome of a job the batch did not claim, as the store recorded it.

    `earlier` unless this process made the record (an earlier attempt of this run).
    """
    status = DeliveryStatus(row.status)
    return Outcome(
        row.unit_code,
        row.channel,
        status,
        None if status is DeliveryStatus.SENT else row.error,
        earlier=not this_process(row.claimed_by),
    )


def stored_rows(scope: Scope, units: Collection[str] | None = None) -> list[Delivery]:
    """The store's deliveries of this scope (action occurrence and resend), of `units` if given."""
    with session_scope() as session:
        if units is None:
            rows = deliveries.deliveries_for(
                session, campaign_code=scope.campaign_code, action_key=scope.action_key
            )
        else:
            rows = list(
                session.exec(
                    select(Delivery).where(
                        col(Delivery.campaign_code) == scope.campaign_code,
                        col(Delivery.action_key) == scope.action_key,
                        col(Delivery.unit_code).in_(sorted(units)),
                    )
                )
            )
    return [d for d in rows if d.occurrence == scope.occurrence and d.resend == scope.resend]


def stored_outcomes(scope: Scope) -> Outcomes:
    """Each delivery's outcome as the store recorded it (when a batch gave up before returning).

    These are the run's own deliveries, whichever of its attempts made them.
    """
    return Outcomes(
        Outcome(d.unit_code, d.channel, DeliveryStatus(d.status), d.error)
        for d in stored_rows(scope)
    )


def jobs_for(
    messages: Mapping[str, Any],
    contacts: Callable[[str], Iterable[str]],
    channel_id: Callable[[int, str], str],
    wanted: Iterable[tuple[str, str]] | None = None,
) -> Jobs:
    """A job per message and contact of its unit, only over `wanted` (unit, channel) pairs.

    Lazy and re-iterable: a message is looked up (rendered, for `Rendered` messages) as
    its jobs are reached, once per pass; a retry of the batch passes over them again.
    """
    only = None if wanted is None else {(str(u), str(c)) for u, c in wanted}
    return Jobs(messages, contacts, channel_id, only)


@dataclass(frozen=True, eq=False)
class Jobs:
    """The jobs of `jobs_for`, made as they are iterated."""

    messages: Mapping[str, Any]
    contacts: Callable[[str], Iterable[str]]
    channel_id: Callable[[int, str], str]
    only: set[tuple[str, str]] | None = None

    def __iter__(self) -> Iterator[Job]:
        # The codes come from the messages themselves: a `Rendered` renders without the
        # membership test of `[code]`, which builds a set of a big audience's codes.
        look_up = (
            self.messages.render
            if isinstance(self.messages, Rendered)
            else self.messages.__getitem__
        )
        for code in self.messages:
            wanted = [
                (self.channel_id(index, url), url)
                for index, url in enumerate(self.contacts(code))
                if self.only is None or (code, self.channel_id(index, url)) in self.only
            ]
            if wanted:  # render only messages that go somewhere
                message = look_up(code)
                for channel, url in wanted:
                    yield Job(code, channel, url, message)
