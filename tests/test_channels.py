"""Real peers for `thidua.notifications.send`: an MQTT broker, a JSON webhook, failures.

Nothing is mocked: messages cross a socket to a real Mosquitto broker (the local
one on 127.0.0.1:1883, or a private one started for the test) and to a stdlib HTTP
server, and what arrives there is checked, Vietnamese text included.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from thidua.notifications.render import Message, render
from thidua.notifications.send import send

from thidua.campaign.loading import load_campaign
from thidua.campaign.plan import ActionKind, compile_plan
from thidua.registry.contacts import quiet_apprise

from .conftest import CAMPAIGNS
from .serving import free_port

paho = pytest.importorskip("paho.mqtt.client", reason="paho-mqtt is a pinned dependency")

SEED_579 = CAMPAIGNS / "sngv_579_kh_2026_100_ngay_dem.py"
TOKEN = "hook-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def message() -> Message:
    """A launch notice exactly as a unit of the Sở Ngoại vụ campaign receives it."""
    loaded = load_campaign(SEED_579)
    spec, reg = loaded.spec, loaded.registry
    plan = compile_plan(spec, reg)
    launch = next(a for a in plan.actions if a.kind is ActionKind.LAUNCH)
    unit = reg.unit(launch.recipients[0])
    rendered = render(
        launch,
        campaign=spec,
        unit=unit,
        organizer=reg.unit(spec.organizer),
        now=launch.at,
    )
    assert f"Kính gửi: {unit.name}" in rendered.text
    return rendered


# --- MQTT ------------------------------------------------------------------------


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The port of a Mosquitto broker: the machine's own, else a private one."""
    if _port_open("127.0.0.1", 1883):
        yield 1883
        return
    binary = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if binary is None:
        pytest.skip("no MQTT broker on 127.0.0.1:1883 and no mosquitto binary to start one")
    port = free_port()
    conf = tmp_path_factory.mktemp("mosquitto") / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\n", encoding="utf-8")
    process = subprocess.Popen(
        [binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 10
        while not _port_open("127.0.0.1", port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"mosquitto did not start on port {port}")
            time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_mqtt_subscriber_receives_the_vietnamese_notice(broker: int, message: Message) -> None:
    topic = f"thidua/test/{uuid.uuid4().hex}"
    subscribed, arrived = threading.Event(), threading.Event()
    payloads: list[bytes] = []

    def on_message(client: object, userdata: object, msg: object) -> None:
        payloads.append(msg.payload)  # type: ignore[attr-defined]
        arrived.set()

    client = paho.Client(paho.CallbackAPIVersion.VERSION2)
    client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_message = on_message
    client.connect("127.0.0.1", broker)
    client.loop_start()
    try:
        # Publishing before the subscription is live would lose the message (no retain).
        assert subscribed.wait(10), "subscription not acknowledged by the broker"
        result = send(f"mqtt://127.0.0.1:{broker}/{topic}", message)
        assert result.ok, result.error
        assert arrived.wait(10), "nothing arrived on the topic"
    finally:
        client.loop_stop()
        client.disconnect()
    assert len(payloads) == 1
    text = payloads[0].decode("utf-8")
    # MQTT has no title: Apprise puts the subject on the first line of the payload.
    assert message.subject in text
    assert message.text.strip() in text
    assert "Kính gửi:" in text and "Sở Ngoại vụ" in text


# --- JSON webhook --------------------------------------------------------------------


@dataclass
class Hook:
    """A local HTTP server that records every request and answers with `status`."""

    port: int
    status: int = 200
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def hook() -> Iterator[Hook]:
    state = Hook(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.requests.append((self.path, dict(self.headers), body))
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass  # keep pytest output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_json_webhook_receives_title_and_body(hook: Hook, message: Message) -> None:
    result = send(f"json://127.0.0.1:{hook.port}/hook", message)
    assert result.ok, result.error
    assert len(hook.requests) == 1
    path, headers, body = hook.requests[0]
    assert path == "/hook"
    assert headers["Content-Type"].startswith("application/json")
    payload = json.loads(body.decode("utf-8"))
    assert payload["title"] == message.subject
    assert payload["message"] == message.text.strip()  # Apprise trims the body
    assert "Kính gửi:" in payload["message"]


def test_webhook_secret_is_sent_from_the_environment(
    hook: Hook, message: Message, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Apprise's json:// forwards only "-name" query arguments to the server; a plain
    # "?token=" would be dropped silently.
    monkeypatch.setenv("HOOK_TOKEN", TOKEN)
    result = send(f"json://127.0.0.1:{hook.port}/hook?-token=${{HOOK_TOKEN}}", message)
    assert result.ok, result.error
    assert hook.requests[0][0] == f"/hook?token={TOKEN}"


# --- failures --------------------------------------------------------------------------


def test_webhook_answering_500_is_a_failure(hook: Hook, message: Message) -> None:
    hook.status = 500
    result = send(f"json://127.0.0.1:{hook.port}/hook", message)
    assert len(hook.requests) == 1  # it did reach the server
    assert not result.ok and not result.permanent
    assert result.error and "không thành công" in result.error


def test_unreachable_peer_fails_without_showing_the_secret(
    message: Message, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("HOOK_TOKEN", TOKEN)
    port = free_port()  # bound then released: nothing listens there
    url = f"json://127.0.0.1:{port}/hook/${{HOOK_TOKEN}}?-token=${{HOOK_TOKEN}}"
    with caplog.at_level(logging.DEBUG):
        result = send(url, message)
    assert not result.ok and not result.permanent
    assert result.error and f"127.0.0.1:{port}" in result.error
    assert "${HOOK_TOKEN}" in result.error  # the operator sees which variable was used
    assert TOKEN not in result.error
    # Apprise's debug lines quote the full request URL; none may reach the logs.
    assert TOKEN not in caplog.text


def test_missing_variable_is_a_permanent_failure(
    message: Message, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOOK_TOKEN", raising=False)
    result = send("json://127.0.0.1:9/hook?-token=${HOOK_TOKEN}", message)
    assert not result.ok and result.permanent
    assert result.error and "${HOOK_TOKEN}" in result.error


def test_apprise_stays_quiet_while_any_thread_is_sending() -> None:
    # Deliveries run in a thread pool: their quiet blocks overlap without nesting.
    apprise_logger = logging.getLogger("apprise")
    assert not apprise_logger.disabled
    first, second = quiet_apprise(), quiet_apprise()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    assert apprise_logger.disabled, "re-enabled while another delivery is in flight"
    second.__exit__(None, None, None)
    assert not apprise_logger.disabled


# --- secrets from Prefect Secret blocks ----------------------------------------------

SECRET_BLOCK_SCRIPT = """
import sys
from prefect.blocks.system import Secret
from thidua.notifications.render import Message
from thidua.notifications.send import send

port, token = sys.argv[1], sys.argv[2]
Secret(value=token).save("thidua-hook-token", overwrite=True)
notice = Message(subject="Thông báo", text="Kính gửi: Sở Y tế")
ok = send(f"json://127.0.0.1:{port}/hook?-token=${{secret:thidua-hook-token}}", notice)
missing = send(f"json://127.0.0.1:{port}/hook?-token=${{secret:khong-co-block}}", notice)
print(ok.ok, ok.error)
print(missing.ok, missing.permanent, missing.error)
"""


@pytest.mark.slow
def test_webhook_secret_from_a_prefect_secret_block(hook: Hook, served) -> None:
    # An operator keeps the token in a Prefect Secret block; the registry names it as
    # ${secret:thidua-hook-token} and never holds the value.
    import sys

    env = {**served.env, "PREFECT_API_URL": served.api_url}
    out = subprocess.run(
        [sys.executable, "-c", SECRET_BLOCK_SCRIPT, str(hook.port), TOKEN],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    sent, missing = out.stdout.strip().splitlines()
    assert sent == "True None"
    assert [path for path, _, _ in hook.requests] == [f"/hook?token={TOKEN}"]
    assert missing.startswith("False True không đọc được Secret block “khong-co-block”")
    assert TOKEN not in out.stdout + out.stderr
