"""`thidua resend`, the core's half: its arguments, their checks, and the printed outcome.

The arguments are checked here (unknown campaign, action or unit: a Vietnamese error
naming the value, nothing sent). The sending is the `gui-lai` flow, run against the
Prefect server so operators see it in the UI; the flows layer registers the command
(`thidua.flows.resend_command`, through the `thidua.commands` entry point), so the core
imports neither Prefect nor the flows.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from thidua.errors import ThiduaError

if TYPE_CHECKING:
    from thidua.campaign.loading import LoadedCampaign
    from thidua.campaign.plan import Action
    from thidua.config import Settings

#: How many valid choices an error lists before "…".
SHOWN = 12
HELP = "gửi lại thông báo của một hoạt động cho các đơn vị chưa nhận được"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The arguments of `thidua resend`."""
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


@dataclass(frozen=True)
class ResendRequest:
    """A checked `thidua resend`: the campaign, its action, and the units asked for."""

    loaded: LoadedCampaign
    action: Action
    #: None: every unit the action did not reach
    units: list[str] | None
    include_delivered: bool
    settings: Settings


def _choices(values: list[str]) -> str:
    shown = ", ".join(values[:SHOWN])
    return shown + (", …" if len(values) > SHOWN else "") if values else "không có"


def check_request(args: argparse.Namespace) -> ResendRequest:
    """The request `args` stand for; ThiduaError naming the value that is not known."""
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
    return ResendRequest(loaded, action, units, bool(args.include_delivered), settings)


def print_outcomes(request: ResendRequest, result: dict[str, Any]) -> int:
    """Print each unit's outcome of the resend flow; the exit status (1 if any failed)."""
    loaded, action = request.loaded, request.action
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
