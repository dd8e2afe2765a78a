"""`thidua simulate`: a campaign's lifecycle on a virtual clock, through the real flow and tasks.

Safe by construction: every contact of every unit (e-mail, Telegram, Slack, webhooks,
MQTT…) is replaced by the local outbox before anything is expanded or sent
(`thidua.notifications.send.contacts_replaced`), for the whole simulation; there is no option
to send for real. The simulation keeps its own store, outbox and Prefect API under
the data dir, and records the campaign the same way `thidua deploy` does.

With `--tu-hom-nay` it first shows what a deploy now would decide, with the very
function `thidua deploy` uses (`thidua.campaign.schedule.reconcile`) on the project's own store,
then simulates only what that deploy would still run.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from thidua.flows.naming import deployment_name
from thidua.flows.recording import record_action, record_campaign

from thidua.campaign.loading import LoadedCampaign
from thidua.config import Settings, get_settings, set_settings
from thidua.dates.written import format_short, weekday_name
from thidua.registry.contacts import OUTBOX_SCHEME

if TYPE_CHECKING:
    from thidua.campaign.plan import Action, Plan
    from thidua.campaign.schedule import SyncPlan

_NOT_MAILBOX = re.compile(r"[^a-z0-9._-]+")


def outbox_for(url: str, context: dict[str, Any]) -> str:
    """The outbox stand-in of a contact: `outbox://<unit>.<scheme>` (outbox URLs stay).

    Nothing of the real URL (host, address, token) survives but its scheme, so that a
    reader of the outbox can tell which channel the message stood for.
    """
    scheme, sep, _ = url.partition("://")
    if sep and scheme.lower() == OUTBOX_SCHEME:
        return url
    unit = _NOT_MAILBOX.sub("-", str(context.get("unit") or "don-vi").lower()).strip("-._")
    kind = _NOT_MAILBOX.sub("", scheme.lower()) if sep else "khac"
    return f"{OUTBOX_SCHEME}://{unit or 'don-vi'}.{kind or 'khac'}"


@dataclass
class Counts:
    """What one action did in the simulation, from the delivery records."""

    sent: int = 0
    skipped: int = 0
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # unit, channel, reason

    @property
    def failed(self) -> int:
        return len(self.failures)

    def line(self) -> str:
        return f"gửi {self.sent}, lỗi {self.failed}, bỏ qua {self.skipped}"


def action_counts(session: Any, code: str, action: Action) -> Counts:
    """Sent / failed / skipped deliveries of `action`; skipped: recipients sent nothing."""
    from thidua.ledger import deliveries

    rows = [
        d
        for d in deliveries.deliveries_for(session, campaign_code=code, action_key=action.key)
        if d.occurrence == action.occurrence
    ]
    counts = Counts()
    for d in rows:
        if str(d.status) == "sent":
            counts.sent += 1
        elif str(d.status).startswith("failed"):
            counts.failures.append((d.unit_code, d.channel, d.error or "không rõ nguyên nhân"))
    reached = {d.unit_code for d in rows}
    counts.skipped = sum(code not in reached for code in action.recipients)
    return counts


@dataclass
class Preview:
    """What a deploy at `now` would do with each action (the decisions of `reconcile`)."""

    now: datetime
    status: str
    sync: SyncPlan
    done: set[str]

    def to_run(self) -> list[Action]:
        """The actions a deploy now would still run, in time order."""
        if self.status != "active":
            return []
        pending = [*self.sync.create, *(a for _, a in self.sync.move)]
        pending += [a for a in self.sync.keep if a.key not in self.done]
        return sorted(pending, key=lambda a: (a.at, a.key))


def preview(loaded: LoadedCampaign, plan: Plan, now: datetime, settings: Settings) -> Preview:
    """Decide, as `thidua deploy` would at `now`, from the project's store (read only)."""
    from thidua.campaign.schedule import FINAL, SyncPlan, reconcile
    from thidua.store import campaign_rows
    from thidua.store.db import get_engine, session_scope

    record, recorded = None, {}
    exists = settings.database_url or (settings.data_dir / "thidua.store.db").is_file()
    if exists:  # never create it
        with session_scope(get_engine(settings.state_url)) as session:
            record = campaign_rows.get_campaign(session, code=loaded.code)
            recorded = {
                r.key: r for r in campaign_rows.get_actions(session, campaign_code=loaded.code)
            }
            session.expunge_all()
    status = "active" if record is None else str(record.status)
    if status == "active":
        sync = reconcile(plan.actions, recorded, now=now, catchup=settings.catchup)
    else:
        sync = SyncPlan()
    done = {k for k, r in recorded.items() if r.status in FINAL or r.status == "passed"}
    return Preview(now, status, sync, done)


def _when(action: Action, tz: ZoneInfo) -> str:
    local = action.at.astimezone(tz)
    return f"{format_short(local.date())} ({weekday_name(local.date())}) {local:%H:%M}"


def print_preview(p: Preview, out: Callable[[str], None], tz: ZoneInfo) -> None:
    from thidua.campaign.plan import Action

    local = p.now.astimezone(tz)
    out(
        f"Nếu triển khai lúc {local:%H:%M} {weekday_name(local.date())} {format_short(local.date())}:"
    )
    if p.status != "active":
        word = "đang tạm dừng" if p.status == "paused" else "đã hủy"
        out(f"  Chiến dịch {word}: không lên lịch, không gửi hoạt động nào.")
        return
    caught_up = [a for a in p.to_run() if a.at <= p.now]
    ahead = [a for a in p.to_run() if a.at > p.now]
    sections = (
        ("Ghi nhận đã qua, không gửi", p.sync.passed),
        ("Chạy bù ngay (trễ trong thời hạn bắt kịp)", caught_up),
        ("Lên lịch", ahead),
        ("Hủy lượt chạy đã lên lịch", [r for r in p.sync.cancel]),
    )
    for title, items in sections:
        out(f"  {title}: {len(items)}")
        for item in items:
            label = getattr(item, "title", None) or getattr(item, "key", "")
            if isinstance(item, Action):  # a recorded run to cancel has no planned time
                out(f"    · {_when(item, tz)} · {label}")
            else:
                out(f"    · {label}")


def sim_settings(settings: Settings, code: str) -> Settings:
    """The simulation's settings: its own, emptied data dir, with the store inside it."""
    sim_dir = (settings.data_dir / "simulate" / deployment_name(code).lower()).resolve()
    shutil.rmtree(sim_dir, ignore_errors=True)
    sim_dir.mkdir(parents=True)
    return settings.with_(data_dir=sim_dir, database_url="")


def prefect_settings(
    settings: Settings, *, lean: bool = False
) -> tuple[dict[Any, Any], dict[Any, Any]]:
    """Prefect's settings for a simulation: (forced, defaults the user's environment may override).

    A private, temporary Prefect API (not the configured API URL), so the simulation
    never touches the real server. Its home outlives one simulation so the next one
    skips the database migrations (~8 s); no UI is needed for it.

    `lean` (`thidua simulate`): the API records no task runs and keeps no event history.
    Nothing reads them (the simulation reports from its store, the API has no UI and
    ends with it) and recording them was over half the API's work, on the cores the
    runs need. The tasks still run through Prefect's task engine (states, retries,
    hooks); flow runs, their states, logs and artifacts are recorded as in a real run.
    """
    import prefect.settings

    forced, defaults = _prefect_values(settings, lean=lean)
    return (
        {getattr(prefect.settings, name): value for name, value in forced.items()},
        {getattr(prefect.settings, name): value for name, value in defaults.items()},
    )


def _prefect_values(settings: Settings, *, lean: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """`prefect_settings` by the settings' names (what the API's process gets as variables)."""
    forced: dict[str, Any] = {
        "PREFECT_HOME": (settings.data_dir / "simulate" / ".prefect").resolve(),
        "PREFECT_UI_ENABLED": False,
        # Heartbeats tell a server that a worker's run is still alive; the simulation's
        # runs live in this process and end with it. Each run would also wait up to a
        # second on exit for its heartbeat thread (~0.5 s a run, 10 s a simulation).
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": None,
    }
    if lean:
        forced["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_ENABLED"] = False
        forced["PREFECT_SERVER_SERVICES_EVENT_PERSISTER_ENABLED"] = False
    defaults: dict[str, Any] = {
        # Its first start migrates a fresh database; on a busy machine that exceeds
        # Prefect's default wait (20 s) and the simulation would fail for nothing.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": 180,
        "PREFECT_SERVER_ANALYTICS_ENABLED": False,
        # Its report is the simulation's own output: a failed run is a ✗ line with the
        # reason, not Prefect's traceback on the console (the run's logs keep it).
        "PREFECT_LOGGING_LEVEL": "CRITICAL",
    }
    return forced, defaults


def api_environment(settings: Settings) -> dict[str, str]:
    """The environment of the simulation's API process: the lean settings over the user's.

    Built without importing Prefect (over a second of this process's CPU), so that the
    API starts first thing and the import happens while it starts.
    """

    def text(value: Any) -> str:
        return str(value).lower() if isinstance(value, bool) else str(value)

    forced, defaults = _prefect_values(settings, lean=True)
    return {
        **{name: text(value) for name, value in defaults.items()},
        **os.environ,
        **{name: text(value) for name, value in forced.items() if value is not None},
        # As Prefect's own ephemeral API (`SubprocessASGIServer`).
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
    }


@contextmanager
def isolated(
    settings: Settings,
    code: str,
    *,
    lean: bool = False,
    meanwhile: Callable[[Settings], None] | None = None,
    api: PrivateApi | None = None,
) -> Iterator[Settings]:
    """Within the block, thidua and Prefect use the simulation's settings; its settings.

    Nothing is written to the process environment: Prefect gets its settings through
    its settings context (which the API's process inherits), thidua through
    `set_settings`; both are restored when the block ends.

    With `lean` (`thidua simulate`), Prefect's temporary API is the lean one of
    `prefect_settings`, in its own process (`PrivateApi`: `api`, started earlier by the
    caller, or started here) stopped when the block ends; the previous simulation's files are removed and `meanwhile(sim)`
    runs (recording the plan) while it starts. Without it, Prefect starts its own
    ephemeral API on the first call, as for any run without an API URL.
    """
    from prefect.logging.configuration import setup_logging
    from prefect.settings import PREFECT_API_URL, temporary_settings

    forced, defaults = prefect_settings(settings, lean=lean)
    previous = get_settings()
    try:
        with temporary_settings(
            updates=forced, set_defaults=defaults, restore_defaults={PREFECT_API_URL}
        ):
            if lean and api is None:
                api = PrivateApi(settings)
            try:
                sim = sim_settings(settings, code)
                set_settings(sim)
                if meanwhile is not None:
                    meanwhile(sim)
                url = api.wait() if lean and api is not None else None
                with temporary_settings(updates={PREFECT_API_URL: url} if url else {}):
                    setup_logging()  # Prefect configured its logging at import: apply the level
                    yield sim
            finally:
                if lean and api is not None:
                    api.stop()
    finally:
        set_settings(previous)
        setup_logging()


class PrivateApi:
    """Prefect's API for one simulation, in a process of its own started at once.

    The process is the one Prefect's ephemeral mode runs (uvicorn serving
    `prefect.server.api.server:create_app`, same environment), started here rather
    than by the first client: that client would first import the whole server module
    (~2.8 s of this process's CPU, only to start it) and then wait for it, while here
    the simulation goes on with its own work as the API starts.
    """

    def __init__(self, settings: Settings) -> None:
        self.env = api_environment(settings)
        # Prefect creates its home without parents: on a fresh data dir the API process
        # would race this one creating data_dir/simulate/, lose, and find no database.
        Path(self.env["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self.process = self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        spec = importlib.util.find_spec("prefect")  # where it is, without importing it
        assert spec is not None and spec.origin is not None
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                str(Path(spec.origin).parent.parent),
                "--factory",
                "prefect.server.api.server:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "error",
                "--lifespan",
                "on",
            ],
            env=self.env,
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def wait(self) -> str:
        """The API's URL once it answers; RuntimeError when it cannot start."""
        import httpx
        from prefect.settings import PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS

        deadline = time.monotonic() + PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()
        with httpx.Client() as client:
            while time.monotonic() < deadline:
                code = self.process.poll()
                if code == 3:  # uvicorn could not bind: the port was taken meanwhile
                    self.port = _free_port()
                    self.process = self._spawn()
                elif code is not None:
                    raise RuntimeError(f"Prefect API của mô phỏng dừng khi khởi động (mã {code})")
                try:
                    if client.get(f"{self.url}/health").status_code == 200:
                        return self.url
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise RuntimeError("Prefect API của mô phỏng không khởi động kịp")

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def record_plan(sim: Settings, loaded: LoadedCampaign, plan: Plan, passed: set[str]) -> None:
    """Record the campaign and its actions with the functions `thidua deploy` uses."""
    from thidua.store.db import get_engine, session_scope

    with session_scope(get_engine(sim.state_url)) as session:
        record_campaign(session, loaded)
        for action in plan.actions:
            record_action(
                session,
                loaded.code,
                action,
                status="passed" if action.key in passed else "scheduled",
            )


def _prepare(sim: Settings, loaded: LoadedCampaign, plan: Plan, passed: set[str]) -> None:
    """What the runs need first, done while the private API starts (seconds under load)."""
    record_plan(sim, loaded, plan, passed)
    import thidua.flows.action  # noqa: F401  # the flow, its tasks and their imports (~1 s)
    from thidua.tasks.actions import loaded_plan

    # The campaign as each run loads it (kept for the process). A file that no longer
    # loads is each run's failure to report, as without this.
    with contextlib.suppress(Exception):
        loaded_plan(loaded.path)


def _send_time(loaded: LoadedCampaign, action: Action, clock: datetime, tz: ZoneInfo) -> datetime:
    """When a run starting at `clock` sends: the rule of the action flow (working hours)."""
    from thidua.dates.hours import next_send_time

    later = next_send_time(
        clock,
        working_days_only=loaded.spec.working_days_only,
        notice_time=action.at.astimezone(tz).time(),
        tz=tz,
    )
    return later or clock


def simulate(
    loaded: LoadedCampaign,
    *,
    verbose: bool,
    now: datetime | None,
    out: Callable[[str], None],
) -> int:
    """Run the simulation; 1 when any delivery (or run) failed, else 0."""
    from thidua.campaign.plan import compile_plan

    settings = get_settings()
    # First thing: the private API takes seconds to start, in its own process, while this
    # one imports Prefect, previews, and records the plan.
    api = PrivateApi(settings)
    try:
        tz = ZoneInfo(settings.timezone)
        plan = compile_plan(loaded.spec, loaded.registry, notice_time=settings.notice_time)
        out(
            "Mô phỏng: không gửi tới kênh thật nào. Mọi địa chỉ liên hệ (thư điện tử, Telegram, "
            "Slack, webhook, MQTT…) được thay bằng hộp thư cục bộ outbox://<đơn vị>.<kênh>."
        )
        _warn_unset(loaded, plan, out)
        actions = list(plan.actions)
        passed: set[str] = set()
        if now is not None:
            p = preview(loaded, plan, now, settings)
            print_preview(p, out, tz)
            actions = p.to_run()
            passed = {a.key for a in p.sync.passed} | p.done
        with isolated(
            settings,
            loaded.code,
            lean=True,
            meanwhile=lambda sim: _prepare(sim, loaded, plan, passed),
            api=api,
        ) as sim:
            out(
                f"Mô phỏng {loaded.code}: {len(actions)} hoạt động, "
                f"{len(plan.participants)} đơn vị."
            )
            failed_runs, failed_deliveries = _run_all(loaded, actions, now, sim, verbose, out)
    finally:
        api.stop()
    out(f"Trạng thái đã ghi vào {sim.state_url}; thư mô phỏng: {sim.outbox_dir}")
    if failed_deliveries or failed_runs:
        out(f"Có {failed_deliveries} lượt gửi lỗi, {failed_runs} hoạt động thất bại.")
        return 1
    return 0


def _run_all(
    loaded: LoadedCampaign,
    actions: list[Action],
    now: datetime | None,
    sim: Settings,
    verbose: bool,
    out: Callable[[str], None],
) -> tuple[int, int]:
    """Run each action through the real flow, every contact replaced by the outbox.

    Returns (failed runs, failed deliveries).
    """
    from prefect.context import SyncClientContext
    from thidua.flows.action import run_action
    from thidua.notifications.send import contacts_replaced

    from thidua.store.db import get_engine, session_scope

    tz = ZoneInfo(sim.timezone)
    store = get_engine(sim.state_url)
    failed_runs = failed_deliveries = 0
    # One API client for all the runs (each run would otherwise open its own: a new
    # HTTP client and connection, ~40 ms a run); the runs are the same as without it.
    with contacts_replaced(outbox_for), SyncClientContext.get_or_create():
        for action in actions:
            clock = action.at if now is None or action.at > now else now
            send_at = _send_time(loaded, action, clock, tz) if clock != action.at else clock
            state = run_action(
                campaign_file=str(loaded.path),
                action_key=action.key,
                scheduled_for=action.at,
                now=send_at,
                deferred_to=send_at if send_at != clock else None,
                return_state=True,
            )
            with session_scope(store) as session:
                counts = action_counts(session, loaded.code, action)
                mine = _outbox_of(session, loaded.code, action.key, whole=verbose)
                session.expunge_all()
            bad_run = state.is_failed() or state.is_crashed()
            failed_runs += bad_run
            failed_deliveries += counts.failed
            mark = "✗" if bad_run or counts.failed else "–" if state.is_cancelled() else "✓"
            units = sorted({m if isinstance(m, str) else m.unit_code for m in mine} - {None})
            out(
                f"{mark} {_when(action, tz)} · {action.title} → {len(units)} đơn vị "
                f"({counts.line()})"
            )
            if send_at != action.at:
                local = send_at.astimezone(tz)
                out(f"    chạy lúc {local:%H:%M} {format_short(local.date())}")
            for unit, channel, reason in counts.failures:
                out(f"    lỗi {unit} ({channel}): {reason}")
            if units and not verbose:
                out(
                    textwrap.fill(
                        ", ".join(units),
                        100,
                        initial_indent="    ",
                        subsequent_indent="    ",
                        break_on_hyphens=False,  # unit codes such as TP-CAO-BANG stay whole
                    )
                )
            if verbose:
                for m in mine:
                    out(f"  ── {m.unit_code}: {m.subject}")
                    out(textwrap.indent(m.body_text.rstrip(), "     "))
            if not state.is_completed() and state.message:
                out(f"    {_reason(state.message)}")
    return failed_runs, failed_deliveries


def _outbox_of(session: Any, code: str, action_key: str, *, whole: bool) -> list[Any]:
    """The outbox of one action: its messages (`whole`) or only their units' codes.

    Only this action's rows, and without their bodies unless they are printed: the
    whole campaign's outbox, read again after each action, grew with every action.
    """
    from sqlmodel import col, select

    from thidua.store.models import OutboxMessage

    mine = (
        col(OutboxMessage.campaign_code) == code,
        col(OutboxMessage.action_key) == action_key,
    )
    if whole:
        return list(
            session.exec(select(OutboxMessage).where(*mine).order_by(col(OutboxMessage.id)))
        )
    return list(session.exec(select(OutboxMessage.unit_code).where(*mine)))


def _reason(message: str) -> str:
    """A run's state message in Vietnamese: Prefect's English frame around the error dropped."""
    for frame in ("Flow run encountered an exception: ", "Flow run encountered an exception. "):
        if message.startswith(frame):
            return f"hoạt động lỗi: {message.removeprefix(frame)}"
    return message


def _warn_unset(loaded: LoadedCampaign, plan: Plan, out: Callable[[str], None]) -> None:
    """Contacts a real run could not use now (unset ${VARS}): said before simulating them."""
    from thidua.registry.reach import unreached_contacts

    units = {code for action in plan.actions for code in action.recipients}
    for line in unreached_contacts(loaded.registry, units).lines():
        out(f"cảnh báo (khi chạy thật): {line}")
