"""`thidua portal …`: the units' personal links, the Ban's staff accounts, the portal server.

Registered through the `thidua.commands` entry point (pyproject), like `thidua resend`.
The CLI loads this module to build its parser whenever the command line names no core
command, so it imports nothing heavy at the top: FastAPI, uvicorn and the store are
imported inside the commands. `PortalServer` is also what `thidua serve` runs the
portal with, in a background thread next to the Prefect worker.

    thidua portal link SYT          # the unit's link (issued if it has none)
    thidua portal rotate SYT        # revoke it, issue a new one; later notices carry it
    thidua portal user add nguyenvana --ten-hien-thi "Nguyễn Văn A"
    thidua portal serve             # the portal alone, on 127.0.0.1:THIDUA_PORTAL_PORT
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from thidua.config import Settings, get_settings
from thidua.errors import ThiduaError, quote

if TYPE_CHECKING:
    import socket

    from thidua.notifications.acknowledge import Acknowledgements

EXIT_USAGE = 2
#: Seconds `PortalServer.start` waits for the server to answer before giving up.
START_TIMEOUT_S = 20.0


def _out(text: str = "") -> None:
    print(text, flush=True)


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# --- which units exist -----------------------------------------------------------------


def known_units(settings: Settings) -> dict[str, str]:
    """Unit code → name over the registries of the deployed campaigns and the default one."""
    from thidua.portal.campaigns import CampaignCatalog
    from thidua.registry.loading import load_registry

    units: dict[str, str] = {}
    registries = [c.loaded.registry for c in CampaignCatalog(settings).all()]
    default = settings.in_project(settings.registry)
    if default.is_file():
        # A broken default registry: the deployed campaigns' registries still count.
        with contextlib.suppress(ThiduaError):
            registries.append(load_registry(default))
    for registry in registries:
        for code, unit in registry.units.items():
            units.setdefault(code, unit.name)
    return units


def _unit_or_refuse(code: str, settings: Settings) -> str | None:
    """The unit's name; None (and the reason on stderr) when no registry knows the code."""
    from thidua.errors import did_you_mean

    units = known_units(settings)
    if code in units:
        return units[code]
    if not units:
        _err(
            f"lỗi: không kiểm tra được mã đơn vị {quote(code)}: chưa có chiến dịch nào được "
            f"triển khai và không đọc được danh sách đơn vị mặc định ({settings.registry}); "
            "không có gì được ghi"
        )
    else:
        _err(
            f"lỗi: mã đơn vị {quote(code)} không có trong danh sách đơn vị; không có gì "
            f"được ghi{did_you_mean(code, units)}"
        )
    return None


# --- link, rotate -----------------------------------------------------------------------


def cmd_link(args: argparse.Namespace) -> int:
    """Print the unit's personal link, issuing its first one if it has none."""
    from thidua.portal.links import unit_url
    from thidua.store.db import session_scope

    settings = get_settings()
    if _unit_or_refuse(args.unit, settings) is None:
        return EXIT_USAGE
    with session_scope() as session:
        url = unit_url(session, unit_code=args.unit, settings=settings)
    _out(url)
    return 0


def cmd_rotate(args: argparse.Namespace) -> int:
    """Revoke the unit's link and issue a new one; print the new link."""
    from thidua.portal.links import rotate, unit_path
    from thidua.store.db import session_scope

    settings = get_settings()
    name = _unit_or_refuse(args.unit, settings)
    if name is None:
        return EXIT_USAGE
    with session_scope() as session:
        token = rotate(session, unit_code=args.unit, settings=settings)
    _out(
        f"Đã thu hồi đường liên kết cũ của {name} ({args.unit}); đường liên kết cũ không còn "
        "mở được trang của đơn vị. Các thông báo gửi từ nay mang đường liên kết mới:"
    )
    _out(settings.portal_base_url + unit_path(token))
    return 0


# --- staff accounts ---------------------------------------------------------------------


def _read_password(from_stdin: bool) -> str | None:
    """The new password: one line of stdin, or typed twice without echo; None if they differ."""
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    import getpass

    first = getpass.getpass("Mật khẩu: ")
    second = getpass.getpass("Nhập lại mật khẩu: ")
    return first if first == second else None


def cmd_user_add(args: argparse.Namespace) -> int:
    """Create a Ban staff account; the password is kept only as a scrypt hash."""
    from thidua.portal.accounts import AccountError, add_user
    from thidua.store.db import session_scope

    settings = get_settings()
    password = _read_password(args.password_stdin)
    if password is None:
        _err("lỗi: hai lần nhập mật khẩu không khớp nhau; chưa tạo tài khoản")
        return 1
    try:
        with session_scope() as session:
            user = add_user(
                session, username=args.username, password=password, display_name=args.display_name
            )
    except AccountError as exc:
        _err(f"lỗi: {exc}; chưa tạo tài khoản")
        return 1
    _out(
        f"Đã tạo tài khoản {quote(user.username)} ({user.display_name}). "
        f"Đăng nhập tại {settings.portal_base_url}/ban/dang-nhap"
    )
    return 0


# --- the server -------------------------------------------------------------------------


class PortalPortBusy(ThiduaError):
    """The portal's address is taken by another program."""


def bind_portal(settings: Settings) -> socket.socket:
    """A listening socket on 127.0.0.1:portal_port; PortalPortBusy (Vietnamese) if taken."""
    import socket

    port = settings.portal_port
    if not 1 <= port <= 65535:
        raise ThiduaError(f"THIDUA_PORTAL_PORT = {port} không hợp lệ: cần một cổng từ 1 đến 65535")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise PortalPortBusy(
                f"không mở được cổng thi đua của đơn vị tại 127.0.0.1:{port}: địa chỉ này "
                "đang được một chương trình khác sử dụng (có thể là một `thidua serve` khác). "
                "Hãy dừng chương trình đó, hoặc đặt THIDUA_PORTAL_PORT sang số cổng khác"
            ) from exc
        raise
    sock.set_inheritable(False)
    return sock


class PortalServer:
    """The portal application under uvicorn, on a background thread, with real acknowledgements.

    `start` binds first (so a taken port is a clear error, not a thread's traceback) and
    returns once the server answers; `stop` ends it and waits for queued acknowledgements.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = f"http://127.0.0.1:{settings.portal_port}"
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._acks: Acknowledgements | None = None

    def _build(self) -> Any:
        import uvicorn
        from thidua.notifications.acknowledge import Acknowledgements

        from thidua.portal.app import create_app

        self._acks = Acknowledgements(self.settings)
        app = create_app(self.settings, acknowledge=self._acks)
        # log_config=None: uvicorn must not reconfigure the process's logging (Prefect's).
        config = uvicorn.Config(
            app, log_config=None, log_level="warning", access_log=False, lifespan="off"
        )
        return uvicorn.Server(config)

    def start(self) -> str:
        import time

        self._sock = bind_portal(self.settings)
        self._server = self._build()
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._sock]},
            name="thidua-portal",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ThiduaError(f"cổng thi đua của đơn vị không khởi động được tại {self.url}")
            time.sleep(0.05)
        return self.url

    def run_here(self) -> None:
        """Serve in this (the main) thread until Ctrl-C; uvicorn handles the signal."""
        self._sock = bind_portal(self.settings)
        self._server = self._build()
        try:
            self._server.run(sockets=[self._sock])
        finally:
            self._close()

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None
        self._close()

    def _close(self) -> None:
        if self._acks is not None:
            self._acks.close()
            self._acks = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> PortalServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def public_note(settings: Settings) -> str:
    """“ (liên kết trong thông báo: https://…)” when notices link to another base URL."""
    local = f"http://127.0.0.1:{settings.portal_port}"
    base = settings.portal_base_url
    return f" (liên kết trong thông báo: {base})" if base != local else ""


@contextlib.contextmanager
def portal_beside(settings: Settings) -> Iterator[str | None]:
    """The portal on a background thread for the block (`thidua serve`); its URL, or None.

    A taken port (or one that is no port) is said in Vietnamese and the block runs without
    the portal: the reminders are the main job and must not stop for it.
    """
    server = PortalServer(settings)
    try:
        server.start()
    except ThiduaError as exc:
        _out(f"cảnh báo: {exc}. `thidua serve` vẫn chạy tiếp nhưng không có cổng của đơn vị.")
        yield None
        return
    _out(f"Cổng thi đua của đơn vị: {server.url}{public_note(settings)}")
    try:
        yield server.url
    finally:
        server.stop()


def cmd_portal_serve(args: argparse.Namespace) -> int:
    """The portal alone, in the foreground (the Prefect server and worker run elsewhere)."""
    from thidua.flows.server import configure_prefect

    settings = get_settings()
    if args.port is not None:
        settings = settings.with_(portal_port=args.port)
    # Contacts may name Prefect Secret blocks: the acknowledgements read them from its API.
    configure_prefect(settings)
    server = PortalServer(settings)
    _out(f"Cổng thi đua của đơn vị: {server.url}{public_note(settings)}  (Ctrl-C để dừng)")
    # uvicorn stops on Ctrl-C, then raises the signal again for the caller: that is the way out.
    with contextlib.suppress(KeyboardInterrupt):
        server.run_here()
    _out("Đã dừng cổng thi đua của đơn vị.")
    return 0


# --- the parser -------------------------------------------------------------------------


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add `thidua portal …` to the `thidua` parser."""
    p = sub.add_parser(
        "portal",
        help="cổng thi đua của đơn vị: đường liên kết riêng, tài khoản cán bộ, chạy cổng",
        description=(
            "Mỗi đơn vị có một đường liên kết riêng tới trang của mình (xem việc phải nộp, "
            "nộp trực tuyến); mọi thông báo gửi đơn vị đều mang đường liên kết này."
        ),
    )
    verbs = p.add_subparsers(dest="verb", metavar="VIỆC", parser_class=parser_class)
    verbs.required = True

    q = verbs.add_parser("link", help="in đường liên kết riêng của đơn vị (tạo mới nếu chưa có)")
    q.add_argument("unit", metavar="MÃ-ĐƠN-VỊ", help="mã đơn vị trong danh sách đơn vị, ví dụ SYT")
    q.set_defaults(func=cmd_link)

    q = verbs.add_parser(
        "rotate",
        help="thu hồi đường liên kết của đơn vị và cấp đường liên kết mới",
    )
    q.add_argument("unit", metavar="MÃ-ĐƠN-VỊ", help="mã đơn vị trong danh sách đơn vị, ví dụ SYT")
    q.set_defaults(func=cmd_rotate)

    q = verbs.add_parser("user", help="tài khoản cán bộ Ban Thi đua - Khen thưởng")
    actions = q.add_subparsers(dest="user_verb", metavar="VIỆC", parser_class=parser_class)
    actions.required = True
    r = actions.add_parser(
        "add",
        help="tạo tài khoản cán bộ (mật khẩu nhập hai lần, không hiện trên màn hình)",
    )
    r.add_argument(
        "username", metavar="TÊN", help="tên đăng nhập: chữ, số và . _ - (tối đa 64 ký tự)"
    )
    r.add_argument(
        "--ten-hien-thi",
        "--display-name",
        dest="display_name",
        default="",
        metavar="TÊN-HIỂN-THỊ",
        help="họ tên hiện trên các trang, ví dụ “Nguyễn Văn A” (mặc định: tên đăng nhập)",
    )
    r.add_argument(
        "--mat-khau-stdin",
        "--password-stdin",
        dest="password_stdin",
        action="store_true",
        help="đọc mật khẩu từ dòng đầu của đầu vào chuẩn (mặc định khi đầu vào không phải "
        "màn hình)",
    )
    r.set_defaults(func=cmd_user_add)

    q = verbs.add_parser("serve", help="chỉ chạy cổng thi đua của đơn vị (không chạy Prefect)")
    q.add_argument(
        "--cong",
        "--port",
        dest="port",
        type=int,
        metavar="CỔNG",
        help="cổng trên 127.0.0.1 (mặc định: THIDUA_PORTAL_PORT, 4300)",
    )
    q.set_defaults(func=cmd_portal_serve)
