"""Tell the organizing office when an action run fails, through its own contacts.

A Prefect state hook rather than an automation: it needs no server-side setup,
runs wherever the flow runs, and is tested with the flow itself.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from prefect import task
from prefect.cache_policies import NO_CACHE
from thidua.notifications.render import Message, notice_title
from thidua.notifications.send import channel_id, send
from thidua.tasks.actions import sink

from thidua.campaign.loading import LoadedCampaign, load_campaign
from thidua.campaign.plan import TZ, compile_plan
from thidua.config import get_settings
from thidua.delivery import engine
from thidua.delivery.engine import jobs_for
from thidua.delivery.outcome import Outcome
from thidua.errors import ThiduaError
from thidua.ledger.statuses import DeliveryStatus
from thidua.store import campaign_rows
from thidua.store.db import session_scope

logger = logging.getLogger("thidua.alerts")


def _about(run_name: str, notice: str | None) -> tuple[str, str]:
    """(subject part, sentence part): the notice in words, or the run's name in quotes."""
    if notice:
        return notice[0].upper() + notice[1:], notice
    return run_name, f"“{run_name}”"


def failure_message(
    code: str,
    run_name: str,
    error: str,
    when: datetime,
    *,
    addressee: str | None = None,
    notice: str | None = None,
) -> Message:
    """The Vietnamese alert the organizer receives when an action run fails.

    `notice` names the notice in words (`thidua.notifications.render.notice_title`); without
    it (the action could not be found) the run's name stands in.
    """
    local = when.astimezone(ZoneInfo(TZ))
    headline, sentence = _about(run_name, notice)
    greeting = f"Kính gửi: {addressee}\n\n" if addressee else ""
    return Message(
        subject=f"[{code}] LỖI: {headline}",
        text=(
            f"{greeting}Hoạt động gửi {sentence} không chạy thành công "
            f"lúc {local:%H:%M} ngày {local:%d/%m/%Y}.\n\n"
            f"Nguyên nhân: {error}\n\n"
            "Các đơn vị có thể chưa nhận được thông báo này. Đề nghị kiểm tra trên giao diện "
            f"Prefect (mục Flow Runs, lượt chạy ngày {local:%d/%m/%Y}) và chạy lại sau khi "
            "khắc phục.\n"
            "--\n"
            "Đây là cảnh báo do hệ thống theo dõi phong trào thi đua gửi tự động.\n"
        ),
    )


def _notice(loaded: LoadedCampaign, key: str) -> str | None:
    """The failed action's notice in words; None when the plan no longer has that key."""
    try:
        plan = compile_plan(loaded.spec, loaded.registry)
    except Exception as exc:  # the alert must go even if the plan cannot be rebuilt
        logger.error("cannot describe action %s: %s", key, exc)
        return None
    action = next((a for a in plan.actions if a.key == key), None)
    return notice_title(action, loaded.spec) if action is not None else None


def notify_admin(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect on_failure/on_crashed hook: alert the organizer and record the failure."""
    params = flow_run.parameters or {}
    error = state.message or type(state).__name__
    now = datetime.now(UTC)
    try:
        loaded = load_campaign(Path(params["campaign_file"]))
    except (KeyError, ThiduaError) as exc:
        logger.error("cannot alert the organizer of %s: %s", flow_run.name, exc)
        return
    code = loaded.code
    try:
        with session_scope() as session:
            campaign_rows.set_action_status(
                session,
                campaign_code=code,
                key=params.get("action_key", ""),
                status="failed",
                finished_at=now,
                error=error,
            )
    except Exception as exc:  # the store may be what failed; the alert must still go
        logger.error("cannot record the failure of %s: %s", flow_run.name, exc)
    organizer = loaded.registry.unit(loaded.spec.organizer)
    message = failure_message(
        code,
        flow_run.name,
        error,
        now,
        addressee=organizer.name,
        notice=_notice(loaded, params.get("action_key", "")),
    )
    for url in organizer.contacts:
        result = send(url, message, context={"unit": organizer.code, "campaign": code})
        if not result.ok:
            logger.error("alert to %s failed: %s", organizer.code, result.error)


#: Channels in words, for the organizer (a channel id like “1:mailtos” is internal).
_CHANNEL_NAMES = {
    "mailto": "thư điện tử",
    "mailtos": "thư điện tử",
    "outbox": "hộp thư của hệ thống",
    "tgram": "Telegram",
    "slack": "Slack",
    "json": "webhook",
    "mqtt": "MQTT",
}


def channel_name(channel: str) -> str:
    """“liên hệ thứ 2, thư điện tử” for the channel id “1:mailtos” (the registry's order)."""
    index, _, scheme = channel.rpartition(":")
    name = _CHANNEL_NAMES.get(scheme.lower(), scheme)
    return f"liên hệ thứ {int(index) + 1}, {name}" if index.isdigit() else name


def failures_message(
    code: str,
    run_name: str,
    failed: list[tuple[str, str, str]],
    *,
    addressee: str | None = None,
    notice: str | None = None,
) -> Message:
    """The Vietnamese report of units that could not be reached by one action."""
    headline, sentence = _about(run_name, notice)
    lines = "\n".join(
        f"- {name} ({channel_name(channel)}): {error}" for name, channel, error in failed
    )
    greeting = f"Kính gửi: {addressee}\n\n" if addressee else ""
    return Message(
        subject=f"[{code}] Không gửi được tới {len({n for n, _, _ in failed})} đơn vị: {headline}",
        text=(
            f"{greeting}Hệ thống không gửi được {sentence} tới các đơn vị sau:"
            f"\n\n{lines}\n\n"
            "Lỗi vĩnh viễn: máy chủ thư đã từ chối hẳn (địa chỉ không nhận thư, tài khoản "
            "gửi thư không đúng…); hệ thống không gửi lại. Đề nghị sửa địa chỉ liên hệ trong "
            "danh sách đơn vị hoặc cấu hình máy chủ thư.\n"
            "Lỗi tạm thời: hệ thống đã tự động thử lại nhiều lần nhưng chưa gửi được.\n\n"
            "Trong khi chờ khắc phục, đề nghị liên hệ trực tiếp với các đơn vị trên.\n"
            "--\n"
            "Đây là cảnh báo do hệ thống theo dõi phong trào thi đua gửi tự động.\n"
        ),
    )


@task(cache_policy=NO_CACHE)
def report_failures(loaded: LoadedCampaign, action: Any, outcomes: Sequence[Outcome]) -> None:
    """Tell the organizer, once per action, which units could not be reached and why.

    The report is a delivery like any notice (`thidua.delivery.engine`), under the
    action's key with "#loi": a re-run of the action does not repeat it.
    """
    failed = [o for o in outcomes if o.failed or o.status is DeliveryStatus.UNCERTAIN]
    if not failed:
        return
    reg = loaded.registry
    organizer = reg.unit(loaded.spec.organizer)
    rows = [
        (reg.unit(o.unit).name if o.unit in reg else o.unit, o.channel, o.error or "")
        for o in failed
    ]
    message = failures_message(
        loaded.code,
        action.run_name(),
        rows,
        addressee=organizer.name,
        notice=notice_title(action, loaded.spec),
    )
    jobs = jobs_for({organizer.code: message}, lambda _: organizer.contacts, channel_id)
    for o in engine.deliver(
        engine.Scope(loaded.code, f"{action.key}#loi", action.occurrence),
        jobs,
        sink=sink(),
        threads=1,
        lease=timedelta(seconds=get_settings().claim_lease_seconds),
    ):
        if not o.reached:
            logger.error("failure report to %s (%s) not sent: %s", o.unit, o.channel, o.error)
