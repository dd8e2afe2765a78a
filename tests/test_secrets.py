"""Secrets never leave the environment: a whole campaign run, then a search of everything.

`thidua simulate` runs a small campaign whose units are reached through the outbox,
a JSON webhook whose token comes from ``${HOOK_TOKEN}`` and an SMTP server (closed
port: it fails, is retried, and alerts the organizer, the paths where a secret is
most likely to be quoted) whose login comes from ``${SMTP_USER}``/``${SMTP_PASSWORD}``.
Then stdout, stderr and every byte under the data dir (outbox .eml files, the state
store, the Prefect home with its database and logs) are searched for the secrets.
"""

from __future__ import annotations

import base64
import email
import email.policy
import re
import secrets
import sqlite3
import subprocess
import threading
from collections.abc import Iterator
from contextlib import closing, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from .conftest import ROOT
from .serving import THIDUA, clean_env, free_port

pytestmark = pytest.mark.slow

# Distinctive values; the password holds characters that URL-encoding changes, so
# the encoded forms searched below really differ from the raw one.
HOOK_TOKEN = "tok" + secrets.token_hex(12)
SMTP_USER = "usr" + secrets.token_hex(6)
SMTP_PASSWORD = "pw" + secrets.token_hex(12) + "@/&+ %"

CAMPAIGN = """\
from thidua import Campaign, Milestone, Participants

campaign = Campaign(
    code="77/KH-BIMAT",
    title="Đợt thi đua kiểm tra bí mật",
    issuer="UBND tỉnh",
    issued="02/3/2026",
    period="Từ ngày 02/3/2026 đến ngày 30/6/2026",
    organizer="BTDKT",
    registry="units.yaml",
    participants=Participants(units=["SO-A", "XA-1"]),
    milestones=[Milestone(kind="phát động", when="02/3/2026")],
)
"""

REGISTRY = """\
name: Tỉnh thử nghiệm bí mật
units:
  - {{code: UBND, name: UBND tỉnh, kind: co_quan_tinh, contacts: ["outbox://ubnd"]}}
  - code: BTDKT
    name: Ban Thi đua - Khen thưởng
    kind: phong
    supervisor: UBND
    contacts: ["outbox://btdkt", "{hook}"]
  - code: SO-A
    name: Sở Khoa học Bí Mật
    kind: so_nganh
    supervisor: UBND
    contacts: ["outbox://so-a", "{hook}", "{mail}"]
  - code: XA-1
    name: UBND xã Núi Đá
    kind: xa
    supervisor: UBND
    contacts: ["outbox://xa-1", "{hook}"]
"""


def secret_forms() -> dict[str, bytes]:
    """Every spelling of a secret that could end up in a file or a log."""
    forms: dict[str, bytes] = {}
    for name, value in (("HOOK_TOKEN", HOOK_TOKEN), ("SMTP_PASSWORD", SMTP_PASSWORD)):
        for how, text in (
            ("raw", value),
            ("quote", quote(value, safe="")),
            ("quote/:@,", quote(value, safe="/:@,")),
            ("quote_plus", quote_plus(value)),
            ("json", value.replace("/", "\\/")),
        ):
            forms[f"{name} ({how})"] = text.encode()
        forms[f"{name} (base64)"] = base64.b64encode(value.encode())
    return forms


@pytest.fixture
def hook() -> Iterator[tuple[int, list[str]]]:
    """A local webhook; yields its port and the request paths it received."""
    paths: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            paths.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], paths
    finally:
        server.shutdown()
        server.server_close()


def readable(path: Path) -> bytes:
    """The bytes of a file, plus what they hide from a plain byte search.

    E-mails are decoded part by part (base64, quoted-printable); SQLite databases are
    dumped as SQL, since a long text may be split across overflow pages; Prefect's
    result files are base64 (of a pickle).
    """
    data = path.read_bytes()
    extra: list[str] = []
    if path.suffix == ".eml":
        msg = email.message_from_bytes(data, policy=email.policy.default)
        extra.append(str(msg["Subject"] or ""))
        extra += [p.get_content() for p in msg.walk() if p.get_content_maintype() == "text"]
    elif data.startswith(b"SQLite format 3"):
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            extra += list(conn.iterdump())
    elif data and re.fullmatch(rb"[A-Za-z0-9+/=\s]+", data):
        with suppress(ValueError):
            return data + b"\n" + base64.b64decode(b"".join(data.split()))
    return data + "\n".join(extra).encode()


#: Every action of a campaign run for real at its planned time, in the isolation
#: `thidua simulate` uses (its own store and temporary Prefect API) without its outbox.
REAL_RUN = """
import os
import sys
from pathlib import Path

os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"  # the run's logs are searched too

from thidua.flows.simulate import action_counts, isolated, record_plan
from thidua.campaign.loading import load_campaign
from thidua.config import get_settings
from thidua.store.db import session_scope
from thidua.campaign.plan import compile_plan

loaded = load_campaign(Path(sys.argv[1]))
settings = get_settings()
plan = compile_plan(loaded.spec, loaded.registry, notice_time=settings.notice_time)
failed = 0
with isolated(settings, loaded.code) as sim:
    record_plan(sim, loaded, plan, set())
    print(f"Mô phỏng {loaded.code}")
    from thidua.flows.action import run_action

    for action in plan.actions:
        state = run_action(
            campaign_file=str(loaded.path),
            action_key=action.key,
            scheduled_for=action.at,
            now=action.at,
            return_state=True,
        )
        with session_scope() as session:
            counts = action_counts(session, loaded.code, action)
        bad = counts.failed or state.is_failed()
        failed += bool(bad)
        print(("✗ " if bad else "✓ ") + action.key)
sys.exit(1 if failed else 0)
"""


def test_no_secret_appears_anywhere_after_a_campaign_run(
    tmp_path: Path, hook: tuple[int, list[str]]
) -> None:
    port, hook_paths = hook
    closed_port = free_port()
    # Apprise's json:// forwards only "-name" query arguments to the server.
    hook_url = f"json://127.0.0.1:{port}/hook?-token=${{HOOK_TOKEN}}"
    mail_url = f"mailtos://${{SMTP_USER}}:${{SMTP_PASSWORD}}@127.0.0.1:{closed_port}?to=a@example.vn&from=thidua@example.vn"
    folder = tmp_path / "campaigns"
    folder.mkdir()
    (folder / "units.yaml").write_text(
        REGISTRY.format(hook=hook_url, mail=mail_url), encoding="utf-8"
    )
    (folder / "camp.py").write_text(CAMPAIGN, encoding="utf-8")
    data_dir = tmp_path / "data"
    env = clean_env(
        THIDUA_RETRY_SECONDS="1",  # the failure path is what matters here, not its patience
        THIDUA_DELIVERY_RETRIES="3",
        THIDUA_DATA_DIR=str(data_dir),
        HOOK_TOKEN=HOOK_TOKEN,
        SMTP_USER=SMTP_USER,
        SMTP_PASSWORD=SMTP_PASSWORD,
    )
    # A real run (simulate never reaches a real channel): the simulation's isolated store
    # and private Prefect API, but the contacts as written, secrets expanded when sending.
    result = subprocess.run(
        [str(Path(THIDUA).with_name("python")), "-c", REAL_RUN, str(folder / "camp.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    out = result.stdout + result.stderr

    # The run really happened and really failed on the e-mail contact.
    assert "Mô phỏng 77/KH-BIMAT" in result.stdout, out
    assert result.returncode == 1, out  # the SMTP delivery failed, as intended
    assert "✗" in result.stdout, out
    # The secret was used: the webhook got the token (units and the organizer's alert).
    assert hook_paths, out
    assert all(p == f"/hook?token={HOOK_TOKEN}" for p in hook_paths), hook_paths
    assert len(hook_paths) >= 3  # SO-A, XA-1, and the alert to BTDKT

    files = [p for p in data_dir.rglob("*") if p.is_file()]
    emls = [p for p in files if p.suffix == ".eml"]
    store = data_dir / "simulate" / "77-kh-bimat" / "thidua.store.db"
    prefect_home = data_dir / "simulate" / ".prefect"
    prefect_files = [p for p in files if prefect_home in p.parents]
    # The search reads real content: the unit names are where they should be.
    assert {p.parent.name for p in emls} >= {"so-a", "xa-1", "btdkt"}, files
    assert all("Sở Khoa học Bí Mật".encode() in readable(p) for p in emls if "so-a" in p.parts)
    assert store.exists(), files
    store_bytes = readable(store)
    assert "Sở Khoa học Bí Mật".encode() in store_bytes
    assert "không thành công".encode() in store_bytes  # the failure was recorded
    # The organizer was told which unit could not be reached (once, from the store's record).
    reports = [
        m
        for m in (
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in emls
            if p.parent.name == "btdkt"
        )
        if m["Subject"].startswith("[77/KH-BIMAT] Không gửi được tới 1 đơn vị")
    ]
    assert len(reports) == 1, [p.name for p in emls]
    assert (
        "Sở Khoa học Bí Mật (liên hệ thứ 3, thư điện tử)"
        in reports[0].get_body(("plain",)).get_content()
    )
    prefect_db = readable(prefect_home / "prefect.db")
    # Prefect's own records of the run: its logs (the retries) and its artifacts.
    assert b"deliveries failed transiently" in prefect_db, prefect_files
    assert b"77-kh-bimat-tom-tat" in prefect_db
    # The flow's failure, pickled in Prefect's result storage, is searched decoded.
    results = [readable(p) for p in prefect_files if p.parent.name == "storage"]
    assert any("gửi không hết".encode() in r for r in results), prefect_files

    sources = {"stdout": result.stdout.encode(), "stderr": result.stderr.encode()}
    sources.update({str(p.relative_to(data_dir)): readable(p) for p in files})
    leaks = [
        f"{form} in {where}"
        for where, content in sources.items()
        for form, needle in secret_forms().items()
        if needle in content
    ]
    assert not leaks, leaks
