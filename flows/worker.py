"""Multi-worker mode: campaign deployments on a Prefect work pool, and `thidua worker`.

With a work pool, `thidua deploy --work-pool NAME` registers each campaign's
deployment on the pool instead of the runner inside `thidua serve`, and any number
of `thidua worker` processes (on this machine or others that share the project
directory, the store and the Prefect API) poll the pool and run the actions. Two
workers never send a message twice: every delivery is claimed in the store first
(`thidua.ledger.deliveries.claim_delivery`), and Prefect hands each flow run to one worker.

A worker runs a flow from the project directory, found through a
`set_working_directory` pull step, and imports the flow by module path, so the
installed `thidua` package is the code and relative campaign paths resolve as they
did at deploy time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from pathlib import Path
from typing import TYPE_CHECKING

from thidua.config import Settings
from thidua.errors import SettingsError, ThiduaError, quote

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient
    from prefect.client.schemas.objects import WorkPool
    from prefect.deployments.runner import RunnerDeployment

#: The pool `thidua worker` polls when neither --pool nor THIDUA_WORK_POOL names one
#: (the same name prefect.yaml uses).
DEFAULT_POOL = "thidua"
POOL_TYPE = "process"
#: Characters Prefect refuses in names (prefect.types.names.BANNED_CHARACTERS).
_BANNED = "/%&><"


def pool_name(
    value: str | None, settings: Settings, *, option: str = "--pool", default: str = ""
) -> str:
    """The work pool to use: the `option`'s value, else THIDUA_WORK_POOL, else `default`."""
    given = value if value is not None else (settings.work_pool or default)
    name = given.strip()
    source = f"tham số {option}" if value is not None else "biến môi trường THIDUA_WORK_POOL"
    if value is not None and not name:
        raise SettingsError(f"{source}: tên nhóm tiến trình không được để trống")
    bad = sorted({c for c in name if c in _BANNED})
    if bad:
        raise SettingsError(
            f"{source} = {quote(given)} không hợp lệ: tên nhóm tiến trình không được chứa "
            f"{' '.join(bad)}"
        )
    return name


async def ensure_pool(client: PrefectClient, name: str) -> WorkPool:
    """The work pool `name`, created as a process pool when it does not exist yet."""
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.workers.process import ProcessWorker

    try:
        return await client.read_work_pool(name)
    except ObjectNotFound:
        pass
    create = WorkPoolCreate(
        name=name,
        type=POOL_TYPE,
        description="Thi đua: các hoạt động của chiến dịch (thidua deploy --work-pool)",
        base_job_template=ProcessWorker.get_default_base_job_template(),
    )
    try:
        return await client.create_work_pool(create)
    except ObjectAlreadyExists:  # another deploy or worker created it a moment ago
        return await client.read_work_pool(name)


def on_work_pool(deployment: RunnerDeployment, pool: str, project: Path) -> RunnerDeployment:
    """Point `deployment` at `pool`, its code imported by module path from `project`."""
    from prefect.runner.storage import LocalStorage

    deployment.work_pool_name = pool
    # A worker would otherwise copy the deployment's path into a temporary directory
    # for every run; the pull step runs the flow in place, where the campaigns are.
    deployment.storage = LocalStorage(str(project.resolve()))
    module = deployment.entrypoint or ""
    if ":" in module:  # flows/action.py:run_action → thidua.flows.action.run_action
        path, _, function = module.partition(":")
        # flows/ installs as thidua.flows (pyproject package-dir): import it by that name,
        # never as a top-level `flows` that would load a second copy of its modules.
        module = ".".join(("thidua", *Path(path).with_suffix("").parts, function))
    deployment.entrypoint = module
    return deployment


async def _check_pool(pool: str) -> None:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        found = await ensure_pool(client, pool)
    if found.type != POOL_TYPE:
        raise ThiduaError(
            f"nhóm tiến trình {quote(pool)} có kiểu {quote(found.type)}, không phải "
            f"{quote(POOL_TYPE)}: `thidua worker` chỉ chạy nhóm kiểu process; với nhóm khác "
            f"hãy chạy worker của Prefect tương ứng (xem docs/production.md)"
        )


async def _poll(pool: str, *, name: str, limit: int | None, healthcheck: bool) -> None:
    from prefect.workers.process import ProcessWorker

    # Ctrl-C and SIGTERM (systemd, Kubernetes) both cancel the polling, even where the
    # shell started the worker with SIGINT ignored (a background job).
    task = asyncio.current_task()
    assert task is not None
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, task.cancel)
    worker = ProcessWorker(work_pool_name=pool, name=name, limit=limit)
    await worker.start(with_healthcheck=healthcheck, printer=lambda *_: None)


def run_worker(
    settings: Settings,
    pool: str,
    *,
    name: str | None = None,
    limit: int | None = None,
    health_port: int | None = None,
) -> int:
    """Poll `pool` and run its due actions until Ctrl-C or SIGTERM; the exit code."""
    from thidua.flows.server import configure_prefect, healthy

    from thidua.clock import virtual_now
    from thidua.store.db import get_engine

    # A malformed THIDUA_NOW fails here, not in every run; a set one is announced loudly.
    virtual_now()
    if health_port:  # read by Prefect when it is first imported, below
        os.environ["PREFECT_WORKER_WEBSERVER_PORT"] = str(health_port)
    configure_prefect(settings)
    if not healthy(settings.api_url):
        raise ThiduaError(
            f"không kết nối được máy chủ Prefect tại {settings.api_url}; hãy chạy "
            "`thidua serve` hoặc đặt THIDUA_PREFECT_API_URL"
        )
    # Fail here, in Vietnamese, rather than in every flow run: the store must be
    # reachable, and its schema is migrated before the first run needs it.
    get_engine()
    asyncio.run(_check_pool(pool))
    name = name or f"thidua-{socket.gethostname()}-{os.getpid()}"
    print(
        f"Tiến trình thực thi “{name}” nhận việc từ nhóm {quote(pool)} tại {settings.api_url} "
        "(Ctrl-C để dừng)",
        flush=True,
    )
    # In process rather than `prefect worker start`: that command's signal forwarding
    # (Prefect 3.8.8) leaves the worker running after the first Ctrl-C or SIGTERM.
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(_poll(pool, name=name, limit=limit, healthcheck=bool(health_port)))
    print(f"Đã dừng tiến trình thực thi “{name}”.", flush=True)
    return 0
