"""The weekly digest flow (`ban-tin-tuan/hang-tuan`): one message a week to each unit on
the digest, listing what it owes in the next 14 days across all running campaigns.

Its deployment runs every working weekday (Monday to Saturday, for a Saturday worked in
a holiday swap) at the notice time, and each run ends at once unless today is the first
working day of the week (`thidua.ledger.digest.first_working_day`): a Monday holiday
moves the digest to the Tuesday. A schedule, not explicit runs like a campaign's: it
repeats forever and looks a few days ahead, well inside Prefect's scheduling horizon.
The tasks (`thidua.tasks.digest`) do the work; this flow strings them together.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.client.orchestration import PrefectClient
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron
from thidua.flows.naming import (
    DIGEST_DEPLOYMENT,
    DIGEST_DESCRIPTION,
    DIGEST_FLOW,
    DIGEST_TAGS,
    digest_cron,
)
from thidua.flows.worker import ensure_pool, on_work_pool
from thidua.tasks.digest import (
    compose_digests,
    deliver_digests,
    digest_gate,
    publish_digest_summary,
)

from thidua import clock
from thidua.config import get_settings
from thidua.dates.hours import TZ


@flow(name=DIGEST_FLOW, log_prints=False)
def weekly_digest(now: datetime | None = None) -> str:
    """Send this week's digests if today is the first working day of the week.

    `now` replaces the clock (a rehearsal); None reads `thidua.clock.now()`, which
    tests fix with THIDUA_NOW.
    """
    moment = now or clock.now()
    # The day a scheduled run stands for is the day it was scheduled, not the day a late
    # start finds; a clock given or fixed (THIDUA_NOW) is that day itself.
    scheduled = None if now is not None or clock.virtual_now() else _scheduled_start()
    reason = digest_gate(moment, scheduled)
    if reason is not None:
        get_run_logger().info("No digest today: %s", reason)
        return f"Không gửi: {reason}"
    batch = compose_digests(moment)
    outcomes = deliver_digests(batch)
    text = publish_digest_summary(batch, outcomes)
    get_run_logger().info(text)
    return text


def _scheduled_start() -> datetime | None:
    from prefect.runtime import flow_run

    start = flow_run.scheduled_start_time
    return start if isinstance(start, datetime) else None


def _deployment_fields() -> dict[str, Any]:
    return {
        "name": DIGEST_DEPLOYMENT,
        "tags": DIGEST_TAGS,
        "description": DIGEST_DESCRIPTION,
        "schedules": [Cron(digest_cron(get_settings().notice_time), timezone=TZ.key)],
    }


def digest_deployment() -> RunnerDeployment:
    """The digest's deployment, with its weekday schedule (served by `thidua serve`)."""
    deployment = weekly_digest.to_deployment(**_deployment_fields())
    # Called outside an event loop: Prefect returns the deployment, not a coroutine.
    assert isinstance(deployment, RunnerDeployment)
    return deployment


async def pool_deployment(pool: str) -> RunnerDeployment:
    """The digest's deployment on the work pool `pool`, its code imported from here."""
    deployment = await weekly_digest.ato_deployment(**_deployment_fields())
    return on_work_pool(deployment, pool, Path.cwd())


async def apply_digest(client: PrefectClient, pool: str) -> Any:
    """Register the digest's deployment on the work pool `pool` (`thidua deploy --work-pool`)."""
    await ensure_pool(client, pool)
    return await (await pool_deployment(pool)).aapply()
