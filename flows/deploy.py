"""Turn campaign files into Prefect deployments and their actions into scheduled flow runs.

Runs are created explicitly, one per action, instead of through deployment
schedules: Prefect's scheduler only looks 100 days ahead (a tổng kết in quý IV/2030
would be invisible) and deletes auto-scheduled runs when a served deployment is
paused, so a one-off date could be lost during downtime. Explicit runs are visible
in the UI from the day of deployment, survive restarts and run late when the
worker comes back. `thidua.campaign.schedule.reconcile` decides what changes; this module
only carries it out and records it in the store.

Campaigns are deployed in chunks of `CHUNK`, each through a few bulk steps instead of
~25 requests and ~40 statements per campaign: the store is read and written for the
whole chunk at once; the existing deployments are read in one filter and only those
that differ are upserted; each campaign's runs are created in one bulk request; the
requests of a chunk overlap (`concurrency` at a time) over the caller's one client.
A redeploy with nothing changed writes nothing and creates nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar
from uuid import UUID

from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterName,
    FlowFilter,
    FlowFilterName,
)
from prefect.client.schemas.responses import DeploymentResponse
from prefect.deployments.runner import RunnerDeployment
from prefect.exceptions import PrefectHTTPStatusError
from prefect.utilities.callables import parameter_schema
from thidua.flows.action import run_action
from thidua.flows.deploy_runs import cancel_run, create_run, create_runs, existing_runs, fresh_runs
from thidua.flows.naming import deployment_name, description, relative_file, spec_hash
from thidua.flows.pausing import pause_runs, resume_all_runs
from thidua.flows.recording import record_campaign
from thidua.flows.worker import ensure_pool, on_work_pool

from thidua import clock
from thidua.campaign.loading import LoadedCampaign
from thidua.campaign.plan import Action, Plan, compile_plan
from thidua.campaign.schedule import SyncPlan, reconcile
from thidua.config import get_settings
from thidua.store import campaign_batch, campaign_rows
from thidua.store.db import session_scope

TAG = "thidua"
#: Campaigns per chunk: bulk reads stay one page, progress shows every chunk.
CHUNK = 100
#: Requests in flight at once: enough to keep a server busy while the client works,
#: few enough that a small server is not swamped (measured on 2 cores: see bench/).
DEFAULT_CONCURRENCY = 8
T = TypeVar("T")


async def runner_deployment(
    loaded: LoadedCampaign, plan: Plan, *, paused: bool = False
) -> RunnerDeployment:
    """The deployment of one campaign: the action flow with the campaign file as parameter."""
    return await run_action.ato_deployment(
        name=deployment_name(loaded.code),
        tags=[loaded.code, TAG],
        description=description(loaded, plan),
        parameters={"campaign_file": relative_file(loaded.path)},
        version=spec_hash(loaded),
        paused=paused,
    )


@dataclass
class DeployResult:
    """What a deployment did, for the CLI and the tests."""

    code: str
    deployment_id: UUID
    sync: SyncPlan
    status: str
    deployment: RunnerDeployment


@dataclass
class _Campaign:
    """One campaign on its way through a chunk's steps."""

    loaded: LoadedCampaign
    plan: Plan
    file: str
    version: str
    status: str = "active"
    recorded: dict[str, Any] = field(default_factory=dict)
    deployment: RunnerDeployment | None = None
    deployment_id: UUID | None = None
    sync: SyncPlan = field(default_factory=SyncPlan)
    created: dict[str, str] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.loaded.code


async def deploy_campaign(
    client: PrefectClient,
    loaded: LoadedCampaign,
    *,
    now: datetime | None = None,
    work_pool: str | None = None,
) -> DeployResult:
    """Create or update the campaign's deployment and make its runs match the plan.

    With a `work_pool` (None: THIDUA_WORK_POOL) the deployment goes to that Prefect
    work pool, run by `thidua worker`s from this directory, not by `thidua serve`.
    """
    [result] = await deploy_campaigns(client, [loaded], now=now, work_pool=work_pool)
    return result


async def deploy_campaigns(
    client: PrefectClient,
    campaigns: list[LoadedCampaign],
    *,
    now: datetime | None = None,
    work_pool: str | None = None,
    concurrency: int | None = None,
    on_result: Callable[[DeployResult], None] | None = None,
) -> list[DeployResult]:
    """`deploy_campaign` for every campaign, in bulk; `on_result` hears of each as it is done.

    `concurrency`: requests in flight at once (None: `default_concurrency()`).
    """
    now = now or clock.now()  # THIDUA_NOW in tests, the wall clock otherwise
    concurrency = concurrency or default_concurrency()
    template = (
        await runner_deployment(campaigns[0], _empty_plan(campaigns[0])) if campaigns else None
    )
    flow_id = await client.create_flow_from_name(run_action.name) if campaigns else None
    pools: set[str] = set()
    limit = asyncio.Semaphore(concurrency)
    results: list[DeployResult] = []
    chunks = list(_chunks(campaigns))
    # The next chunk's plans and store rows (client CPU) are prepared in a thread while
    # this chunk waits on the server: on 2 cores the two overlap instead of taking turns.
    registries: set[tuple[str, str]] = set()  # written by this deploy (the chunks in turn)
    ahead = (
        asyncio.create_task(asyncio.to_thread(_prepare, chunks[0], registries)) if chunks else None
    )
    for i, chunk in enumerate(chunks):
        assert template is not None and flow_id is not None and ahead is not None
        prepared = await ahead
        following = chunks[i + 1] if i + 1 < len(chunks) else None
        overlap = following is not None and {c.code for c in following} & {c.code for c in chunk}
        if following is not None and not overlap:
            ahead = asyncio.create_task(asyncio.to_thread(_prepare, following, registries))
        done = await _deploy_prepared(
            client, prepared, now=now, work_pool=work_pool, template=template, flow_id=flow_id,
            pools=pools, limit=limit,
        )  # fmt: skip
        if following is not None and overlap:  # the same code again: after this one is saved
            ahead = asyncio.create_task(asyncio.to_thread(_prepare, following, registries))
        for result in done:
            if on_result:
                on_result(result)
        results.extend(done)
    return results


def default_concurrency() -> int:
    """DEFAULT_CONCURRENCY, or 1 for the local server on its default SQLite database.

    SQLite takes one writer at a time: overlapping creations only wait on its lock
    ("database is locked") and measured slower than one after the other.
    """
    settings = get_settings()
    if not settings.prefect_api_url and not settings.prefect_database_url.strip():
        return 1
    return DEFAULT_CONCURRENCY


def _empty_plan(loaded: LoadedCampaign) -> Plan:
    return Plan(campaign=loaded.spec, actions=[], occurrences=[], participants=())


def _chunks(campaigns: list[LoadedCampaign]) -> Iterable[list[LoadedCampaign]]:
    """Chunks of CHUNK; a code seen twice (two files, one code) starts a new chunk, so the
    later file wins as it did when campaigns were deployed one after the other."""
    chunk: list[LoadedCampaign] = []
    codes: set[str] = set()
    for loaded in campaigns:
        if len(chunk) == CHUNK or loaded.code in codes:
            yield chunk
            chunk, codes = [], set()
        chunk.append(loaded)
        codes.add(loaded.code)
    if chunk:
        yield chunk


async def _all(limit: asyncio.Semaphore, calls: Iterable[Awaitable[T]]) -> list[T]:
    """Await `calls` overlapping, `limit` at a time; the first failure cancels the rest."""

    async def one(call: Awaitable[T]) -> T:
        async with limit:
            return await call

    async with asyncio.TaskGroup() as group:
        tasks = [group.create_task(one(call)) for call in calls]
    return [task.result() for task in tasks]


def _prepare(chunk: list[LoadedCampaign], registries: set[tuple[str, str]]) -> list[_Campaign]:
    """Plans, fingerprints, and the store's record of each campaign of the chunk.

    `registries`: the registries whose units this deploy has written already.
    """
    settings = get_settings()
    prepared = []
    for loaded in chunk:
        plan = compile_plan(loaded.spec, loaded.registry, notice_time=settings.notice_time)
        prepared.append(_Campaign(loaded, plan, relative_file(loaded.path), spec_hash(loaded)))
    with session_scope() as session:
        _record(session, prepared, registries)
        session.expunge_all()
    return prepared


async def _deploy_prepared(
    client: PrefectClient,
    prepared: list[_Campaign],
    *,
    now: datetime,
    work_pool: str | None,
    template: RunnerDeployment,
    flow_id: UUID,
    pools: set[str],
    limit: asyncio.Semaphore,
) -> list[DeployResult]:
    settings = get_settings()
    await _apply_deployments(client, prepared, work_pool, template, flow_id, pools, limit)
    known = await existing_runs(
        client,
        [r.flow_run_id for c in prepared for r in c.recorded.values() if _scheduled(r)],
        [c.deployment_id for c in prepared if c.deployment_id],
    )
    for c in prepared:
        c.recorded = _forget_missing_runs(c.recorded, known)
    # The runs stay, Paused, until resume (flows/pausing.py).
    await _all(
        limit,
        [
            pause_runs(client, c.deployment_id)
            for c in prepared
            if c.status == "paused" and c.deployment_id
        ],
    )
    await resume_all_runs(
        client, [c.deployment_id for c in prepared if c.status == "active" and c.deployment_id]
    )
    for c in prepared:
        if c.status == "active":
            c.sync = reconcile(c.plan.actions, c.recorded, now=now, catchup=settings.catchup)
        elif c.status != "paused":  # a cancelled campaign keeps no scheduled runs
            c.sync = SyncPlan(cancel=[r for r in c.recorded.values() if r.status == "scheduled"])
    await _all(limit, [_carry_out(client, c, limit) for c in prepared])
    await _replace_stale_runs(client, prepared)
    with session_scope() as session:
        _save(session, prepared)
    return [
        DeployResult(c.code, c.deployment_id, c.sync, c.status, c.deployment)  # type: ignore[arg-type]
        for c in prepared
    ]


# --- the store ----------------------------------------------------------------------


def _record(session: Any, prepared: list[_Campaign], registries: set[tuple[str, str]]) -> None:
    """Record each campaign and its units (unless unchanged), and read its actions.

    A registry's units are written once per deploy, not once per campaign: upserting
    the same 100+ units for each of 1,000 campaigns was ~90 % of the deploy's client CPU
    (statement compilation) and PostgreSQL's work (measured, bench/README.md).
    """
    codes = [c.code for c in prepared]
    records = campaign_batch.campaigns_by_code(session, codes)
    members = campaign_batch.member_counts(session, codes)
    for c in prepared:
        record = records.get(c.code)
        if record is not None and _unchanged(record, c, members.get(c.code, 0)):
            c.status = str(record.status)
            continue
        registry = _registry_key(c.loaded)
        c.status = record_campaign(session, c.loaded, units=registry not in registries)
        if registry is not None:
            registries.add(registry)
    actions = campaign_batch.actions_by_campaign(session, codes)
    for c in prepared:
        c.recorded = {r.key: r for r in actions[c.code]}


def _registry_key(loaded: LoadedCampaign) -> tuple[str, str] | None:
    """The registry's file and a digest of its bytes: equal keys, equal units (None: not a file)."""
    source = Path(loaded.registry.source)
    if not source.is_file():
        return None
    return str(source.resolve()), hashlib.sha256(source.read_bytes()).hexdigest()


def _unchanged(record: Any, c: _Campaign, members: int) -> bool:
    """The store already holds this version of the campaign and all its units.

    The fingerprint covers the file and its registry, so equal fingerprints mean the
    same units and participants; the member count catches a store edited by hand.
    """
    spec = c.loaded.spec
    return (
        record.spec_hash == c.version
        and record.file == c.file
        and record.title == spec.title
        and record.organizer == spec.organizer
        and record.period_start == spec.period.start
        and record.period_end == spec.period.end
        and members == len(set(c.plan.participants)) + 1  # + the organizer's row
    )


def _scheduled(record: Any) -> bool:
    return record.status == "scheduled" and bool(record.flow_run_id)


def _forget_missing_runs(recorded: dict[str, Any], known: set[str]) -> dict[str, Any]:
    """Records whose run no longer exists in Prefect (its database was reset) count as unscheduled."""
    out = dict(recorded)
    for key, record in recorded.items():
        if record.status == "scheduled" and record.flow_run_id not in known:
            out[key] = SimpleNamespace(
                key=key,
                scheduled_at=record.scheduled_at,
                status="planned",
                flow_run_id=None,
                run_name=record.run_name,
            )
    return out


def _save(session: Any, prepared: list[_Campaign]) -> None:
    """What the deploy did, in the store: new and passed actions in multi-row INSERTs."""
    rows: list[dict[str, Any]] = []
    for c in prepared:
        sync = c.sync
        for action in sync.keep:
            record = c.recorded.get(action.key)
            fields = campaign_rows.action_fields(action)
            if record is None or any(getattr(record, k, None) != v for k, v in fields.items()):
                campaign_rows.save_action(session, campaign_code=c.code, key=action.key, **fields)
        for action in [*sync.create, *(a for _, a in sync.move)]:
            rows.append(_row(c.code, action, "scheduled", c.created[action.key]))
        rows.extend(_row(c.code, action, "passed", None) for action in sync.passed)
    campaign_batch.insert_actions(session, rows)
    for c in prepared:
        for record in c.sync.cancel:
            campaign_rows.set_action_status(
                session,
                campaign_code=c.code,
                key=record.key,
                status="planned" if c.status == "paused" else "cancelled",
            )


def _row(code: str, action: Action, status: str, flow_run_id: str | None) -> dict[str, Any]:
    return {
        "campaign_code": code,
        "key": action.key,
        **campaign_rows.action_fields(action),
        "status": status,
        "flow_run_id": flow_run_id,
    }


# --- Prefect ------------------------------------------------------------------------


async def _apply_deployments(
    client: PrefectClient,
    prepared: list[_Campaign],
    work_pool: str | None,
    template: RunnerDeployment,
    flow_id: UUID,
    pools: set[str],
    limit: asyncio.Semaphore,
) -> None:
    """Each campaign's deployment, upserted only when it differs from Prefect's copy."""
    settings = get_settings()
    existing = await _existing_deployments(client, [deployment_name(c.code) for c in prepared])
    upserts = []
    for c in prepared:
        deployment = template.model_copy(
            update={
                "name": deployment_name(c.code),
                "tags": [c.code, TAG],
                "description": description(c.loaded, c.plan),
                "parameters": {"campaign_file": c.file},
                "version": c.version,
                "paused": c.status != "active",
            }
        )
        old = existing.get(deployment.name)
        pool = settings.work_pool if work_pool is None else work_pool
        pool = pool or (old.work_pool_name if old else "") or ""  # pause/resume keep the pool
        if pool:
            if pool not in pools:
                await ensure_pool(client, pool)
                pools.add(pool)
            on_work_pool(deployment, pool, Path.cwd())
        c.deployment = deployment
        payload = _payload(deployment, flow_id)
        if old is not None and _same(old, payload):
            c.deployment_id = old.id
        else:
            upserts.append((c, payload))

    async def upsert(c: _Campaign, payload: dict[str, Any]) -> None:
        try:
            c.deployment_id = await client.create_deployment(**payload)
        except PrefectHTTPStatusError as exc:  # as RunnerDeployment.apply reports it
            from prefect.deployments.runner import DeploymentApplyError

            detail = exc.response.json().get("detail")
            raise DeploymentApplyError(detail or str(exc)) from exc

    await _all(limit, [upsert(c, payload) for c, payload in upserts])


def _payload(deployment: RunnerDeployment, flow_id: UUID) -> dict[str, Any]:
    """What `RunnerDeployment.apply` sends to create or update (upsert) the deployment.

    Sent straight to `client.create_deployment` (POST /deployments/, an upsert on flow
    and name) through the caller's client: `apply` opens a client of its own, reads the
    deployment first and asks git for version information, ~60 ms each time.
    """
    payload: dict[str, Any] = {
        "flow_id": flow_id,
        "name": deployment.name,
        "version": deployment.version,
        "paused": deployment.paused,
        "concurrency_limit": deployment.concurrency_limit,
        "parameters": deployment.model_dump(mode="json", include={"parameters"})["parameters"],
        "description": deployment.description,
        "tags": list(deployment.tags),
        "entrypoint": deployment.entrypoint,
        "parameter_openapi_schema": _schema(),
        "enforce_parameter_schema": deployment.enforce_parameter_schema,
        "path": ".",  # a served flow is imported from the file path, from the project
    }
    if deployment.work_pool_name:
        payload["work_pool_name"] = deployment.work_pool_name
        payload["work_queue_name"] = deployment.work_queue_name
        payload["job_variables"] = dict(deployment.job_variables)
        payload["path"] = None if deployment.storage else "."
        steps = deployment.storage.to_pull_step() if deployment.storage else []
        payload["pull_steps"] = steps if isinstance(steps, list) else [steps] if steps else []
    return payload


_SCHEMA: dict[str, Any] = {}


def _schema() -> dict[str, Any]:
    """The action flow's parameter schema, as `ato_deployment` derives it (once)."""
    if not _SCHEMA:
        _SCHEMA.update(parameter_schema(run_action).model_dump(exclude_unset=True))
    return _SCHEMA


def _same(old: DeploymentResponse, payload: dict[str, Any]) -> bool:
    """Prefect's copy already says everything `payload` would write."""
    want = {
        "version": payload["version"],
        "paused": payload["paused"],
        "description": payload["description"],
        "tags": payload["tags"],
        "parameters": payload["parameters"],
        "entrypoint": payload["entrypoint"],
        "path": payload["path"],
        "parameter_openapi_schema": payload["parameter_openapi_schema"],
        "enforce_parameter_schema": payload["enforce_parameter_schema"],
        "work_pool_name": payload.get("work_pool_name") or None,
        "pull_steps": payload.get("pull_steps") or None,
    }
    have = old.model_dump(mode="json", include=set(want))
    have["work_pool_name"] = have.get("work_pool_name") or None
    have["pull_steps"] = have.get("pull_steps") or None
    return have == want


async def _existing_deployments(
    client: PrefectClient, names: list[str]
) -> dict[str, DeploymentResponse]:
    """The action flow's deployments named `names`, by name, in one filter per page."""
    out: dict[str, DeploymentResponse] = {}
    for start in range(0, len(names), 200):
        page = await client.read_deployments(
            flow_filter=FlowFilter(name=FlowFilterName(any_=[run_action.name])),
            deployment_filter=DeploymentFilter(
                name=DeploymentFilterName(any_=names[start : start + 200])
            ),
            limit=200,
        )
        out.update((d.name, d) for d in page)
    return out


async def _carry_out(client: PrefectClient, c: _Campaign, limit: asyncio.Semaphore) -> None:
    """Cancel, move, create and rename the campaign's runs as its sync plan says."""
    sync, deployment_id = c.sync, c.deployment_id
    assert deployment_id is not None
    for record, action in sync.move:
        await cancel_run(client, record.flow_run_id, f"Dời lịch sang {action.at:%H:%M %d/%m/%Y}")
    for record in sync.cancel:
        reason = "Chiến dịch tạm dừng" if c.status == "paused" else "Mốc không còn trong tệp"
        await cancel_run(client, record.flow_run_id, reason)
    wanted = [*sync.create, *(a for _, a in sync.move)]
    if wanted:
        c.created = await create_runs(client, deployment_id, c.file, wanted)
    for action in sync.keep:
        kept = c.recorded.get(action.key)
        if kept is not None and kept.status == "scheduled" and kept.run_name != action.run_name():
            await client.update_flow_run(UUID(kept.flow_run_id), name=action.run_name())


async def _replace_stale_runs(client: PrefectClient, prepared: list[_Campaign]) -> None:
    """An idempotency key that named an old, finished or cancelled run: make a fresh one."""
    created = [run_id for c in prepared for run_id in c.created.values()]
    if not created:
        return
    fresh = await fresh_runs(client, created)
    for c in prepared:
        wanted = {a.key: a for a in [*c.sync.create, *(a for _, a in c.sync.move)]}
        for key, run_id in list(c.created.items()):
            if run_id not in fresh:
                assert c.deployment_id is not None
                c.created[key] = await create_run(
                    client, c.deployment_id, c.file, wanted[key], first_attempt=1
                )
