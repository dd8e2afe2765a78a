"""Prefect tasks of an action run: load, gate, resolve the audience, render, deliver, record.

Each task does one thing and calls into the `thidua` core or `notifications`; the
flow in `flows/action.py` only strings them together. Task results stay in memory
(no result persistence, no input caching): an action run is cheap to redo, and
the delivery records in the store are what make a redo safe.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.tasks import exponential_backoff
from sqlmodel import Session
from thidua.notifications.attachments import attachments_for
from thidua.notifications.render import Message, launch_deadlines, render
from thidua.notifications.send import SendResult, SMTPPool, channel_id, send
from thidua.tasks.outcomes import failed_units, warn_failures
from thidua.tasks.recorder import Recorder as _Recorder

from thidua.board.view import label as status_label
from thidua.campaign.loading import LoadedCampaign, load_campaign
from thidua.campaign.plan import Action, ActionKind, Plan, compile_plan, participants
from thidua.campaign.schedule import catchup_exceeded
from thidua.clock import now as clock_now
from thidua.config import get_settings
from thidua.dates.hours import TZ, deferral_note
from thidua.dates.sendtime import DEFERRED_FOR_HOURS, SYSTEM_DOWN, run_name_at
from thidua.dates.written import format_short, weekday_name
from thidua.errors import StoreUnavailable
from thidua.store import crud
from thidua.store.claimers import end_attempt, new_attempt, this_process
from thidua.store.db import session_scope

#: Action kinds that only go to units that still owe what the milestone requires.
ONLY_MISSING = {ActionKind.REMINDER, ActionKind.DUE, ActionKind.OVERDUE}


@dataclass
class ActionContext:
    """A loaded campaign, its compiled plan and the one action being run."""

    loaded: LoadedCampaign
    plan: Plan
    action: Action

    @property
    def code(self) -> str:
        return self.loaded.code


@dataclass
class Audience:
    """Who receives this run's notice, and who is still missing for the milestone."""

    recipients: list[str]
    missing: list[str] = field(default_factory=list)
    submitted: int = 0
    total: int = 0


@dataclass
class Outcome:
    """The result for one unit and one of its contacts."""

    unit: str
    channel: str
    status: str  # sent | skipped | failed_transient | failed_permanent | uncertain | already_sent
    error: str | None = None


class TransientDeliveryError(RuntimeError):
    """Some deliveries failed in a way worth retrying (the task's retries will)."""


def store_was_unreachable(task: Any, task_run: Any, state: Any) -> bool:
    """Retry condition: the state store could not be reached (a restart, a failover)."""
    return isinstance(state.data, StoreUnavailable)


#: Tasks that only read or write the store retry when it is briefly unreachable; any
#: other error (a bug, a broken template) fails at once, so the organizer hears of it.
STORE_RETRIES: dict[str, Any] = {
    "retries": 4,
    "retry_delay_seconds": exponential_backoff(backoff_factor=2 * get_settings().retry_seconds),
    "retry_condition_fn": store_was_unreachable,
}


@task(cache_policy=NO_CACHE)
def load_action(campaign_file: str, action_key: str) -> ActionContext | None:
    """Load the campaign file and find the action; None when it no longer exists."""
    loaded = load_campaign(Path(campaign_file))
    plan = compile_plan(loaded.spec, loaded.registry, notice_time=get_settings().notice_time)
    action = next((a for a in plan.actions if a.key == action_key), None)
    return ActionContext(loaded, plan, action) if action else None


@task(cache_policy=NO_CACHE, **STORE_RETRIES)
def open_gate(
    ctx: ActionContext,
    *,
    flow_run_id: str | None,
    scheduled_for: datetime,
    now: datetime,
    deferred_to: datetime | None = None,
    hold: bool = False,
    dropped: str | None = None,
) -> str | None:
    """Record the run as started; the reason not to send (paused, cancelled, too late) or None.

    A run deferred out of working hours counts its lateness from `deferred_to`: the
    deferral itself must not make the action too late to send. With `hold` (the
    caller is about to defer the send) an open gate records nothing. `dropped` is
    why the notice has nothing true left to say (its deadline passed): the action
    is recorded as skipped with that reason.
    """
    with session_scope() as session:
        record = crud.get_campaign(session, code=ctx.code)
        if record is not None and record.status != "active":
            reason = {"paused": "chiến dịch đang tạm dừng", "cancelled": "chiến dịch đã hủy"}
            return reason.get(record.status, record.status)
        existing = crud.get_action(session, campaign_code=ctx.code, key=ctx.action.key)
        if existing is not None and existing.status == "done":
            return "hoạt động đã chạy trước đó"
        due = max(scheduled_for, deferred_to) if deferred_to else scheduled_for
        late = catchup_exceeded(due, now, get_settings().catchup)
        if hold and not late:
            return None
        skip = "trễ quá thời hạn bắt kịp" if late else dropped
        crud.set_action_status(
            session,
            campaign_code=ctx.code,
            key=ctx.action.key,
            status="skipped" if skip else "running",
            flow_run_id=flow_run_id,
            started_at=now,
            late_seconds=max(0, int((now - scheduled_for).total_seconds())),
            error=skip,
        )
    if late:
        return f"trễ quá {get_settings().catchup_hours} giờ so với lịch; không gửi"
    if dropped:
        return f"{dropped}; thông báo quá hạn (nếu có) được gửi theo lịch riêng"
    return None


@task(cache_policy=NO_CACHE)
def defer_action(
    ctx: ActionContext,
    *,
    deployment_id: str,
    campaign_file: str,
    until: datetime,
    reason: str,
    scheduled_for: datetime,
    now: datetime,
    because: str = DEFERRED_FOR_HOURS,
    virtual_clock: bool = False,
) -> str:
    """Hand the action on to one new run of the same deployment at `until`; return the note.

    The idempotency key makes a rerun of this (deferring) run find the run it created
    instead of adding a second. The store points at the new run, as a deploy would,
    so a redeploy keeps it (see `thidua.campaign.schedule.reconcile`).
    """
    action = ctx.action
    parameters: dict[str, Any] = {
        "campaign_file": campaign_file,
        "action_key": action.key,
        "scheduled_for": scheduled_for,
        "deferred_to": until,
        "deferred_because": because,
    }
    if virtual_clock:  # a simulated run's clock moves on to the slot it was deferred to
        parameters["now"] = until
    base = f"thidua|{ctx.code}|{action.key}@{until.isoformat()}"
    for attempt in range(10):
        run = run_deployment(
            UUID(deployment_id),
            parameters=parameters,
            scheduled_time=until,
            # The day it will really run, and the days left then: not the plan's.
            flow_run_name=run_name_at(action, until),
            tags=[ctx.code, action.kind.value, "hoan-gui"],
            idempotency_key=base if attempt == 0 else f"{base}|{attempt}",
            timeout=0,
            as_subflow=False,
        )
        # Called from a synchronous task: Prefect returns the run itself, not a coroutine.
        assert isinstance(run, FlowRun)
        # A run an operator cancelled (or that failed) is no hand-over: make a fresh one.
        if run.state is None or not run.state.is_final():
            break
    else:
        raise RuntimeError(f"cannot create a deferred run for {action.key}")
    note = deferral_note(until, reason, tz=until.tzinfo or TZ)
    with session_scope() as session:
        crud.set_action_status(
            session,
            campaign_code=ctx.code,
            key=action.key,
            status="scheduled",
            flow_run_id=str(run.id),
            error=note,
        )
    get_run_logger().info(
        "Action %s deferred to %s (%s); flow run %s", action.key, until.isoformat(), reason, run.id
    )
    local = now.astimezone(until.tzinfo)
    planned = scheduled_for.astimezone(until.tzinfo)
    lines = [
        f"## {action.title}",
        f"**{ctx.code}** · {ctx.loaded.spec.title}",
        "",
        f"{note}.",
        "",
        f"- Lượt chạy bắt đầu lúc {local:%H:%M} {weekday_name(local.date())} "
        f"{format_short(local.date())}; lịch gửi: {planned:%H:%M} {format_short(planned.date())}",
        f"- Lượt chạy mới: {run.name} ({run.id})",
    ]
    create_markdown_artifact(
        "\n".join(lines), key=f"{artifact_key(ctx.code)}-tom-tat", description=action.run_name()
    )
    publish_progress(ctx.code)
    return note


@task(cache_policy=NO_CACHE, **STORE_RETRIES)
def resolve_audience(ctx: ActionContext) -> Audience:
    """Recipients of the notice: reminders only to units that have not yet submitted."""
    action, reg, spec = ctx.action, ctx.loaded.registry, ctx.loaded.spec
    milestone = spec.milestone(action.milestone)
    owing = (
        list(participants(spec, reg))
        if milestone.audience == "participants"
        else [c for c in action.recipients if c != spec.organizer]
    )
    with session_scope() as session:
        done = crud.submitted_units(
            session,
            campaign_code=ctx.code,
            milestone=action.milestone,
            occurrence=action.occurrence,
        )
    missing = [code for code in owing if code not in done]
    audience = Audience(list(action.recipients), missing, len(owing) - len(missing), len(owing))
    if action.kind in ONLY_MISSING:
        audience.recipients = [c for c in action.recipients if c not in done]
    elif action.kind is ActionKind.ESCALATION:
        wanted = set()
        for code in missing:
            if action.audience == "supervisor" and (sup := reg.supervisor(code)) is not None:
                wanted.add(sup.code)
            elif action.audience == "group_head":
                wanted.update(h.code for h in reg.group_heads(code))
        audience.recipients = (
            [c for c in action.recipients if c in wanted]
            if action.audience in ("supervisor", "group_head")
            else (list(action.recipients) if missing else [])
        )
    return audience


@task(cache_policy=NO_CACHE)
def render_messages(
    ctx: ActionContext, audience: Audience, now: datetime, late_reason: str = SYSTEM_DOWN
) -> dict[str, Message]:
    """The notice for each recipient as sent at `now`, in Vietnamese, with its files."""
    spec, reg = ctx.loaded.spec, ctx.loaded.registry
    organizer = reg.unit(spec.organizer)
    deadlines = launch_deadlines(spec, ctx.plan.occurrences)
    missing_names = [reg.unit(c).name for c in audience.missing]
    template_dir = ctx.loaded.path.parent / "templates"
    return {
        code: render(
            ctx.action,
            campaign=spec,
            unit=reg.unit(code),
            organizer=organizer,
            now=now,
            template_dir=template_dir,
            deadlines=deadlines,
            missing=missing_names,
            submitted=audience.submitted,
            total=audience.total,
            late_reason=late_reason,
            attachments=attachments_for(
                ctx.action, plan=ctx.plan, unit_code=code, base_dir=ctx.loaded.path.parent
            ),
        )
        for code in audience.recipients
    }


#: How a failure reads in the store, the run's artifacts and the organizer's report.
FAILURE_KINDS = {
    "failed_permanent": "Lỗi vĩnh viễn (không gửi lại)",
    "failed_transient": "Lỗi tạm thời",
    "uncertain": "Chưa rõ kết quả (không tự gửi lại; gửi lại bằng lệnh thidua resend)",
}

#: Outcomes that did not reach the unit for sure: reported to the organizer, resendable.
NOT_REACHED = ("failed_transient", "failed_permanent", "uncertain")


def _labelled(status: str, error: str | None) -> str | None:
    """`error` prefixed with its kind, so every reader can tell a bad address from a busy server."""
    kind = FAILURE_KINDS.get(status)
    return f"{kind}: {error or 'không rõ nguyên nhân'}" if kind else error


def _deliver_one(
    ctx: ActionContext,
    code: str,
    index: int,
    url: str,
    message: Message,
    *,
    recorder: _Recorder,
    relays: SMTPPool | None = None,
    claimer: str | None = None,
    resend: int = 0,
) -> Outcome:
    """Claim, send and record one message; `already_sent` when the store says not to send.

    Three durable writes: the claim ("pending"), "sending" right before the message
    goes out (SMTP DATA), the finish right after the answer. A sender killed between
    the first two left nothing at the relay, and its claim is sent again; one killed
    in "sending" may have delivered it, and the claim becomes "uncertain".
    """
    channel = channel_id(index, url)
    action = ctx.action
    lease = timedelta(seconds=get_settings().claim_lease_seconds)
    fingerprint = crud.contact_fingerprint(url)

    def claim(session: Session) -> int | None:
        delivery = crud.claim_delivery(
            session,
            campaign_code=ctx.code,
            action_key=action.key,
            occurrence=action.occurrence,
            unit_code=code,
            channel=channel,
            subject=message.subject,
            lease=lease,
            claimer=claimer,
            commit=False,
            resend=resend,
            contact_fp=fingerprint,
        )
        return None if delivery is None else delivery.id

    claim_id = recorder.write(claim)
    if claim_id is None:
        return Outcome(code, channel, "already_sent")

    def before_data() -> bool:
        return bool(
            recorder.write(
                lambda session: crud.mark_sending(
                    session, delivery_id=claim_id, claimer=claimer, commit=False
                )
            )
        )

    try:
        result = send(
            url,
            message,
            context={"unit": code, "campaign": ctx.code, "action": action.key},
            pool=relays,
            before_data=before_data,
        )
    except Exception as exc:
        # A channel bug must not leave the claim pending (it would be lost). Only the
        # type is kept: an exception's text may quote the expanded URL and its secret.
        result = SendResult(ok=False, error=f"lỗi chương trình khi gửi ({type(exc).__name__})")
    if result.claim_lost:  # taken over while connecting (lease): the new holder sends it
        return Outcome(code, channel, "already_sent")
    status = (
        "sent"
        if result.ok
        else "uncertain"
        if result.uncertain
        else "failed_permanent"
        if result.permanent
        else "failed_transient"
    )
    error = _labelled(status, result.error)
    recorder.write(
        lambda session: crud.finish_delivery(
            session, delivery_id=claim_id, status=status, error=error, commit=False
        )
    )
    return Outcome(code, channel, status, error)


def _as_stored(ctx: ActionContext, outcomes: list[Outcome], resend: int = 0) -> list[Outcome]:
    """Outcomes of deliveries not claimed this time, as the store recorded them.

    A retry of `deliver` finds its permanent failures already final: they must stay
    failures in the artifact and the report, not read "sent before".
    """
    if not any(o.status == "already_sent" for o in outcomes):
        return outcomes
    stored = {(d.unit_code, d.channel): d for d in _rows(ctx, resend)}
    result = []
    for o in outcomes:
        row = stored.get((o.unit, o.channel))
        if o.status == "already_sent" and row is not None:
            if str(row.status) == "sent":
                # Sent by an earlier attempt of this same run (a retry): the run's table
                # must say it sent it, not that another run did.
                status = "sent" if this_process(row.claimed_by) else o.status
            else:
                status = _stored_status(str(row.status))
            o = Outcome(o.unit, o.channel, status, None if status == "sent" else row.error)
        result.append(o)
    return result


def _rows(ctx: ActionContext, resend: int) -> list[Any]:
    """The store's deliveries of this action's occurrence and resend."""
    action = ctx.action
    with session_scope() as session:
        rows = crud.deliveries_for(session, campaign_code=ctx.code, action_key=action.key)
    return [d for d in rows if d.occurrence == action.occurrence and d.resend == resend]


def _stored_status(status: str) -> str:
    """An outcome's status from a stored one: a claim still held is "in_flight"."""
    return "in_flight" if status in ("pending", "sending") else status


@task(
    cache_policy=NO_CACHE,
    # Mail relays answer 4xx for minutes at a time; 8 retries doubling from 5 s keep
    # trying for about 20 minutes, as an MTA would, before the organizer is told.
    retries=get_settings().delivery_retries,
    retry_delay_seconds=exponential_backoff(backoff_factor=get_settings().retry_seconds),
    retry_jitter_factor=0.5,
)
def deliver(
    ctx: ActionContext,
    messages: dict[str, Message],
    resend: int = 0,
    channels: list[tuple[str, str]] | None = None,
) -> list[Outcome]:
    """Send every message to every contact of its unit, each delivery claimed once in the store.

    `resend` > 0 sends as that resend's own deliveries, only over `channels`
    ((unit, channel) pairs) when given (`thidua resend`).

    Raises TransientDeliveryError when some deliveries may succeed on a retry; the
    retry sends nothing twice, because sent deliveries are skipped by their claim,
    and permanent failures are never sent again. Each worker thread keeps its SMTP
    connection for its next message to the same relay; all are closed at the end.
    Claims and finishes are committed in groups (`_Recorder`).
    """
    reg = ctx.loaded.registry
    wanted = None if channels is None else {tuple(pair) for pair in channels}
    jobs = [
        (code, index, url, message)
        for code, message in messages.items()
        for index, url in enumerate(reg.unit(code).contacts)
        if wanted is None or (code, channel_id(index, url)) in wanted
    ]
    claimer = new_attempt()
    try:
        threads = max(1, get_settings().send_threads)
        with _Recorder() as recorder, SMTPPool() as relays, ThreadPoolExecutor(threads) as workers:
            outcomes = list(
                workers.map(
                    lambda job: _deliver_one(
                        ctx, *job, recorder=recorder, relays=relays, claimer=claimer, resend=resend
                    ),
                    jobs,
                )
            )
    finally:
        # Whatever happened, this attempt sends nothing more: a retry (or another run)
        # may take over the claims it left pending without waiting for the lease.
        end_attempt(claimer)
    outcomes = _as_stored(ctx, outcomes, resend)
    transient = [o for o in outcomes if o.status == "failed_transient"]
    if transient:
        get_run_logger().warning("%d deliveries failed transiently; retrying", len(transient))
        raise TransientDeliveryError(f"{len(transient)} lượt gửi tạm thời không thành công")
    in_flight = [o for o in outcomes if o.status == "in_flight"]
    if in_flight:
        # Claimed by another run that is still alive (or on another machine): the action
        # is not done until they are sent, so look again later rather than report success.
        get_run_logger().warning("%d deliveries are being sent by another run", len(in_flight))
        raise TransientDeliveryError(f"{len(in_flight)} lượt gửi đang dở ở lượt chạy khác")
    return outcomes


@task(cache_policy=NO_CACHE)
def stored_outcomes(ctx: ActionContext, resend: int = 0) -> list[Outcome]:
    """Each unit's outcome as the store recorded it (when delivery gave up before returning)."""
    return [
        Outcome(d.unit_code, d.channel, _stored_status(str(d.status)), d.error)
        for d in _rows(ctx, resend)
    ]


@task(cache_policy=NO_CACHE, **STORE_RETRIES)
def record_outcome(
    ctx: ActionContext, outcomes: list[Outcome], *, now: datetime, error: str | None = None
) -> str:
    """Mark the action done (or failed) in the store; return its final status."""
    failed = [o for o in outcomes if o.status.startswith("failed")]
    uncertain = sum(o.status == "uncertain" for o in outcomes)
    status = "failed" if error else "done"
    problems = [f"{len(failed)} lượt gửi không thành công"] if failed else []
    if uncertain:
        problems.append(f"{uncertain} lượt gửi chưa rõ kết quả")
    message = error or ("; ".join(problems) or None)
    with session_scope() as session:
        crud.set_action_status(
            session,
            campaign_code=ctx.code,
            key=ctx.action.key,
            status=status,
            finished_at=now,
            error=message,
        )
    return status


@task(cache_policy=NO_CACHE)
def publish_artifacts(ctx: ActionContext, audience: Audience, outcomes: Iterable[Outcome]) -> int:
    """A table of each unit's outcome, a short summary, and the campaign's progress.

    Each unit not reached is also a WARNING line of the run's logs; returns how many.
    """
    reg = ctx.loaded.registry
    outcomes = list(outcomes)
    unreached = failed_units(audience.recipients, outcomes)
    warn_failures(get_run_logger(), reg, unreached)
    labels = {
        "sent": "đã gửi",
        "already_sent": "đã gửi trước đó",
        "failed_transient": "lỗi tạm thời (đã thử lại)",
        "failed_permanent": "lỗi vĩnh viễn",
        "in_flight": "đang được gửi ở lượt chạy khác",
        "uncertain": "chưa rõ",
        "skipped": "bỏ qua",
    }
    rows = [
        {
            "Mã": o.unit,
            "Đơn vị": reg.unit(o.unit).name,
            "Kênh": o.channel,
            "Kết quả": labels.get(o.status, o.status),
            "Lỗi": o.error or "",
        }
        for o in outcomes
    ]
    slug = artifact_key(ctx.code)
    create_table_artifact(
        rows, key=f"{slug}-gui-tin", description=f"{ctx.action.run_name()}: kết quả gửi"
    )
    sent = sum(o.status in ("sent", "already_sent") for o in outcomes)
    failed = [o for o in outcomes if o.status.startswith("failed")]
    lines = [
        f"## {ctx.action.title}",
        f"**{ctx.code}** · {ctx.loaded.spec.title}",
        "",
        f"- Đối tượng: {len(audience.recipients)} đơn vị ({ctx.action.audience})",
        f"- Gửi thành công: {sent} lượt; không thành công: {len(failed)}",
    ]
    if failed:
        permanent = sum(o.status == "failed_permanent" for o in failed)
        lines.append(
            f"- Trong đó lỗi vĩnh viễn (địa chỉ không nhận thư, cấu hình sai; không gửi lại): "
            f"{permanent}; lỗi tạm thời (đã thử lại nhưng chưa được): {len(failed) - permanent}"
        )
    if audience.total:
        lines.append(f"- Đã nộp: {audience.submitted}/{audience.total} đơn vị")
    if failed:
        lines += [
            "",
            "### Không gửi được",
            *[f"- {o.unit} ({o.channel}): {o.error}" for o in failed],
        ]
    create_markdown_artifact(
        "\n".join(lines), key=f"{slug}-tom-tat", description=ctx.action.run_name()
    )
    publish_progress(ctx.code)
    return len(unreached)


def artifact_key(code: str) -> str:
    """Prefect artifact keys allow only lowercase letters, digits and dashes."""
    return "".join(c if c.isalnum() else "-" for c in code.lower()).strip("-")


def publish_progress(code: str) -> None:
    """The campaign's progress view (done / due / late / failed) as a table artifact."""
    now = clock_now()
    with session_scope() as session:
        records = crud.get_actions(session, campaign_code=code)
    rows = [
        {
            "Ngày": format_short(r.scheduled_at.astimezone().date()),
            "Hoạt động": r.title,
            "Trạng thái": status_label(r.status, r.scheduled_at, now),
        }
        for r in records
    ]
    create_table_artifact(rows, key=f"{artifact_key(code)}-tien-do", description=f"Tiến độ {code}")
