"""The `thidua` command: a thin layer over the library.

Messages for admins are Vietnamese. A user mistake prints its message and exits 1;
a usage mistake exits 2; neither shows a traceback. Each command imports only what
it needs, so that `thidua date` and `thidua plan` start fast.

The orchestration commands (serve, deploy, resend, …) drive Prefect, so they live with
the flows, an outer layer the core never imports: the flows register them through
the `thidua.commands` entry point (pyproject), and the parser looks them up only when
the command line does not name a core command.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thidua.cli.argparse_vi import Parser as _Parser
from thidua.cli.flags import for_terminal
from thidua.errors import ThiduaError, ValidationFailed

if TYPE_CHECKING:
    from thidua.campaign.plan import Plan
    from thidua.registry import Registry

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
#: Entry-point group of the commands outer layers add: `add_commands(subparsers, parser_class)`.
COMMANDS_GROUP = "thidua.commands"

# Pydantic looks for plugins through importlib.metadata on its first model, scanning
# every installed distribution (~20 ms); the CLI uses none. An explicit setting wins.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


class _VersionAction(argparse.Action):
    """`--version`: the version is looked up only when asked (no import on every call)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        from thidua import __version__

        print(f"thidua {__version__}")
        parser.exit(EXIT_OK)


def _print(text: str = "", *, err: bool = False) -> None:
    print(text, file=sys.stderr if err else sys.stdout)


# --- commands ------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    from thidua.campaign.loading import load_campaigns
    from thidua.config import get_settings

    files = [Path(f) for f in args.files] or sorted(get_settings().campaigns_dir.glob("*.py"))
    if not files:
        _print("Không có tệp chiến dịch nào để kiểm tra.", err=True)
        return EXIT_INVALID
    failed = 0
    # All files run in one child process; one that exits or hangs is reported, not fatal.
    for path, loaded in zip(files, load_campaigns(files, registry=args.registry), strict=True):
        if isinstance(loaded, ValidationFailed):
            exc = loaded
            failed += 1
            _print(f"✗ {path}: {len(exc.errors)} lỗi", err=True)
            for problem in exc.problems:
                _print(f"  - {problem.render()}", err=True)
            continue
        from thidua.campaign.plan import compile_plan

        plan = compile_plan(loaded.spec, loaded.registry)
        _print(
            f"✓ {path}: {loaded.code} — {len(plan.participants)} đơn vị tham gia, "
            f"{len(plan.actions)} hoạt động"
        )
        for problem in loaded.warnings:
            _print(f"  - {problem.render()}")
        _warn_unreached(loaded.registry, plan)
    if failed:
        _print(f"{failed}/{len(files)} tệp có lỗi.", err=True)
        return EXIT_INVALID
    return EXIT_OK


def _warn_unreached(registry: Registry, plan: Plan) -> None:
    """Contacts of the plan's recipients whose ${VARS} are unset: a warning, not an error."""
    from thidua.registry.reach import unreached_contacts

    units = {code for action in plan.actions for code in action.recipients}
    for line in unreached_contacts(registry, units).lines():
        _print(f"  - cảnh báo: {line}")


def cmd_plan(args: argparse.Namespace) -> int:
    from thidua.campaign.charges import tasks_text
    from thidua.campaign.loading import load_campaign
    from thidua.campaign.plan import compile_plan
    from thidua.campaign.plan_output import plan_ics, plan_json, plan_table
    from thidua.config import get_settings

    loaded = load_campaign(args.file, registry=args.registry)
    plan = compile_plan(loaded.spec, loaded.registry, notice_time=get_settings().notice_time)
    if args.unit:
        if args.unit not in loaded.registry:
            raise ThiduaError(f"đơn vị “{args.unit}” không có trong danh sách đơn vị")
        plan.actions = [a for a in plan.actions if args.unit in a.recipients]
        if args.format == "table" and (
            tasks := tasks_text(loaded.spec, loaded.registry.unit(args.unit))
        ):
            sys.stdout.write(tasks + "\n\n")
    renderers: dict[str, Callable[[Plan], str]] = {
        "table": plan_table,
        "json": plan_json,
        "ics": plan_ics,
    }
    sys.stdout.write(renderers[args.format](plan).rstrip("\r\n") + "\n")
    for problem in loaded.warnings:
        _print(f"cảnh báo: {problem.render()}", err=True)
    return EXIT_OK


def cmd_date(args: argparse.Namespace) -> int:
    from thidua.campaign.explain import explain

    phrase = " ".join(args.phrase)
    explained = explain(phrase, year=args.year, quarter=args.quarter)
    if args.format == "json":
        _print(json.dumps(explained.data, ensure_ascii=False))
        return EXIT_OK
    for line in explained.lines:
        _print(line)
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from thidua.board.query import BoardFilter, status_board
    from thidua.board.view import make_console, render_board
    from thidua.clock import now as clock_now
    from thidua.config import get_settings

    wanted = BoardFilter(unit=args.unit, group=args.group, state=args.state)
    shown = status_board(args.code, wanted, now=clock_now(), timezone=get_settings().timezone)
    if shown.warning:
        _print(f"cảnh báo: {shown.warning}; chỉ hiện các hoạt động đã ghi trong kho", err=True)
    if args.format == "json":
        _print(json.dumps(shown.board.as_dict(), ensure_ascii=False))
        return EXIT_OK
    render_board(shown.board, make_console(), unit=shown.unit)
    return EXIT_OK


def cmd_version(args: argparse.Namespace) -> int:
    from thidua import __version__

    _print(f"thidua {__version__}")
    return EXIT_OK


# --- wiring ------------------------------------------------------------------------


REGISTRY_HELP = "danh sách đơn vị (YAML, CSV, XLSX); mặc định: theo tệp chiến dịch"


def _add_validate(sub: Any) -> None:
    p = sub.add_parser("validate", help="kiểm tra tệp chiến dịch (mọi lỗi cùng lúc)")
    p.add_argument(
        "files", nargs="*", metavar="TỆP", help="tệp chiến dịch; mặc định: campaigns/*.py"
    )
    p.add_argument("--danh-sach", "--registry", dest="registry", metavar="TỆP", help=REGISTRY_HELP)
    p.set_defaults(func=cmd_validate)


def _add_plan(sub: Any) -> None:
    p = sub.add_parser("plan", help="lập lịch các hoạt động của một chiến dịch")
    p.add_argument("file", metavar="TỆP", help="tệp chiến dịch, ví dụ campaigns/vd.py")
    p.add_argument(
        "--dinh-dang",
        "--format",
        dest="format",
        choices=["table", "json", "ics"],
        default="table",
        help="bảng (table, mặc định), JSON hoặc lịch iCalendar (ics)",
    )
    p.add_argument(
        "--don-vi", "--unit", dest="unit", metavar="MÃ", help="chỉ các hoạt động gửi tới đơn vị này"
    )
    p.add_argument("--danh-sach", "--registry", dest="registry", metavar="TỆP", help=REGISTRY_HELP)
    p.set_defaults(func=cmd_plan)


def _add_date(sub: Any) -> None:
    p = sub.add_parser("date", help="xem một cụm ngày tháng được hiểu thế nào")
    p.add_argument("phrase", nargs="+", metavar="CỤM", help="ví dụ: quý IV/2027")
    p.add_argument(
        "--nam",
        "--year",
        dest="year",
        type=int,
        metavar="NĂM",
        help="năm dùng cho cụm không ghi năm",
    )
    p.add_argument(
        "--quy",
        "--quarter",
        dest="quarter",
        type=int,
        choices=[1, 2, 3, 4],
        help="quý dùng cho cụm theo quý",
    )
    p.add_argument(
        "--dinh-dang",
        "--format",
        dest="format",
        choices=["text", "json"],
        default="text",
        help="văn bản (text, mặc định) hoặc JSON",
    )
    p.set_defaults(func=cmd_date)


def _add_status(sub: Any) -> None:
    p = sub.add_parser(
        "status",
        help="bảng theo dõi: đơn vị đã nộp, trễ, thiếu; khen thưởng; chỉ tiêu; các hoạt động",
    )
    p.add_argument("code", metavar="SỐ-KÝ-HIỆU", help="ví dụ 641/KH-UBND")
    p.add_argument(
        "--don-vi", "--unit", dest="unit", metavar="MÃ", help="chỉ một đơn vị, trên mọi mốc"
    )
    p.add_argument(
        "--nhom", "--group", dest="group", metavar="MÃ-NHÓM", help="chỉ các đơn vị của một nhóm"
    )
    p.add_argument(
        "--trang-thai",
        "--state",
        dest="state",
        metavar="TRẠNG-THÁI",
        help="chỉ các đơn vị có ít nhất một mốc ở trạng thái này, ví dụ “quá hạn chưa nộp”, "
        "“trễ hạn”",
    )
    p.add_argument(
        "--dinh-dang",
        "--format",
        dest="format",
        choices=["table", "json"],
        default="table",
        help="bảng (table, mặc định) hoặc JSON cho chương trình khác",
    )
    p.set_defaults(func=cmd_status)


def _add_version(sub: Any) -> None:
    p = sub.add_parser("version", help="in phiên bản")
    p.set_defaults(func=cmd_version)


#: The commands of this module, in the order of the help page (`version` comes last).
CORE: dict[str, Callable[[Any], None]] = {
    "validate": _add_validate,
    "plan": _add_plan,
    "date": _add_date,
    "status": _add_status,
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `thidua` parser. Given the `command` about to run, only what it needs is built:
    one of this module's commands gets its own subparser alone (the other commands'
    modules are not imported: `thidua plan` and `thidua status` start leaner), another
    core command skips the outer layers' commands (reading the installed entry points
    costs more than the rest of `thidua plan`'s start-up). Without one, every command."""
    parser = _Parser(
        prog="thidua",
        description="Điều phối phong trào thi đua: kiểm tra, lập lịch, nhắc việc, tổng hợp.",
    )
    parser.add_argument(
        "-V", "--phien-ban", "--version", action=_VersionAction, help="in phiên bản rồi thoát"
    )
    sub = parser.add_subparsers(dest="command", metavar="LỆNH", parser_class=_Parser)
    if command in CORE or command == "version":
        # The usage and errors of one command never list the others (metavar LỆNH).
        (_add_version if command == "version" else CORE[command])(sub)
        return parser
    for add in CORE.values():
        add(sub)
    from thidua.cli import nominations, reports, submissions

    for commands in (submissions, nominations, reports):
        commands.add_commands(sub, _Parser)
    if command is None or command not in sub.choices:
        for add_commands in _outer_commands():
            add_commands(sub, _Parser)
    _add_version(sub)
    return parser


def _outer_commands() -> list[Callable[[Any, type[argparse.ArgumentParser]], None]]:
    """The `add_commands` of every `thidua.commands` entry point, by entry-point name."""
    from importlib.metadata import entry_points

    found = []
    for point in sorted(entry_points(group=COMMANDS_GROUP), key=lambda p: p.name):
        try:
            found.append(point.load())
        except ModuleNotFoundError as exc:
            # Only the module itself may be absent (a core-only install has no flows);
            # a missing dependency inside it is a bug that must not hide a command.
            if exc.name is None or not point.module.startswith(exc.name):
                raise
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `thidua` console script."""
    if isinstance(sys.stdout, io.TextIOWrapper) and isinstance(sys.stderr, io.TextIOWrapper):
        # A console's code page may not encode Vietnamese; a replaced stream is left alone.
        sys.stdout.reconfigure(encoding="utf-8")
        sys.stderr.reconfigure(encoding="utf-8")
    argv = sys.argv[1:] if argv is None else list(argv)
    # The command, when it comes first: an option before it (`thidua --help plan`) asks
    # about the whole `thidua` command, whose help lists every command.
    command = argv[0] if argv and not argv[0].startswith("-") else None
    parser = build_parser(command)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.func(args)  # every command function returns its exit code
        return code
    except ValidationFailed as exc:
        _print(for_terminal(exc), err=True)
        return EXIT_INVALID
    except ThiduaError as exc:
        _print(f"lỗi: {for_terminal(exc)}", err=True)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
