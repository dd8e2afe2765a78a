"""`thidua resend`: send an action again to the units it did not reach.

The arguments are checked here (unknown campaign, action or unit: a Vietnamese
error naming the value, nothing sent); the sending is the `gui-lai` flow of
`thidua.flows.resend`, run against the Prefect server so operators see it in the UI. The
core does not import Prefect: the flow module is loaded only when the command runs.
"""

from __future__ import annotations

import argparse
from importlib import import_module
from typing import Any

from thidua.errors import ThiduaError

#: How many valid choices an error lists before "…".
SHOWN = 12


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add `thidua resend` to the `thidua` parser."""
    p = sub.add_parser(
        "resend",
        help="gửi lại thông báo của một hoạt động cho các đơn vị chưa nhận được",
    )
    p.add_argument("code", metavar="MÃ", help="số ký hiệu của kế hoạch, ví dụ 641/KH-UBND")
    p.add_argument(
        "--hoat-dong",
        "--action",
        dest="action",
        metavar="KHÓA",
        required=True,
        help="khóa của hoạt động (xem `thidua status`), ví dụ launch/-/launch",
    )
    p.add_argument(
        "--don-vi",
        "--unit",
        dest="units",
        metavar="MÃ",
        nargs="+",
        help="chỉ gửi lại cho các đơn vị này (mặc định: mọi đơn vị chưa nhận được)",
    )
    p.add_argument(
        "--ca-don-vi-da-nhan",
        "--include-delivered",
        dest="include_delivered",
        action="store_true",
        help="gửi cả cho đơn vị đã nhận được (mặc định: không)",
    )
    p.set_defaults(func=cmd_resend)


def _choices(values: list[str]) -> str:
    shown = ", ".join(values[:SHOWN])
    return shown + (", …" if len(values) > SHOWN else "") if values else "không có"


def cmd_resend(args: argparse.Namespace) -> int:
    """Check the arguments, run the resend flow, print each unit's outcome."""
    from thidua.campaign.lookup import find_campaign
    from thidua.campaign.plan import compile_plan
    from thidua.config import get_settings

    settings = get_settings()
    loaded = find_campaign(args.code)
    plan = compile_plan(loaded.spec, loaded.registry, notice_time=settings.notice_time)
    keys = [a.key for a in plan.actions]
    action = next((a for a in plan.actions if a.key == args.action.strip()), None)
    if action is None:
        raise ThiduaError(
            f"--hoat-dong: đợt thi đua {loaded.code} không có hoạt động “{args.action}” "
            f"(các hoạt động: {_choices(keys)})"
        )
    units = [u.strip() for u in args.units] if args.units else None
    for code in units or []:
        if code not in loaded.registry:
            raise ThiduaError(f"--don-vi: không có đơn vị mã “{code}” trong danh sách đơn vị")
        if code not in action.recipients:
            raise ThiduaError(
                f"--don-vi: đơn vị “{code}” không thuộc đối tượng nhận của hoạt động "
                f"“{action.title}” ({action.key})"
            )
    flows = import_module("thidua.flows.resend")
    server = import_module("thidua.flows.server")
    server.configure_prefect(settings)
    if not server.healthy(settings.api_url):
        raise ThiduaError(
            f"không kết nối được máy chủ Prefect tại {settings.api_url}; "
            "hãy chạy `thidua serve` trước"
        )
    run = flows.resend_action.with_options(flow_run_name=f"Gửi lại: {action.run_name()}")
    result = run(
        campaign_file=str(loaded.path),
        action_key=action.key,
        units=units,
        include_delivered=args.include_delivered,
    )
    outcomes = result["outcomes"]
    if not outcomes:
        print(
            f"{loaded.code} · {action.title}: mọi đơn vị đã nhận được (hoặc không còn thuộc "
            "đối tượng nhận của hoạt động); không gửi lại."
        )
        return 0
    reg = loaded.registry
    print(f"{loaded.code} · {action.title}: gửi lại lần {result['number']}")
    for o in outcomes:  # thidua.delivery.outcome.Outcome
        line = f"- {reg.unit(o.unit).name} ({o.unit}, {o.channel}): {o.label}"
        print(line + (f" — {o.error}" if o.error and o.status != "sent" else ""))
    failed = sum(o.status != "sent" for o in outcomes)
    return 1 if failed else 0
