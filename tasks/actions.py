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
from datetime import UTC, datetime
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from notifications.attachments import attachments_for
from notifications.render import Message, launch_deadlines, render
from notifications.send import SendResult, channel_id, send
from thidua import crud
from thidua.campaign_file import LoadedCampaign, load_campaign
from thidua.config import get_settings
from thidua.db import session_scope
from thidua.plan import Action, ActionKind, Plan, compile_plan, participants
from thidua.schedule import catchup_exceeded
from thidua.status import label as status_label
from thidua.vnformat import format_short

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
    status: str  # sent | skipped | failed_transient | failed_permanent | already_sent
    error: str | None = None


class TransientDeliveryError(RuntimeError):
    """Some deliveries failed in a way worth retrying (the task's retries will)."""


@task(cache_policy=NO_CACHE)
def load_action(campaign_file: str, action_key: str) -> ActionContext | None:
    """Load the campaign file and find the action; None when it no longer exists."""
    loaded = load_campaign(Path(campaign_file))
    plan = compile_plan(loaded.spec, loaded.registry, notice_time=get_settings().notice_time)
    action = next((a for a in plan.actions if a.key == action_key), None)
    return ActionContext(loaded, plan, action) if action else None


@task(cache_policy=NO_CACHE)
def open_gate(
    ctx: ActionContext, *, flow_run_id: str | None, scheduled_for: datetime, now: datetime
) -> str | None:
    """Record the run as started; the reason not to send (paused, cancelled, too late) or None."""
    with session_scope() as session:
        record = crud.get_campaign(session, code=ctx.code)
        if record is not None and record.status != "active":
            reason = {"paused": "chiến dịch đang tạm dừng", "cancelled": "chiến dịch đã hủy"}
            return reason.get(record.status, record.status)
        existing = crud.get_action(session, campaign_code=ctx.code, key=ctx.action.key)
        if existing is not None and existing.status == "done":
            return "hoạt động đã chạy trước đó"
        late = catchup_exceeded(scheduled_for, now, get_settings().catchup)
        crud.set_action_status(
            session,
            campaign_code=ctx.code,
            key=ctx.action.key,
            status="skipped" if late else "running",
            flow_run_id=flow_run_id,
            started_at=now,
            late_seconds=max(0, int((now - scheduled_for).total_seconds())),
            error="trễ quá thời hạn bắt kịp" if late else None,
        )
    if late:
        return f"trễ quá {get_settings().catchup_hours} giờ so với lịch; không gửi"
    return None


@task(cache_policy=NO_CACHE)
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
def render_messages(ctx: ActionContext, audience: Audience, now: datetime) -> dict[str, Message]:
    """The notice for each recipient, in Vietnamese, with the files it carries."""
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
            attachments=attachments_for(
                ctx.action, plan=ctx.plan, unit_code=code, base_dir=ctx.loaded.path.parent
            ),
        )
        for code in audience.recipients
    }


def _deliver_one(ctx: ActionContext, code: str, index: int, url: str, message: Message) -> Outcome:
    channel = channel_id(index, url)
    action = ctx.action
    with session_scope() as session:
        claim = crud.claim_delivery(
            session,
            campaign_code=ctx.code,
            action_key=action.key,
            occurrence=action.occurrence,
            unit_code=code,
            channel=channel,
            subject=message.subject,
        )
        if claim is None:
            return Outcome(code, channel, "already_sent")
        claim_id = claim.id
    try:
        result = send(
            url, message, context={"unit": code, "campaign": ctx.code, "action": action.key}
        )
    except Exception as exc:  # a channel bug must not leave the claim pending (it would be lost)
        result = SendResult(ok=False, error=f"{type(exc).__name__}: {exc}")
    status = "sent" if result.ok else "failed_permanent" if result.permanent else "failed_transient"
    with session_scope() as session:
        crud.finish_delivery(session, delivery_id=claim_id, status=status, error=result.error)
    return Outcome(code, channel, status, result.error)


@task(
    cache_policy=NO_CACHE,
    retries=3,
    retry_delay_seconds=exponential_backoff(backoff_factor=get_settings().retry_seconds),
    retry_jitter_factor=0.5,
)
def deliver(ctx: ActionContext, messages: dict[str, Message]) -> list[Outcome]:
    """Send every message to every contact of its unit, each delivery claimed once in the store.

    Raises TransientDeliveryError when some deliveries may succeed on a retry; the
    retry sends nothing twice, because sent deliveries are skipped by their claim.
    """
    reg = ctx.loaded.registry
    jobs = [
        (code, index, url, message)
        for code, message in messages.items()
        for index, url in enumerate(reg.unit(code).contacts)
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(lambda job: _deliver_one(ctx, *job), jobs))
    transient = [o for o in outcomes if o.status == "failed_transient"]
    if transient:
        get_run_logger().warning("%d deliveries failed transiently; retrying", len(transient))
        raise TransientDeliveryError(f"{len(transient)} lượt gửi tạm thời không thành công")
    return outcomes


@task(cache_policy=NO_CACHE)
def stored_outcomes(ctx: ActionContext) -> list[Outcome]:
    """Each unit's outcome as the store recorded it (when delivery gave up before returning)."""
    action = ctx.action
    with session_scope() as session:
        rows = crud.deliveries_for(session, campaign_code=ctx.code, action_key=action.key)
        return [
            Outcome(d.unit_code, d.channel, str(d.status), d.error)
            for d in rows
            if d.occurrence == action.occurrence
        ]


@task(cache_policy=NO_CACHE)
def record_outcome(
    ctx: ActionContext, outcomes: list[Outcome], *, now: datetime, error: str | None = None
) -> str:
    """Mark the action done (or failed) in the store; return its final status."""
    failed = [o for o in outcomes if o.status.startswith("failed")]
    status = "failed" if error else "done"
    message = error or (f"{len(failed)} lượt gửi không thành công" if failed else None)
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
def publish_artifacts(ctx: ActionContext, audience: Audience, outcomes: Iterable[Outcome]) -> None:
    """A table of each unit's outcome, a short summary, and the campaign's progress."""
    reg = ctx.loaded.registry
    labels = {
        "sent": "đã gửi",
        "already_sent": "đã gửi trước đó",
        "failed_transient": "lỗi tạm thời",
        "failed_permanent": "lỗi",
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


def artifact_key(code: str) -> str:
    """Prefect artifact keys allow only lowercase letters, digits and dashes."""
    return "".join(c if c.isalnum() else "-" for c in code.lower()).strip("-")


def publish_progress(code: str) -> None:
    """The campaign's progress view (done / due / late / failed) as a table artifact."""
    now = datetime.now(UTC)
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
