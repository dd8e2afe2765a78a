"""Header injection through contacts (issue 11 point 4): refused at load time and at send time.

`mailto://…?to=so-a@…%0d%0aBcc:other@…` used to pass `validate` and deliver the
notice to the hidden Bcc; `from=…%0d%0aReply-To:…` put a raw CRLF in the From
header. Every decoded value that reaches a header is now checked for control and
invisible characters, whatever the channel; the list of fields comes from Apprise
itself so that a field a new Apprise version adds is covered too.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from apprise.manager_plugins import NotificationManager
from apprise.plugins.email.base import NotifyEmail
from thidua.notifications.render import Message
from thidua.notifications.send import send

from thidua.errors import RegistryError, ThiduaError
from thidua.registry import Unit, UnitKind, contacts, parse_registry

CRLF_BCC = "%0d%0aBcc:spy@evil.example"
#: what each injection looks like after one, two and three rounds of encoding
ENCODINGS = [CRLF_BCC, "%250d%250aBcc:spy@evil.example", "%25250a%25250dBcc:spy@evil.example"]


def _email_url(scheme: str, field: str, bad: str) -> str:
    """A mail URL whose `field` (an Apprise token or argument name) carries `bad`."""
    base = {"user": "bot", "password": "${SMTP_PASSWORD}", "host": "mail.example.vn"}
    query = {"to": "so-a@example.vn", "from": "btdkt@example.vn"}
    path = ""
    if field in ("user", "password", "host"):
        base[field] = base[field] + bad if field != "password" else "p" + bad
    elif field in ("targets", "target_email"):
        path = "/so-a@example.vn" + bad
    else:
        query[field] = query.get(field, "x@example.vn") + bad
    q = "&".join(f"{k}={v}" for k, v in query.items())
    return f"{scheme}://{base['user']}:{base['password']}@{base['host']}{path}?{q}"


def _string_fields() -> list[str]:
    """Every NotifyEmail token and argument that carries text (some become headers)."""
    fields = {**NotifyEmail.template_tokens, **NotifyEmail.template_args}
    found = [
        name
        for name, spec in fields.items()
        if "string" in str(spec.get("type", "")) or spec.get("alias_of")
    ]
    # the headers the issue reproduced must be in the list Apprise gives us
    assert {"to", "from", "name", "cc", "bcc", "reply", "user", "targets"} <= set(found)
    return sorted(found)


@pytest.mark.parametrize("scheme", ["mailto", "mailtos"])
@pytest.mark.parametrize("field", _string_fields())
@pytest.mark.parametrize("bad", ENCODINGS)
def test_every_text_field_of_an_email_url_refuses_crlf(scheme: str, field: str, bad: str) -> None:
    url = _email_url(scheme, field, bad)
    error = contacts.check_local(url)
    assert error is not None, url
    assert "U+000D" in error or "U+000A" in error
    assert "\r" not in error and "\n" not in error
    assert contacts.check_contacts([url])[url] == error


@pytest.mark.parametrize("scheme", ["mailto", "mailtos"])
def test_custom_email_headers_refuse_crlf(scheme: str) -> None:
    url = f"{scheme}://bot:${{P}}@mail.example.vn?to=a@example.vn&+X-Thidua=1{CRLF_BCC}"
    assert "tham số “+X-Thidua”" in (contacts.check_local(url) or "")


def _header_schemes() -> list[str]:
    """Every Apprise scheme whose plugin turns “+Name=value” arguments into headers."""
    manager = NotificationManager()
    schemes = []
    for scheme in sorted(manager.schemas()):
        kwargs = getattr(manager[scheme], "template_kwargs", {}) or {}
        if any(spec.get("prefix") == "+" for spec in kwargs.values()):
            schemes.append(scheme)
    assert {"json", "xml", "form", "mailto", "ntfy"} & set(schemes) >= {"json", "mailto"}
    return schemes


@pytest.mark.parametrize("scheme", _header_schemes())
def test_every_channel_with_headers_refuses_crlf_in_them(scheme: str) -> None:
    url = f"{scheme}://example.com/hook?+X-Thidua=ok%0d%0aAuthorization:%20stolen"
    error = contacts.check_local(url)
    assert error is not None and "“+X-Thidua”" in error and "U+000D" in error


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("mailto://bot:${P}@h.vn?to=a@b.vn&name=Ban%E2%80%AETDKT", "tham số “name”"),
        ("mailto://bot:${P}@h.vn?to=a@b.vn%00", "tham số “to”"),
        ("ntfy://host/topic?title=a%0a", "tham số “title”"),
        ("tgram://${BOT_TOKEN}/12345%0d", "phần đường dẫn thứ 1"),
        ("mailto://bot%0a:${P}@h.vn?to=a@b.vn", "tên người dùng"),
        ("mailto://bot:${P}@h.vn?to%0d=a@b.vn", "tên tham số"),
    ],
)
def test_invisible_and_control_characters_anywhere_are_named(url: str, field: str) -> None:
    assert field in (contacts.check_local(url) or "")


def test_the_registry_names_the_unit_and_field_and_masks_secrets() -> None:
    url = "mailtos://bot:${SMTP_PASSWORD}@mail.example.vn?to=so-a@example.vn" + CRLF_BCC
    with pytest.raises(RegistryError) as info:
        parse_registry(
            {"units": [{"code": "SO-A", "name": "Sở A", "kind": "so_nganh", "contacts": [url]}]}
        )
    [problem] = info.value.errors
    assert problem.path == "units[SO-A].contacts[0]"
    assert "tham số “to”" in problem.message and "U+000D" in problem.message
    assert "\r" not in problem.render() and "\n" not in problem.render()
    assert "${SMTP_PASSWORD}" in problem.value  # the placeholder, never a value


def test_a_literal_secret_with_a_control_character_is_not_shown() -> None:
    url = "json://example.com/hook?+X-Api-Key=hunter2%0d%0aX:1"
    error = contacts.check_local(url) or ""
    assert "“+X-Api-Key”" in error and "hunter2" not in error
    assert "hunter2" not in contacts.display(url)


def test_a_secret_holding_a_control_character_is_named_not_shown() -> None:
    with pytest.raises(ThiduaError) as info:
        contacts.expand(
            "mailtos://bot:${SMTP_PASSWORD}@mail.example.vn?to=a@example.vn",
            {"SMTP_PASSWORD": "hunter2\r\nRCPT TO:<spy@evil.example>"},
        )
    message = str(info.value)
    assert "mật khẩu" in message and "U+000D" in message
    assert "hunter2" not in message and "spy@" not in message


# --- end to end: a real SMTP server receives nothing for a smuggled header ------------------


class Inbox:
    def __init__(self) -> None:
        self.rcpt: list[list[str]] = []
        self.raw: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.rcpt.append(list(envelope.rcpt_tos))
        self.raw.append(envelope.original_content)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


MESSAGE = Message(subject="[12/KH-TEST] Phát động", text="Kính gửi: Sở A")


def test_a_variable_smuggling_a_bcc_is_refused_at_send_time(
    smtp: tuple[int, Inbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ${VAR} is only known at send time: its value is checked there."""
    port, inbox = smtp
    monkeypatch.setenv("SO_A_EMAIL", "so-a@example.vn\r\nBcc: spy@evil.example")
    url = f"mailto://127.0.0.1:{port}?to=${{SO_A_EMAIL}}&from=btdkt@example.vn&mode=insecure"
    assert contacts.check_local(url) is None  # the template itself is clean

    result = send(url, MESSAGE)

    assert not result.ok and result.permanent
    assert "tham số “to”" in (result.error or "")
    assert inbox.rcpt == []


@pytest.mark.parametrize(
    "query",
    [
        f"to=so-a@example.vn{CRLF_BCC}&from=btdkt@example.vn",
        "to=so-a@example.vn&from=btdkt@example.vn%0d%0aReply-To:spy@evil.example",
        "to=so-a@example.vn&from=btdkt@example.vn&name=Ban%0d%0aBcc:spy@evil.example",
    ],
)
def test_a_contact_slipped_past_validation_never_reaches_a_hidden_bcc(
    smtp: tuple[int, Inbox], query: str
) -> None:
    """Defence in depth: a unit built without validation (an old compiled cache, code)."""
    port, inbox = smtp
    unit = Unit.model_construct(
        code="SO-A",
        name="Sở A",
        kind=UnitKind.SO_NGANH,
        contacts=(f"mailto://127.0.0.1:{port}?{query}&mode=insecure",),
    )

    result = send(unit.contacts[0], MESSAGE)

    assert all("spy@evil.example" not in rcpt for rcpt in inbox.rcpt), inbox.rcpt
    assert all(b"spy@evil.example" not in raw for raw in inbox.raw), inbox.raw
    assert not result.ok and result.permanent
    assert inbox.rcpt == []


def test_a_clean_contact_still_reaches_the_server(smtp: tuple[int, Inbox]) -> None:
    port, inbox = smtp
    url = f"mailto://127.0.0.1:{port}?to=so-a@example.vn&from=btdkt@example.vn&mode=insecure"
    assert send(url, MESSAGE).ok
    assert inbox.rcpt == [["so-a@example.vn"]]
