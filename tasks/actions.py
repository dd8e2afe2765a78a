"""Prefect tasks of an action run: load, gate, resolve the audience, render, deliver, record.

Each task does one thing and calls into the `thidua` core or `notifications`; the
flow in `flows/action.py` only strings them together. Task results stay in memory
(no result persistence, no input caching): an action run is cheap to redo, and
the delivery records in the store are what make a redo safe.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import get_run_logger, task
from prefect.artifacts import Artifact, MarkdownArtifact, TableArtifact, create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import ArtifactCreate
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.tasks import exponential_backoff
from prefect.utilities.context import get_task_and_flow_run_ids
from thidua.notifications.attachments import Attachments
from thidua.notifications.render import Message, Notice, launch_deadlines
from thidua.notifications.send import SendResult, SMTPPool, channel_id, send

from thidua.campaign.audience import owing as audience_owing
from thidua.campaign.audience import reminded
from thidua.campaign.loading import LoadedCampaign, load_campaign
from thidua.campaign.plan import Action, ActionKind, Plan, compile_plan
from thidua.campaign.schedule import catchup_exceeded
from thidua.clock import now as clock_now
from thidua.config import get_settings
from thidua.dates.hours import TZ, deferral_note
from thidua.dates.sendtime import DEFERRED_FOR_HOURS, SYSTEM_DOWN, run_name_at
from thidua.dates.written import format_short, weekday_name
from thidua.delivery import engine
from thidua.delivery.engine import jobs_for
from thidua.delivery.messages import Rendered, RenderFailed
from thidua.delivery.outcome import Outcome, Outcomes, unfinished
from thidua.delivery.summary import (
    FULL_TABLE_ROWS,
    Heading,
    action_result,
    result_rows,
    summary_markdown,
)
from thidua.delivery.unreached import failed_units, warn_failures
from thidua.errors import StoreUnavailable
from thidua.ledger.statuses import effective_label as status_label
from thidua.portal.links import AudienceLinks
from thidua.registry.unit_names import UnitNames
from thidua.store import campaign_rows, submission_rows
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
    loaded, plan = loaded_plan(Path(campaign_file))
    action = next((a for a in plan.actions if a.key == action_key), None)
    return ActionContext(loaded, plan, action) if action else None


#: Campaigns loaded in this process, by file: (what they were loaded from, campaign, plan).
_LOADED: dict[Path, tuple[tuple[object, ...], LoadedCampaign, Plan]] = {}
_LOADED_MAX = 16


def loaded_plan(path: Path) -> tuple[LoadedCampaign, Plan]:
    """The campaign at `path` and its compiled plan, loaded again only when its sources changed.

    Loading runs the file in the sandbox (~70 ms with 100 units): a process running
    several actions of a campaign (a simulation, a worker) loads it once. The sources
    are the file, the other campaign files beside it (a child campaign reads its
    parent from them), the registry and the settings the load reads; any change of
    their stamps (modification time, size) loads it again, as
    `thidua.portal.campaigns.CampaignCatalog` does.
    """
    resolved = path.resolve()
    settings = get_settings()
    cached = _LOADED.get(resolved)
    if cached is not None and cached[0] == _sources(resolved, cached[1], settings):
        return cached[1], cached[2]
    loaded = load_campaign(path)
    plan = compile_plan(loaded.spec, loaded.registry, notice_time=settings.notice_time)
    if len(_LOADED) >= _LOADED_MAX:
        _LOADED.pop(next(iter(_LOADED)))
    _LOADED[resolved] = (_sources(resolved, loaded, settings), loaded, plan)
    return loaded, plan


def _sources(path: Path, loaded: LoadedCampaign, settings: Any) -> tuple[object, ...]:
    files = sorted(path.parent.glob("*.py"))
    return (
        str(settings.registry),
        str(settings.notice_time),
        str(settings.timezone),
        _content(path),
        tuple((str(f), _stamp(f)) for f in files),
        _content(Path(loaded.registry.source)),
    )


def _stamp(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (0, 0)
    return (st.st_mtime_ns, st.st_size)


def _content(path: Path) -> object:
    """A file by its bytes (an edit within the clock's tick keeps the stamp); a big one by stamp."""
    stamp = _stamp(path)
    if stamp[1] > 1_000_000:
        return stamp
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return stamp


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
        record = campaign_rows.get_campaign(session, code=ctx.code)
        if record is not None and record.status != "active":
            reason = {"paused": "chiến dịch đang tạm dừng", "cancelled": "chiến dịch đã hủy"}
            return reason.get(record.status, record.status)
        existing = campaign_rows.get_action(session, campaign_code=ctx.code, key=ctx.action.key)
        if existing is not None and existing.status == "done":
            return "hoạt động đã chạy trước đó"
        due = max(scheduled_for, deferred_to) if deferred_to else scheduled_for
        late = catchup_exceeded(due, now, get_settings().catchup)
        if hold and not late:
            return None
        skip = "trễ quá thời hạn bắt kịp" if late else dropped
        campaign_rows.set_action_status(
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
        campaign_rows.set_action_status(
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
    return audience_of(ctx)


def audience_of(ctx: ActionContext) -> Audience:
    """Who gets this run's notice, and who still owes the milestone (from the store).

    Reminders skip the units on the weekly digest (`thidua.campaign.audience.reminded`);
    due-today, overdue and every other notice still go to them.
    """
    action, reg, spec = ctx.action, ctx.loaded.registry, ctx.loaded.spec
    owing = list(audience_owing(spec, reg, spec.milestone(action.milestone)))
    with session_scope() as session:
        done = submission_rows.submitted_units(
            session,
            campaign_code=ctx.code,
            milestone=action.milestone,
            occurrence=action.occurrence,
        )
    missing = [code for code in owing if code not in done]
    audience = Audience(list(action.recipients), missing, len(owing) - len(missing), len(owing))
    if action.kind in ONLY_MISSING:
        audience.recipients = [c for c in action.recipients if c not in done]
        if action.kind is ActionKind.REMINDER:  # units on the weekly digest read it there
            milestone = spec.milestone(action.milestone)
            audience.recipients = list(reminded(milestone, reg, audience.recipients))
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


@task(cache_policy=NO_CACHE, **STORE_RETRIES)
def render_messages(
    ctx: ActionContext, audience: Audience, now: datetime, late_reason: str = SYSTEM_DOWN
) -> Rendered:
    """The notice for each recipient as sent at `now`, in Vietnamese, with its files.

    Rendered as `deliver` takes them (`thidua.delivery.messages.Rendered`), never the
    whole audience at once; the first is rendered here, so a broken template fails this
    task before anything is claimed or sent. Each carries its unit's portal link
    (`portal_links`), issued and committed a chunk at a time as the notices are
    rendered, so always before the notice carrying it is sent.
    """
    spec, reg = ctx.loaded.spec, ctx.loaded.registry
    links = portal_links(audience.recipients)

    @functools.cache
    def shared() -> tuple[Notice, Attachments]:
        """What every recipient's notice shares, worked out once for the whole audience
        (on the first message, so a broken template is that message's RenderFailed)."""
        notice = Notice(
            ctx.action,
            campaign=spec,
            organizer=reg.unit(spec.organizer),
            now=now,
            template_dir=ctx.loaded.path.parent / "templates",
            deadlines=launch_deadlines(spec, ctx.plan.occurrences),
            # The names as they are read, not a list of them all (~120 bytes a unit at
            # 100,000); the template only iterates them (`Notice` types it a list).
            missing=UnitNames(audience.missing, reg),
            submitted=audience.submitted,
            total=audience.total,
            late_reason=late_reason,
        )
        return notice, Attachments(ctx.action, plan=ctx.plan, base_dir=ctx.loaded.path.parent)

    def one(code: str) -> Message:
        notice, files = shared()
        return notice.to(reg.unit(code), attachments=files.of(code), portal_link=links[code])

    messages = Rendered(audience.recipients, one)
    if audience.recipients:
        messages.render(audience.recipients[0])
    return messages


def portal_links(codes: Sequence[str]) -> AudienceLinks:
    """Each unit's personal portal link, creating the ones that do not exist yet.

    Issued a chunk of the audience at a time as the notices are rendered
    (`thidua.portal.links.AudienceLinks`), each chunk in one transaction committed
    before its links are handed out: a link a notice carries is in the store before
    the notice is sent, so it opens the unit's page as soon as the unit reads it.
    """
    return AudienceLinks(codes, session_scope=session_scope, settings=get_settings())


def worth_retrying(task: Any, task_run: Any, state: Any) -> bool:
    """Retry condition of `deliver`: anything but a message that cannot be rendered."""
    return not isinstance(state.data, RenderFailed)


@task(
    cache_policy=NO_CACHE,
    # Mail relays answer 4xx for minutes at a time; 8 retries doubling from 5 s keep
    # trying for about 20 minutes, as an MTA would, before the organizer is told.
    retries=get_settings().delivery_retries,
    retry_delay_seconds=exponential_backoff(backoff_factor=get_settings().retry_seconds),
    retry_jitter_factor=0.5,
    retry_condition_fn=worth_retrying,
)
def deliver(
    ctx: ActionContext,
    messages: Mapping[str, Message],
    resend: int = 0,
    channels: list[tuple[str, str]] | None = None,
) -> Outcomes:
    """Send every message to every contact of its unit, each delivery claimed once in the store.

    `resend` > 0 sends as that resend's own deliveries, only over `channels`
    ((unit, channel) pairs) when given (`thidua resend`). The protocol is
    `thidua.delivery.engine.deliver`'s; this task adds the retries.

    Raises TransientDeliveryError when some deliveries may succeed on a retry; the
    retry sends nothing twice, because sent deliveries are skipped by their claim,
    and permanent failures are never sent again. Each worker thread keeps its SMTP
    connection for its next message to the same relay; all are closed at the end.
    """
    reg = ctx.loaded.registry
    jobs = jobs_for(messages, lambda code: reg.unit(code).contacts, channel_id, channels)
    settings = get_settings()
    with SMTPPool() as relays:
        outcomes = engine.deliver(
            _scope(ctx, resend),
            jobs,
            sink=sink(relays),
            threads=settings.send_threads,
            lease=timedelta(seconds=settings.claim_lease_seconds),
        )
    if pending := unfinished(outcomes):
        get_run_logger().warning(pending.log_line)
        raise TransientDeliveryError(pending.reason)
    return outcomes


def sink(relays: SMTPPool | None = None) -> engine.Sink:
    """The engine's sink: `thidua.notifications.send.send`, over a batch's SMTP connections."""

    def carry(
        url: str, message: Any, *, context: dict[str, Any], before_data: Callable[[], bool]
    ) -> SendResult:
        return send(url, message, context=context, pool=relays, before_data=before_data)

    return carry


def _scope(ctx: ActionContext, resend: int) -> engine.Scope:
    action = ctx.action
    return engine.Scope(ctx.code, action.key, action.occurrence, resend)


@task(cache_policy=NO_CACHE)
def stored_outcomes(ctx: ActionContext, resend: int = 0) -> Outcomes:
    """Each unit's outcome as the store recorded it (when delivery gave up before returning)."""
    return engine.stored_outcomes(_scope(ctx, resend))


@task(cache_policy=NO_CACHE, **STORE_RETRIES)
def record_outcome(
    ctx: ActionContext, outcomes: Sequence[Outcome], *, now: datetime, error: str | None = None
) -> str:
    """Mark the action done (or failed) in the store; return its final status."""
    result = action_result(outcomes, error)
    with session_scope() as session:
        campaign_rows.set_action_status(
            session,
            campaign_code=ctx.code,
            key=ctx.action.key,
            status=result.status,
            finished_at=now,
            error=result.message,
        )
    return str(result.status)


@task(cache_policy=NO_CACHE)
def publish_artifacts(ctx: ActionContext, audience: Audience, outcomes: Sequence[Outcome]) -> int:
    """A table of the outcomes, a short summary, and the campaign's progress.

    The table lists every unit and channel up to `summary.FULL_TABLE_ROWS` outcomes;
    past that, every one not delivered in full and the rest as counts (it says so).
    Each unit not reached is also a WARNING line of the run's logs; returns how many.
    """
    reg = ctx.loaded.registry
    unreached = failed_units(audience.recipients, outcomes)
    warn_failures(get_run_logger(), reg, unreached)
    slug = artifact_key(ctx.code)
    description = f"{ctx.action.run_name()}: kết quả gửi"
    if len(outcomes) > FULL_TABLE_ROWS:
        description += (
            f" (hơn {FULL_TABLE_ROWS} lượt: lượt không thành công liệt kê đầy đủ, "
            "lượt thành công chỉ ghi số lượng)"
        )
    heading = Heading(
        action_title=ctx.action.title,
        campaign_code=ctx.code,
        campaign_title=ctx.loaded.spec.title,
        audience=ctx.action.audience,
        recipients=len(audience.recipients),
        submitted=audience.submitted,
        total=audience.total,
    )
    post_artifacts(
        TableArtifact(
            table=result_rows(outcomes, reg), key=f"{slug}-gui-tin", description=description
        ),
        MarkdownArtifact(
            markdown=summary_markdown(heading, outcomes),
            key=f"{slug}-tom-tat",
            description=ctx.action.run_name(),
        ),
        progress_artifact(ctx.code),
    )
    return len(unreached)


def artifact_key(code: str) -> str:
    """Prefect artifact keys allow only lowercase letters, digits and dashes."""
    return "".join(c if c.isalnum() else "-" for c in code.lower()).strip("-")


def publish_progress(code: str) -> None:
    """The campaign's progress view (done / due / late / failed) as a table artifact."""
    post_artifacts(progress_artifact(code))


def progress_artifact(code: str) -> TableArtifact:
    """The campaign's progress view as of now, to publish."""
    now = clock_now()
    with session_scope() as session:
        records = campaign_rows.get_actions(session, campaign_code=code)
    rows = [
        {
            "Ngày": format_short(r.scheduled_at.astimezone().date()),
            "Hoạt động": r.title,
            "Trạng thái": status_label(r.status, r.scheduled_at, now),
        }
        for r in records
    ]
    return TableArtifact(
        table=rows, key=f"{artifact_key(code)}-tien-do", description=f"Tiến độ {code}"
    )


def post_artifacts(*artifacts: Artifact) -> list[UUID]:
    """Create `artifacts` for the current run, their requests in flight together; their ids.

    Each is the artifact `create_table_artifact` / `create_markdown_artifact` would
    create (type, key, description, data, the run's flow and task run ids); sent
    together, a run's artifacts cost one round trip to the API instead of one each.
    """
    task_run_id, flow_run_id = get_task_and_flow_run_ids()
    requests = [
        ArtifactCreate(
            type=a.type,
            key=a.key,
            description=a.description,
            task_run_id=task_run_id,
            flow_run_id=flow_run_id,
            data=a.format(_sync=True),  # type: ignore[call-arg]  # async_dispatch's switch
        )
        for a in artifacts
    ]
    client = get_client(sync_client=True)
    if len(requests) == 1:
        return [client.create_artifact(requests[0]).id]
    # Each request in a copy of this context: the client emits an event per artifact, and
    # Prefect's events worker must be this run's (its settings, its API), not a default one.
    with ThreadPoolExecutor(len(requests), thread_name_prefix="thidua-artifacts") as pool:
        futures = [
            pool.submit(contextvars.copy_context().run, client.create_artifact, request)
            for request in requests
        ]
        return [future.result().id for future in futures]
