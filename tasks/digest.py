"""Prefect tasks of the weekly digest run: decide the day, compose, deliver, summarize.

The content is `thidua.ledger.digest`'s, the wording `thidua.notifications.digest`'s;
delivery is the core engine's exactly-once protocol, scoped to the reserved campaign
code `DIGEST_SCOPE`, the action `DIGEST_ACTION` and the ISO week, so a rerun of the
week (a retry, a second run, a restart) sends nobody a second digest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff
from thidua.notifications.digest import render_digest
from thidua.notifications.render import Message
from thidua.notifications.send import SMTPPool, channel_id
from thidua.tasks.actions import STORE_RETRIES, TransientDeliveryError, sink, worth_retrying

from thidua.campaign.schedule import catchup_exceeded
from thidua.config import get_settings
from thidua.dates.hours import TZ
from thidua.dates.written import format_short, weekday_name
from thidua.delivery import engine
from thidua.delivery.outcome import Outcomes, unfinished
from thidua.ledger.digest import (
    DIGEST_ACTION,
    DIGEST_SCOPE,
    first_working_day,
    week_key,
    week_label,
    weekly_digests,
)
from thidua.ledger.statuses import DeliveryStatus
from thidua.portal.campaigns import CampaignCatalog
from thidua.portal.links import unit_url
from thidua.store.db import session_scope


@dataclass
class DigestBatch:
    """The week's digests: a message per unit that owes something, and its contacts."""

    week: str
    messages: dict[str, Message] = field(default_factory=dict)
    contacts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: units on the digest that owe nothing this fortnight (no message: nothing to say)
    idle: list[str] = field(default_factory=list)


@task(cache_policy=NO_CACHE)
def digest_gate(now: datetime, scheduled: datetime | None = None) -> str | None:
    """Why the digest does not go out (not the first working day of the week), or None.

    The day is the run's `scheduled` day when given: Monday's run that starts late, on
    the Tuesday (the server was down), still sends the week's digest, unless it is later
    than the catch-up limit; the other days' runs end at once.
    """
    today = (scheduled or now).astimezone(TZ).date()
    first = first_working_day(today)
    if first is None:
        return "tuần này không có ngày làm việc"
    if first != today:
        return (
            f"bản tin tuần gửi vào ngày làm việc đầu tuần, {weekday_name(first)} "
            f"{format_short(first)}"
        )
    catchup = get_settings().catchup
    if scheduled is not None and catchup_exceeded(scheduled, now, catchup):
        return f"trễ quá {get_settings().catchup_hours} giờ so với lịch; không gửi"
    return None


@task(cache_policy=NO_CACHE, **STORE_RETRIES)
def compose_digests(now: datetime) -> DigestBatch:
    """Every running campaign's file loaded once, each unit's digest composed and worded,
    with its personal portal link."""
    settings = get_settings()
    campaigns = CampaignCatalog(settings).all()
    batch = DigestBatch(week_key(now.astimezone(TZ).date()))
    with session_scope() as session:
        for digest in weekly_digests(session, campaigns, now=now):
            if not digest.items:
                batch.idle.append(digest.unit_code)
                continue
            link = unit_url(session, unit_code=digest.unit_code, settings=settings, now=now)
            batch.messages[digest.unit_code] = render_digest(digest, link=link)
            batch.contacts[digest.unit_code] = tuple(digest.unit.contacts)
    return batch


def deliver_batch(batch: DigestBatch, *, relays: SMTPPool | None = None) -> Outcomes:
    """Each digest to each contact of its unit, at most once per week over all runs."""
    settings = get_settings()
    jobs = engine.jobs_for(batch.messages, lambda code: batch.contacts[code], channel_id)
    return engine.deliver(
        engine.Scope(DIGEST_SCOPE, DIGEST_ACTION, batch.week),
        jobs,
        sink=sink(relays),
        threads=settings.send_threads,
        lease=timedelta(seconds=settings.claim_lease_seconds),
    )


@task(
    cache_policy=NO_CACHE,
    retries=get_settings().delivery_retries,
    retry_delay_seconds=exponential_backoff(backoff_factor=get_settings().retry_seconds),
    retry_jitter_factor=0.5,
    retry_condition_fn=worth_retrying,
)
def deliver_digests(batch: DigestBatch) -> Outcomes:
    """`deliver_batch` with retries: a retry sends only what is not sent yet."""
    with SMTPPool() as relays:
        outcomes = deliver_batch(batch, relays=relays)
    if pending := unfinished(outcomes):
        get_run_logger().warning(pending.log_line)
        raise TransientDeliveryError(pending.reason)
    return outcomes


def summary(batch: DigestBatch, outcomes: Outcomes) -> str:
    """The run's result in words: how many units got the digest, how many it missed."""
    sent = {o.unit for o in outcomes if o.status is DeliveryStatus.SENT}
    failed = sorted({o.unit for o in outcomes} - sent)
    text = (
        f"Bản tin {week_label(batch.week)}: {len(sent)}/{len(batch.messages)} đơn vị đã nhận"
        f"; {len(batch.idle)} đơn vị không có nội dung đến hạn"
    )
    if failed:
        text += f"; chưa gửi được tới: {', '.join(failed)}"
    return text


@task(cache_policy=NO_CACHE)
def publish_digest_summary(batch: DigestBatch, outcomes: Outcomes) -> str:
    """The run's summary as a markdown artifact; returns it."""
    text = summary(batch, outcomes)
    lines = [f"## {text}", "", "| Đơn vị | Kênh | Kết quả |", "| --- | --- | --- |"]
    lines += [f"| {o.unit} | {o.channel} | {o.status.label} |" for o in outcomes]
    create_markdown_artifact("\n".join(lines), key="ban-tin-tuan", description=text)
    return text
