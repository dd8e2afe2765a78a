"""The orchestration commands of the `thidua` CLI: serve, deploy, simulate, pause, resume, cancel.

They live with the flows, not in the core, because they drive Prefect; the core
CLI finds them through the `thidua.commands` entry point (pyproject) and never names
this module. Every command configures Prefect before importing it, and heavy imports
stay inside the commands: the core CLI imports this module to build its parser
whenever the command line names no core command (`thidua --help`, `thidua serve`).
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import Any

from thidua.flows.worker import DEFAULT_POOL

from thidua.campaign.loading import LoadedCampaign, load_campaign, load_campaigns
from thidua.config import get_settings
from thidua.errors import ThiduaError, UnknownCampaign, ValidationFailed


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
    from thidua.flows.deploy import deploy_campaigns

    def done(result: Any) -> None:
        if not quiet:
            _out(f"✓ {result.code}: {result.sync.summary()}")

    async with get_client() as client:  # one HTTP client for every request of the deploy
        results = await deploy_campaigns(client, loaded, work_pool=work_pool, on_result=done)
        pool = get_settings().work_pool if work_pool is None else work_pool
        if pool:  # without a pool, `thidua serve` serves the digest itself
            from thidua.flows.digest import apply_digest

            await apply_digest(client, pool)
        return results


def _require_api() -> None:
    from thidua.flows.server import healthy

    api = get_settings().api_url
    if not healthy(api):
        raise ThiduaError(
            f"không kết nối được máy chủ Prefect tại {api}; hãy chạy `thidua serve` trước"
        )


def cmd_deploy(args: argparse.Namespace) -> int:
    """Register campaigns with a running Prefect server and schedule their actions."""
    import asyncio

    from thidua.flows.server import configure_prefect
    from thidua.flows.worker import pool_name

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
    """The main job: local Prefect server + UI, every campaign deployed, the worker running,
    and the units' portal beside them (`thidua.flows.portal_command.portal_beside`)."""
    import asyncio

    from thidua.flows.server import (
        LocalServer,
        configure_prefect,
        forget_stale_serve,
        recorded_serve,
    )

    settings = get_settings()
    forget_stale_serve(settings)
    configure_prefect(settings)
    loaded = _load_valid(args)
    _warn_unreached(loaded)
    _out(f"Đang khởi động máy chủ Prefect tại {settings.api_url} (lần đầu có thể mất một phút)…")
    with LocalServer(settings) as server, recorded_serve(settings, settings.api_url):
        from prefect import serve

        _out(f"Đang triển khai {len(loaded)} chiến dịch…")
        results = asyncio.run(_deploy_all(loaded))
        # Campaigns on a work pool are run by `thidua worker`s; serving them here would
        # take them off the pool (Prefect's serve() drops the pool).
        deployments = [r.deployment for r in results if not r.deployment.work_pool_name]
        from thidua.flows.submission_form import form_deployment

        deployments.append(form_deployment())  # operators record submissions from the UI
        if not settings.work_pool:  # on a pool, `thidua worker`s run it (see _deploy_all)
            from thidua.flows.digest import digest_deployment

            deployments.append(digest_deployment())
        with contextlib.ExitStack() as stack:
            if not (args.no_worker or args.no_portal):  # the units' portal, stopped with the rest
                from thidua.flows.portal_command import portal_beside

                stack.enter_context(portal_beside(settings))
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


def _warn_unreached(loaded: list[LoadedCampaign]) -> None:
    """Contacts whose ${VARS} are unset, per campaign: said, not fatal."""
    from thidua.campaign.plan import compile_plan
    from thidua.registry.reach import unreached_contacts

    for campaign in loaded:
        plan = compile_plan(campaign.spec, campaign.registry)
        units = {code for action in plan.actions for code in action.recipients}
        for line in unreached_contacts(campaign.registry, units).lines():
            _out(f"cảnh báo: {campaign.code}: {line}")


def cmd_worker(args: argparse.Namespace) -> int:
    """A Prefect process worker on the campaigns' work pool; several may run at once."""
    from thidua.flows.worker import pool_name, run_worker

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

    from thidua.flows.server import configure_prefect

    from thidua.store import campaign_rows
    from thidua.store.db import session_scope

    configure_prefect(get_settings())
    _require_api()
    with session_scope() as session:
        record = campaign_rows.get_campaign(session, code=code)
        if record is None:
            raise UnknownCampaign(
                f"chưa triển khai chiến dịch “{code}” (chạy `thidua deploy` trước)"
            )
        if record.status == "cancelled" and status != "cancelled":
            raise ThiduaError(f"chiến dịch “{code}” đã hủy; không thể tiếp tục")
        campaign_rows.set_campaign_status(session, code=code, status=status)
        file = record.file
    loaded = _load_all([get_settings().in_project(file)])
    if not loaded:
        raise ThiduaError(f"tệp chiến dịch {file} có lỗi; sửa rồi chạy lại")
    doing = {
        "paused": "Đang tạm dừng các lượt chạy đã lên lịch",
        "active": "Đang khôi phục các lượt chạy đã tạm dừng",
        "cancelled": "Đang hủy các lượt chạy đã lên lịch",
    }
    _out(f"{doing[status]} của {code}…")
    asyncio.run(_deploy_all(loaded, quiet=True))
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
    """Run a campaign's lifecycle on a virtual clock; nothing reaches a real channel."""
    from thidua.flows.simulate import simulate

    now = None
    if args.at is not None:
        now = _parse_moment(args.at, option="--luc")
    elif args.from_today:
        from thidua.clock import now as clock_now

        now = clock_now()
    loaded = load_campaign(Path(args.file))
    return simulate(loaded, verbose=args.verbose, now=now, out=_out)


def _parse_moment(text: str, *, option: str) -> Any:
    """“20/6/2023 09:30”, “2023-06-20T09:30” or a day (its start) in the campaign time zone."""
    from datetime import datetime, time
    from zoneinfo import ZoneInfo

    from thidua.dates.phrases import parse_date

    tz = ZoneInfo(get_settings().timezone)
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        day, _, clock = raw.partition(" ")
        try:
            span = parse_date(day)
            hours, _, minutes = clock.strip().partition(":")
            at = time(int(hours), int(minutes or 0)) if clock.strip() else time(0, 0)
        except (ThiduaError, ValueError) as exc:
            raise ThiduaError(
                f"tham số {option} = “{text}” không hợp lệ: cần ngày giờ dạng "
                "“20/6/2023 09:30” hoặc “2023-06-20T09:30”"
            ) from exc
        moment = datetime.combine(span.start, at)
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def cmd_prefect_yaml(args: argparse.Namespace) -> int:
    """Write prefect.yaml from the campaign files, or check that it is up to date."""
    from thidua.flows.prefect_yaml import write_or_check

    loaded = _load_all(_campaign_files(args))
    path = Path(args.output) if args.output else get_settings().project_dir / "prefect.yaml"
    if write_or_check(loaded, path, check=args.check):
        _out(f"{path}: {'khớp với' if args.check else 'đã tạo từ'} {len(loaded)} tệp chiến dịch")
        return 0
    _out(f"{path} không khớp với các tệp chiến dịch; chạy `thidua prefect-yaml` để cập nhật")
    return 1


FILES_HELP = "tệp chiến dịch; mặc định: mọi tệp trong campaigns/"


def add_commands(sub: Any, parser_class: type) -> None:
    """Register the orchestration subcommands on the core CLI's subparsers."""
    p = sub.add_parser("serve", help="chạy máy chủ Prefect, giao diện và tiến trình thực thi")
    p.add_argument("files", nargs="*", metavar="TỆP", help=FILES_HELP)
    p.add_argument(
        "--dong-thoi",
        "--limit",
        dest="limit",
        type=int,
        default=4,
        metavar="N",
        help="số hoạt động chạy đồng thời (mặc định 4)",
    )
    p.add_argument(
        "--chi-trien-khai",
        "--no-worker",
        dest="no_worker",
        action="store_true",
        help="chỉ triển khai, không chạy tiến trình thực thi",
    )
    p.add_argument(
        "--khong-cong-don-vi",
        "--no-portal",
        dest="no_portal",
        action="store_true",
        help="không chạy cổng thi đua của đơn vị (mặc định chạy tại 127.0.0.1:THIDUA_PORTAL_PORT)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("deploy", help="triển khai chiến dịch lên máy chủ Prefect đang chạy")
    p.add_argument("files", nargs="*", metavar="TỆP", help=FILES_HELP)
    p.add_argument(
        "--nhom",
        "--work-pool",
        dest="work_pool",
        metavar="TÊN",
        help="đưa chiến dịch vào nhóm tiến trình (work pool) của Prefect, do `thidua worker` "
        "chạy (mặc định: THIDUA_WORK_POOL)",
    )
    p.set_defaults(func=cmd_deploy)

    p = sub.add_parser("worker", help="chạy một tiến trình thực thi cho nhóm tiến trình")
    p.add_argument(
        "--nhom",
        "--pool",
        dest="pool",
        metavar="TÊN",
        help=f"nhóm tiến trình; mặc định: THIDUA_WORK_POOL, hoặc “{DEFAULT_POOL}”",
    )
    p.add_argument(
        "--ten", "--name", dest="name", metavar="TÊN", help="tên tiến trình hiện trong giao diện"
    )
    p.add_argument(
        "--dong-thoi",
        "--limit",
        dest="limit",
        type=int,
        metavar="N",
        help="số hoạt động chạy đồng thời tối đa",
    )
    p.add_argument(
        "--cong-kiem-tra",
        "--health-port",
        dest="health_port",
        type=int,
        metavar="CỔNG",
        help="mở kiểm tra sức khỏe http://0.0.0.0:CỔNG/health",
    )
    p.set_defaults(func=cmd_worker)

    p = sub.add_parser(
        "simulate",
        help="mô phỏng chiến dịch trên đồng hồ ảo; không gửi tới kênh thật nào",
        description=(
            "Chạy mọi hoạt động của chiến dịch qua đúng các bước thật, trên đồng hồ ảo. Mọi "
            "địa chỉ liên hệ được thay bằng hộp thư cục bộ (outbox): không thư, tin nhắn hay "
            "webhook nào tới đơn vị. Mỗi hoạt động ghi số lượt gửi, lỗi, bỏ qua; mã thoát "
            "khác 0 khi có lượt gửi lỗi."
        ),
    )
    p.add_argument("file", metavar="TỆP", help="tệp chiến dịch cần mô phỏng")
    p.add_argument(
        "-v",
        "--chi-tiet",
        "--verbose",
        dest="verbose",
        action="store_true",
        help="in nội dung từng thư",
    )
    p.add_argument(
        "--tu-hom-nay",
        "--from-today",
        dest="from_today",
        action="store_true",
        help="xem trước đúng việc `thidua deploy` sẽ làm bây giờ (ghi nhận đã qua, chạy bù, "
        "lên lịch), rồi chỉ mô phỏng các hoạt động còn chạy",
    )
    p.add_argument(
        "--luc",
        "--at",
        dest="at",
        metavar="THỜI-ĐIỂM",
        help="như --tu-hom-nay nhưng tại thời điểm này, ví dụ “20/6/2023 09:30”",
    )
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("prefect-yaml", help="tạo prefect.yaml từ các tệp chiến dịch")
    p.add_argument("files", nargs="*", metavar="TỆP", help=FILES_HELP)
    p.add_argument(
        "--ra",
        "--output",
        dest="output",
        metavar="TỆP",
        help="tệp ghi ra (mặc định prefect.yaml)",
    )
    p.add_argument(
        "--kiem-tra",
        "--check",
        dest="check",
        action="store_true",
        help="chỉ kiểm tra tệp đã khớp với các tệp chiến dịch, không ghi",
    )
    p.set_defaults(func=cmd_prefect_yaml)

    for name, func, text in (
        ("pause", cmd_pause, "tạm dừng chiến dịch (giữ nguyên các lượt chạy đã lên lịch)"),
        ("resume", cmd_resume, "tiếp tục chiến dịch đã tạm dừng"),
        ("cancel", cmd_cancel, "hủy chiến dịch (không gửi gì thêm)"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("code", metavar="SỐ-KÝ-HIỆU", help="ví dụ 641/KH-UBND")
        p.set_defaults(func=func)
