"""The orchestration commands of the `thidua` CLI: serve, deploy, simulate, pause, resume, cancel.

They live with the flows, not in the core, because they drive Prefect; the core
CLI only names this module. Every command configures Prefect before importing it,
and heavy imports stay inside the commands: the core CLI imports this module to
build its parser on every call, `thidua date` included.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import textwrap
from pathlib import Path
from typing import Any

from flows.naming import deployment_name, relative_file
from flows.worker import DEFAULT_POOL
from thidua.campaign_file import LoadedCampaign, load_campaign, load_campaigns
from thidua.config import get_settings, set_settings
from thidua.errors import ThiduaError, UnknownCampaign, ValidationFailed
from thidua.vnformat import format_short, weekday_name


def _out(text: str = "") -> None:
    print(text, flush=True)


def _load_all(files: list[Path]) -> list[LoadedCampaign]:
    """Every valid campaign among `files`; invalid ones are reported and left out."""
    loaded = []
    for path, result in zip(files, load_campaigns(files), strict=True):  # one child process
        if isinstance(result, ValidationFailed):
            _out(f"✗ bỏ qua {path}: {len(result.errors)} lỗi (xem `thidua validate {path}`)")
        else:
            loaded.append(result)
    return loaded


def _campaign_files(args: argparse.Namespace) -> list[Path]:
    files = [Path(f) for f in getattr(args, "files", []) or []]
    return files or sorted(get_settings().campaigns_dir.glob("*.py"))


def _load_valid(args: argparse.Namespace) -> list[LoadedCampaign]:
    """The valid campaigns to deploy; a clear error when there is none at all."""
    loaded = _load_all(_campaign_files(args))
    if not loaded:
        where = get_settings().campaigns_dir
        raise ThiduaError(
            f"không có tệp chiến dịch hợp lệ nào để triển khai (thư mục {where}); "
            "kiểm tra bằng `thidua validate`"
        )
    return loaded


async def _deploy_all(
    loaded: list[LoadedCampaign], *, quiet: bool = False, work_pool: str | None = None
) -> list[Any]:
    from prefect.client.orchestration import get_client

    from flows.deploy import deploy_campaign

    results = []
    async with get_client() as client:
        for campaign in loaded:
            result = await deploy_campaign(client, campaign, work_pool=work_pool)
            results.append(result)
            if not quiet:
                _out(f"✓ {campaign.code}: {result.sync.summary()}")
    return results


def _require_api() -> None:
    from flows.server import healthy

    api = get_settings().api_url
    if not healthy(api):
        raise ThiduaError(
            f"không kết nối được máy chủ Prefect tại {api}; hãy chạy `thidua serve` trước"
        )


def cmd_deploy(args: argparse.Namespace) -> int:
    """Register campaigns with a running Prefect server and schedule their actions."""
    import asyncio

    from flows.server import configure_prefect
    from flows.worker import pool_name

    settings = get_settings()
    pool = pool_name(args.work_pool, settings, option="--work-pool")
    configure_prefect(settings)
    _require_api()
    loaded = _load_valid(args)
    asyncio.run(_deploy_all(loaded, work_pool=pool))
    if pool:
        _out(
            f"Các chiến dịch nằm trong nhóm tiến trình “{pool}”: chạy `thidua worker --pool {pool}`"
        )
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """The main job: local Prefect server + UI, every campaign deployed, the worker running."""
    import asyncio

    from flows.server import LocalServer, configure_prefect

    settings = get_settings()
    configure_prefect(settings)
    with LocalServer(settings) as server:
        from prefect import serve

        loaded = _load_valid(args)
        results = asyncio.run(_deploy_all(loaded))
        # Campaigns on a work pool are run by `thidua worker`s; serving them here would
        # take them off the pool (Prefect's serve() drops the pool).
        deployments = [r.deployment for r in results if not r.deployment.work_pool_name]
        from flows.submission_form import form_deployment

        deployments.append(form_deployment())  # operators record submissions from the UI
        _out(f"Giao diện Prefect: {server.ui_url}  (Ctrl-C để dừng; lịch đã lên được giữ lại)")
        if args.no_worker:
            return 0
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is the way to stop
            serve(
                *deployments,
                pause_on_shutdown=False,
                limit=args.limit,
                print_starting_message=False,
            )
        _out(
            "Đã dừng. Các hoạt động đã lên lịch vẫn được giữ; chạy lại `thidua serve` để tiếp tục."
        )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """A Prefect process worker on the campaigns' work pool; several may run at once."""
    from flows.worker import pool_name, run_worker

    settings = get_settings()
    pool = pool_name(args.pool, settings, default=DEFAULT_POOL)
    if args.limit is not None and args.limit < 1:
        raise ThiduaError(f"tham số --limit = {args.limit} không hợp lệ: cần một số nguyên dương")
    if args.health_port is not None and not 1 <= args.health_port <= 65535:
        raise ThiduaError(
            f"tham số --health-port = {args.health_port} không hợp lệ: cần một cổng từ 1 đến 65535"
        )
    return run_worker(
        settings, pool, name=args.name, limit=args.limit, health_port=args.health_port
    )


def _set_status(code: str, status: str) -> int:
    import asyncio

    from flows.server import configure_prefect
    from thidua import crud
    from thidua.db import session_scope

    configure_prefect(get_settings())
    _require_api()
    with session_scope() as session:
        record = crud.get_campaign(session, code=code)
        if record is None:
            raise UnknownCampaign(
                f"chưa triển khai chiến dịch “{code}” (chạy `thidua deploy` trước)"
            )
        if record.status == "cancelled" and status != "cancelled":
            raise ThiduaError(f"chiến dịch “{code}” đã hủy; không thể tiếp tục")
        crud.set_campaign_status(session, code=code, status=status)
        file = record.file
    loaded = _load_all([Path(file)])
    if not loaded:
        raise ThiduaError(f"tệp chiến dịch {file} có lỗi; sửa rồi chạy lại")
    asyncio.run(_deploy_all(loaded))
    words = {"paused": "đã tạm dừng", "active": "đã tiếp tục", "cancelled": "đã hủy"}
    _out(f"{code}: {words[status]}.")
    return 0


def cmd_pause(args: argparse.Namespace) -> int:
    return _set_status(args.code, "paused")


def cmd_resume(args: argparse.Namespace) -> int:
    return _set_status(args.code, "active")


def cmd_cancel(args: argparse.Namespace) -> int:
    return _set_status(args.code, "cancelled")


def cmd_simulate(args: argparse.Namespace) -> int:
    """Run a campaign's whole lifecycle on a virtual clock through the real flows and tasks."""
    settings = get_settings()
    loaded = load_campaign(Path(args.file))
    slug = deployment_name(loaded.code).lower()
    sim_dir = (settings.data_dir / "simulate" / slug).resolve()
    shutil.rmtree(sim_dir, ignore_errors=True)
    sim_dir.mkdir(parents=True)
    sim = settings.with_(data_dir=sim_dir, database_url="")
    set_settings(sim)
    os.environ["THIDUA_DATA_DIR"] = str(sim_dir)
    os.environ.pop("THIDUA_DATABASE_URL", None)
    # A private, temporary Prefect API: the simulation never touches the real server.
    # Its home outlives one simulation so the next one skips the database migrations
    # (~8 s); no UI is needed for it.
    os.environ.pop("PREFECT_API_URL", None)
    os.environ["PREFECT_HOME"] = str((settings.data_dir / "simulate" / ".prefect").resolve())
    os.environ["PREFECT_UI_ENABLED"] = "false"
    # Its first start migrates a fresh database; on a busy machine that exceeds
    # Prefect's default wait (20 s) and the simulation would fail for nothing.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

    from flows.action import run_action
    from thidua import crud
    from thidua.db import session_scope
    from thidua.plan import compile_plan

    plan = compile_plan(loaded.spec, loaded.registry, notice_time=settings.notice_time)
    with session_scope() as session:
        crud.upsert_campaign(
            session,
            code=loaded.code,
            title=loaded.spec.title,
            file=relative_file(loaded.path),
            organizer=loaded.spec.organizer,
            spec_hash="simulation",
            period_start=loaded.spec.period.start,
            period_end=loaded.spec.period.end,
        )
        for action in plan.actions:
            crud.save_action(
                session,
                campaign_code=loaded.code,
                key=action.key,
                **crud.action_fields(action),
                status="scheduled",
            )
    _out(f"Mô phỏng {loaded.code}: {len(plan.actions)} hoạt động, {len(plan.participants)} đơn vị.")
    failures = 0
    for action in plan.actions:
        state = run_action(
            campaign_file=str(loaded.path),
            action_key=action.key,
            scheduled_for=action.at,
            now=action.at,
            return_state=True,
        )
        with session_scope() as session:
            messages = crud.outbox_messages(session, campaign_code=loaded.code)
            mine = [m for m in messages if m.action_key == action.key]
            session.expunge_all()
        when = f"{format_short(action.day)} ({weekday_name(action.day)}) {action.at:%H:%M}"
        units = sorted({m.unit_code for m in mine if m.unit_code})
        mark = "✓" if state.is_completed() else "✗"
        failures += not state.is_completed()
        _out(f"{mark} {when} · {action.title} → {len(units)} đơn vị")
        if units and not args.verbose:
            _out(
                textwrap.fill(
                    ", ".join(units), 100, initial_indent="    ", subsequent_indent="    "
                )
            )
        if args.verbose:
            for m in mine:
                _out(f"  ── {m.unit_code}: {m.subject}")
                _out(textwrap.indent(m.body_text.rstrip(), "     "))
        if not state.is_completed():
            _out(f"    {state.message}")
    _out(f"Trạng thái đã ghi vào {sim.state_url}; thư đã gửi: {sim.outbox_dir}")
    return 1 if failures else 0


def cmd_prefect_yaml(args: argparse.Namespace) -> int:
    """Write prefect.yaml from the campaign files, or check that it is up to date."""
    from flows.prefect_yaml import write_or_check

    loaded = _load_all(_campaign_files(args))
    path = Path(args.output)
    if write_or_check(loaded, path, check=args.check):
        _out(f"{path}: {'khớp với' if args.check else 'đã tạo từ'} {len(loaded)} tệp chiến dịch")
        return 0
    _out(f"{path} không khớp với các tệp chiến dịch; chạy `thidua prefect-yaml` để cập nhật")
    return 1


def add_commands(sub: Any, parser_class: type) -> None:
    """Register the orchestration subcommands on the core CLI's subparsers."""
    p = sub.add_parser("serve", help="chạy máy chủ Prefect, giao diện và tiến trình thực thi")
    p.add_argument("files", nargs="*", metavar="TỆP", help="mặc định: campaigns/*.py")
    p.add_argument("--limit", type=int, default=4, help="số hoạt động chạy đồng thời")
    p.add_argument(
        "--no-worker", action="store_true", help="chỉ triển khai, không chạy tiến trình thực thi"
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("deploy", help="triển khai chiến dịch lên máy chủ Prefect đang chạy")
    p.add_argument("files", nargs="*", metavar="TỆP", help="mặc định: campaigns/*.py")
    p.add_argument(
        "--work-pool",
        metavar="TÊN",
        help="đưa chiến dịch vào nhóm tiến trình (work pool) của Prefect, do `thidua worker` "
        "chạy (mặc định: THIDUA_WORK_POOL)",
    )
    p.set_defaults(func=cmd_deploy)

    p = sub.add_parser("worker", help="chạy một tiến trình thực thi cho nhóm tiến trình")
    p.add_argument(
        "--pool", metavar="TÊN", help=f"mặc định: THIDUA_WORK_POOL, hoặc “{DEFAULT_POOL}”"
    )
    p.add_argument("--name", metavar="TÊN", help="tên tiến trình hiện trong giao diện Prefect")
    p.add_argument("--limit", type=int, metavar="N", help="số hoạt động chạy đồng thời tối đa")
    p.add_argument(
        "--health-port",
        type=int,
        metavar="CỔNG",
        help="mở kiểm tra sức khỏe http://0.0.0.0:CỔNG/health",
    )
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser("simulate", help="mô phỏng toàn bộ chiến dịch trên đồng hồ ảo")
    p.add_argument("file", metavar="TỆP")
    p.add_argument("--verbose", "-v", action="store_true", help="in nội dung từng thư")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("prefect-yaml", help="tạo prefect.yaml từ các tệp chiến dịch")
    p.add_argument("files", nargs="*", metavar="TỆP", help="mặc định: campaigns/*.py")
    p.add_argument("--output", default="prefect.yaml", metavar="TỆP")
    p.add_argument("--check", action="store_true", help="chỉ kiểm tra, không ghi")
    p.set_defaults(func=cmd_prefect_yaml)

    for name, func, text in (
        ("pause", cmd_pause, "tạm dừng chiến dịch"),
        ("resume", cmd_resume, "tiếp tục chiến dịch đã tạm dừng"),
        ("cancel", cmd_cancel, "hủy chiến dịch (không gửi gì thêm)"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("code", metavar="SỐ-KÝ-HIỆU", help="ví dụ 641/KH-UBND")
        p.set_defaults(func=func)
