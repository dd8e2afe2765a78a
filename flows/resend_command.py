"""Registers `thidua resend` on the CLI (entry point `thidua.commands`, see pyproject).

The core checks the arguments and prints the outcome (`thidua.cli.resend`); this module
runs the `gui-lai` flow against the Prefect server in between. Prefect and the flow
are imported only when the command runs: the CLI loads this module to build its
parser.
"""

from __future__ import annotations

import argparse
from typing import Any

from thidua.cli import resend as resend_cli
from thidua.errors import ThiduaError


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add `thidua resend` to the `thidua` parser."""
    p = sub.add_parser("resend", help=resend_cli.HELP)
    resend_cli.add_arguments(p)
    p.set_defaults(func=cmd_resend)


def cmd_resend(args: argparse.Namespace) -> int:
    """Check the arguments, run the resend flow, print each unit's outcome."""
    request = resend_cli.check_request(args)
    settings = request.settings
    from thidua.flows import server

    server.configure_prefect(settings)
    if not server.healthy(settings.api_url):
        raise ThiduaError(
            f"không kết nối được máy chủ Prefect tại {settings.api_url}; "
            "hãy chạy `thidua serve` trước"
        )
    from thidua.flows.resend import resend_action

    action = request.action
    run = resend_action.with_options(flow_run_name=f"Gửi lại: {action.run_name()}")
    result = run(
        campaign_file=str(request.loaded.path),
        action_key=action.key,
        units=request.units,
        include_delivered=request.include_delivered,
    )
    return resend_cli.print_outcomes(request, result)
