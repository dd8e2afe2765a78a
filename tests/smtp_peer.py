"""A real SMTP peer for the tests (aiosmtpd on loopback), shared through tests/conftest.py.

`Inbox` keeps every message it accepts; the `smtp_server` fixture serves one that requires
AUTH with the test credentials (btdkt / m@t/kh&u).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .serving import free_port


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Inbox, list[str]]]:
    """A plain SMTP server on 127.0.0.1 that requires AUTH with the test's credentials."""
    inbox, logins = Inbox(), []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any):
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"btdkt",
            b"m@t/kh&u",
        )
        if ok:
            logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)

    port = free_port()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,  # loopback test peer; production URLs use mailtos://
    )
    controller.start()
    try:
        yield port, inbox, logins
    finally:
        controller.stop()
