"""Multi-worker mode on PostgreSQL: a Prefect server on PostgreSQL, the store on PostgreSQL,
campaigns on a process work pool, and two `thidua worker` processes running the same
action at the same moment without sending any message twice.

The overlap is forced, not hoped for: every unit is reached through a real SMTP relay
(aiosmtpd) that holds each message at RCPT until both runs have claimed deliveries in the
store. Neither run can finish first and stop its twin at the gate, so both must share
the units through their claims, which is the property under test.

Everything is real: a fresh PostgreSQL database for Prefect and another for the store
(created here, dropped at the end), `prefect server start` through `LocalServer`, and
the `thidua deploy` / `thidua worker` commands as subprocesses. Without a reachable
PostgreSQL the test fails, unless THIDUA_SKIP_POSTGRES=1 (see tests/store_fixtures.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from thidua.flows.server import LocalServer, prefect_database_url

from thidua.config import Settings
from thidua.errors import SettingsError, ThiduaError
from thidua.ledger import deliveries
from thidua.store import campaign_rows
from thidua.store.db import get_engine, session_scope

from .conftest import SMALL_REGISTRY
from .faults import Relay, smtp_relay
from .serving import ROOT, THIDUA, clean_env, free_port, wait_for
from .store_fixtures import temporary_databases

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CODE = "31/KH-MW"
LAUNCH = "launch/-/launch"
#: Units beyond the small registry's four participants: enough work that the two runs'
#: deliveries overlap, not so much that the test gets slow.
EXTRA_UNITS = 40
POOL = "thidua-test"
FINAL = {"COMPLETED", "CANCELLED", "FAILED", "CRASHED"}


PARTICIPANTS = ["SO-A", "SO-B", "XA-1", "XA-2", *(f"XA-{n}" for n in range(3, 3 + EXTRA_UNITS))]


def address(code: str) -> str:
    return f"{code.lower()}@example.vn"


def mailto(code: str, port: int) -> str:
    return f"mailto://127.0.0.1:{port}?to={address(code)}&from=btdkt@example.vn&mode=insecure"


def registry_text(smtp_port: int) -> str:
    """The small registry plus EXTRA_UNITS xã, every participant reached on the relay."""
    text = SMALL_REGISTRY
    for code in PARTICIPANTS[:4]:
        outbox = f'["outbox://{code.lower()}"]'
        assert outbox in text, code
        text = text.replace(outbox, f'["{mailto(code, smtp_port)}"]')
    lines = [text.rstrip("\n")]
    for n in range(3, 3 + EXTRA_UNITS):
        lines.append(
            f"  - {{code: XA-{n}, name: UBND xã Số {n}, kind: xa, groups: [CUM-X], "
            f'supervisor: UBND, headcount: 10, contacts: ["{mailto(f"XA-{n}", smtp_port)}"]}}'
        )
    return "\n".join(lines) + "\n"


def open_claims(store_db: str) -> dict[str, int]:
    """Launch claims still held (pending or sending), per claimer, read with plain SQL."""
    engine = create_engine(store_db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT claimed_by, count(*) FROM deliveries WHERE action_key = :key"
                    " AND resend = 0 AND status IN ('pending', 'sending') GROUP BY claimed_by"
                ),
                {"key": LAUNCH},
            ).all()
    finally:
        engine.dispose()
    return {str(claimer): n for claimer, n in rows}


def campaign_text(launch: datetime) -> str:
    today = launch.date()
    return f'''
from thidua import Campaign, Milestone, Participants

campaign = Campaign(
    code="{CODE}",
    title="Đợt thi đua thử nghiệm nhiều tiến trình thực thi",
    issuer="UBND tỉnh",
    issued="{today:%d/%m/%Y}",
    period="Từ ngày {today:%d/%m/%Y} đến ngày {today + timedelta(days=60):%d/%m/%Y}",
    organizer="BTDKT",
    registry="units.yaml",
    working_days_only=False,
    participants=Participants(groups=["KHOI-A", "CUM-X"]),
    milestones=[
        Milestone(kind="phát động", when="{today:%d/%m/%Y}", time="{launch:%H:%M:%S}"),
        Milestone(id="a", kind="báo cáo", when="{today + timedelta(days=20):%d/%m/%Y}"),
    ],
)
'''


@pytest.fixture
def pg_urls() -> Iterator[tuple[str, str]]:
    """(Prefect database URL, store URL): two fresh PostgreSQL databases, dropped afterwards."""
    tag = secrets.token_hex(5)
    with temporary_databases(f"thidua_mw_prefect_{tag}", f"thidua_mw_store_{tag}") as urls:
        prefect_url = make_url(urls[0]).set(drivername="postgresql+asyncpg")
        yield prefect_url.render_as_string(hide_password=False), urls[1]


class Api:
    """The few Prefect REST calls the test reads and writes."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, method: str, path: str, body: object = None) -> object:
        import urllib.request

        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as resp:
            return json.loads(resp.read() or b"null")

    def runs(self, deployment_id: str) -> list[dict]:
        body = {"deployments": {"id": {"any_": [deployment_id]}}, "limit": 200}
        return self("POST", "/flow_runs/filter", body)  # type: ignore[return-value]


def start_worker(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [THIDUA, "worker", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: it and its flow runs stop together
        )


def stop_group(process: subprocess.Popen[bytes]) -> int | None:
    """SIGTERM the process group (SIGKILL if it lingers); the process's exit code."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    with contextlib.suppress(ProcessLookupError):  # flow-run children left behind, if any
        os.killpg(process.pid, signal.SIGKILL)
    return process.returncode


@pytest.fixture
def held_relay() -> Iterator[tuple[Relay, int]]:
    """(relay, port): an SMTP relay holding every message at RCPT until `stall_after = None`.

    The first run to pass the gate cannot finish (and stop its twin at the gate as a
    rerun of a done action) before the twin has claimed deliveries too.
    """
    relay = Relay(stall_after=0)
    with smtp_relay(relay) as port:
        try:
            yield relay, port
        finally:
            relay.stall_after = None  # let held sessions end, so the relay can stop


@pytest.mark.slow
def test_two_workers_run_one_action_at_once_and_send_each_message_once(
    pg_urls: tuple[str, str],
    held_relay: tuple[Relay, int],
    write_campaign,
    campaign_dir: Path,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    relay, smtp_port = held_relay
    prefect_db, store_db = pg_urls
    data = tmp_path / "data"
    port = free_port()
    settings = Settings(data_dir=data, ui_port=port, prefect_database_url=prefect_db)
    (campaign_dir / "units.yaml").write_text(registry_text(smtp_port), encoding="utf-8")
    env = clean_env(
        THIDUA_DATA_DIR=str(data),
        THIDUA_UI_PORT=str(port),
        THIDUA_DATABASE_URL=store_db,
        THIDUA_CAMPAIGNS_DIR=str(campaign_dir),
        # Poll often, and hand runs out early enough that both flow-run processes
        # are up and waiting for the due second together (Prefect holds them until then).
        PREFECT_WORKER_QUERY_SECONDS="2",
        PREFECT_WORKER_PREFETCH_SECONDS="40",
        # The twin that finds claims in flight retries its delivery: soon, not in 5 s.
        THIDUA_RETRY_SECONDS="1",
    )
    workers: list[subprocess.Popen[bytes]] = []
    with LocalServer(settings) as server:
        assert server.process is not None, "a Prefect server was already listening on the port"
        api = Api(settings.api_url)
        timings = {"server_s": time.monotonic() - started}
        get_engine(store_db)  # the store, migrated as every thidua command does on start
        launch = datetime.now(VN).replace(microsecond=0) + timedelta(seconds=60)
        path = write_campaign(text=campaign_text(launch))

        deploy = subprocess.run(
            [THIDUA, "deploy", "--work-pool", POOL, str(path)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert deploy.returncode == 0, deploy.stdout + deploy.stderr
        assert f"thidua worker --pool {POOL}" in deploy.stdout
        deployment = api("GET", f"/deployments/name/thi-dua/{CODE.replace('/', '-')}")
        assert deployment["work_pool_name"] == POOL
        assert deployment["entrypoint"] == "thidua.flows.action.run_action"
        assert deployment["pull_steps"] == [
            {"prefect.deployments.steps.set_working_directory": {"directory": str(ROOT)}}
        ]
        pool = api("GET", f"/work_pools/{POOL}")
        assert pool["type"] == "process"

        [first] = [r for r in api.runs(deployment["id"]) if "Phát động" in r["name"]]
        assert first["state_type"] == "SCHEDULED"
        # The same action a second time: same parameters and due time, no idempotency key,
        # as if it had been scheduled twice.
        second = api(
            "POST",
            f"/deployments/{deployment['id']}/create_flow_run",
            {
                "name": first["name"],
                "parameters": first["parameters"],
                "state": {
                    "type": "SCHEDULED",
                    "state_details": {"scheduled_time": first["expected_start_time"]},
                },
            },
        )
        ids = {first["id"], second["id"]}
        assert len(ids) == 2

        # Two workers on the pool, named by THIDUA_WORK_POOL; one run at a time each.
        worker_env = {**env, "THIDUA_WORK_POOL": POOL}
        try:
            for n in (1, 2):
                workers.append(
                    start_worker(worker_env, tmp_path / f"worker{n}.log", "--limit", "1")
                )

            def finished() -> list[dict] | None:
                runs = [r for r in api.runs(deployment["id"]) if r["id"] in ids]
                if any(w.poll() is not None for w in workers):
                    raise AssertionError("a worker exited:\n" + logs())
                done = all(r["state"] and r["state"]["type"] in FINAL for r in runs)
                return runs if done else None

            def logs() -> str:
                return "\n".join(
                    (tmp_path / f"worker{n}.log").read_text(errors="replace") for n in (1, 2)
                )

            due = (launch - datetime.now(VN)).total_seconds()

            def both_hold_claims() -> dict[str, int] | None:
                if any(w.poll() is not None for w in workers):
                    raise AssertionError("a worker exited:\n" + logs())
                claims = open_claims(store_db)
                return claims if len(claims) == 2 else None

            # The overlap itself: two runs (two claimers) hold claims at the same moment.
            held = wait_for(both_hold_claims, timeout=due + 150, interval=0.5, message=logs())
            timings["overlap_s"] = time.monotonic() - started
            print(f"claims held at once, per run: {sorted(held.values())}")
            assert not relay.received  # nothing was sent before both had claimed
            relay.stall_after = None  # the relay answers again
            runs = wait_for(finished, timeout=150, interval=1, message=logs())
            timings["runs_done_s"] = time.monotonic() - started
        finally:
            codes = [stop_group(w) for w in workers]
        assert codes == [0, 0], logs()
        assert "nhận việc từ nhóm “thidua-test”" in logs()

        states = {
            r["id"]: (r["state"]["type"], r["state"]["message"], r["start_time"], r["end_time"])
            for r in runs
        }
        print(f"runs: {states}")
        # Both ran at once: each started before the other ended (and a worker runs one
        # run at a time, so they were two different workers).
        a, b = runs
        assert a["start_time"] < b["end_time"] and b["start_time"] < a["end_time"], runs
        # Both passed the gate (neither was stopped there as a rerun of a done action).
        assert [r["state"]["type"] for r in runs] == ["COMPLETED", "COMPLETED"], states

        # Per run, what it did for each unit: exactly one of the two sent each message.
        outcome: dict[str, list[str]] = {}
        sent_by_run = []
        for run in runs:
            artifacts = api(
                "POST",
                "/artifacts/filter",
                {"artifacts": {"flow_run_id": {"any_": [run["id"]]}, "type": {"any_": ["table"]}}},
            )
            [table] = [t for t in artifacts if t["key"].endswith("-gui-tin")]
            rows = json.loads(table["data"])
            sent_by_run.append(sum(row["Kết quả"] == "đã gửi" for row in rows))
            for row in rows:
                outcome.setdefault(row["Mã"], []).append(row["Kết quả"])
        assert sorted(outcome) == sorted(PARTICIPANTS)
        # The units were shared: each run sent some of them itself.
        assert all(n > 0 for n in sent_by_run), sent_by_run
        # The other run found the claim: the message was sent, or was being sent, by its twin.
        lost = {"đã gửi trước đó", "đang được gửi ở lượt chạy khác"}
        for unit, results in outcome.items():
            assert len(results) == len(runs) and results.count("đã gửi") == 1, (unit, results)
            assert set(results) - {"đã gửi"} <= lost, (unit, results)

        # A later deploy or pause without naming the pool keeps the campaign on it.
        for args in (["deploy", str(path)], ["pause", CODE], ["resume", CODE]):
            again = subprocess.run(
                [THIDUA, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
            )
            assert again.returncode == 0, again.stdout + again.stderr
        kept = api("GET", f"/deployments/{deployment['id']}")
        assert kept["work_pool_name"] == POOL and kept["paused"] is False
        assert (kept["entrypoint"], kept["pull_steps"]) == (
            deployment["entrypoint"],
            deployment["pull_steps"],
        )

    # The record: one 'sent' delivery per unit, and the relay got each message once.
    with session_scope(get_engine(store_db)) as session:
        records = deliveries.deliveries_for(session, campaign_code=CODE, action_key=LAUNCH)
        action = campaign_rows.get_action(session, campaign_code=CODE, key=LAUNCH)
    assert sorted(d.unit_code for d in records) == sorted(PARTICIPANTS)
    assert {d.status for d in records} == {"sent"}
    assert all(d.attempts == 1 for d in records)
    assert Counter(relay.received) == {address(code): 1 for code in PARTICIPANTS}
    assert action is not None and action.status == "done"
    # Prefect kept those runs in its own PostgreSQL database, not in a SQLite file.
    prefect_engine = create_engine(make_url(prefect_db).set(drivername="postgresql"))
    try:
        with prefect_engine.connect() as conn:
            stored = conn.execute(
                text("SELECT count(*) FROM flow_run WHERE id::text = ANY(:ids)"),
                {"ids": sorted(ids)},
            ).scalar()
    finally:
        prefect_engine.dispose()
    assert stored == 2
    assert not (data / "prefect" / "prefect.db").exists()
    took = time.monotonic() - started
    print(f"multi-worker test: {timings}, sent per run {sent_by_run}, total {took:.1f}s")


def test_prefect_database_setting_is_checked_and_its_password_never_shown(tmp_path: Path) -> None:
    plain = Settings(prefect_database_url="postgresql://u:hunter22@db:5432/prefect")
    assert prefect_database_url(plain) == "postgresql+asyncpg://u:hunter22@db:5432/prefect"
    wrong = Settings(prefect_database_url="postgresql+psycopg2://u:hunter22@db/prefect")
    with pytest.raises(SettingsError) as info:
        prefect_database_url(wrong)
    message = str(info.value)
    assert "THIDUA_PREFECT_DATABASE_URL" in message and "asyncpg" in message
    assert "hunter22" not in message and "***" in message
    assert prefect_database_url(Settings()) == ""


@pytest.mark.slow
def test_local_server_says_when_its_database_is_unreachable(tmp_path: Path) -> None:
    closed = free_port()  # nothing listens there
    settings = Settings(
        data_dir=tmp_path / "data",
        ui_port=free_port(),
        prefect_database_url=f"postgresql+asyncpg://thidua:hunter22@127.0.0.1:{closed}/prefect",
    )
    with pytest.raises(ThiduaError) as info, LocalServer(settings, wait=90):
        pass
    message = str(info.value)
    assert "không kết nối được cơ sở dữ liệu" in message
    assert f"postgresql+asyncpg://thidua:***@127.0.0.1:{closed}/prefect" in message
    assert "THIDUA_PREFECT_DATABASE_URL" in message
    assert "không nhận kết nối" in message
    assert "hunter22" not in message


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "setting", "expected"),
    [
        (["deploy", "--work-pool", "a/b"], {}, "tham số --work-pool = “a/b” không hợp lệ"),
        (["worker"], {"THIDUA_WORK_POOL": "x&y"}, "THIDUA_WORK_POOL = “x&y” không hợp lệ"),
        (["worker", "--pool", "  "], {}, "tham số --pool: tên nhóm tiến trình không được để trống"),
        (["worker", "--limit", "0"], {}, "tham số --limit = 0 không hợp lệ"),
        (["worker", "--health-port", "70000"], {}, "tham số --health-port = 70000 không hợp lệ"),
        (["worker"], {}, "không kết nối được máy chủ Prefect tại http://127.0.0.1:"),
    ],
)
def test_worker_commands_reject_bad_input_in_vietnamese(
    args: list[str], setting: dict[str, str], expected: str, tmp_path: Path
) -> None:
    env = clean_env(
        THIDUA_DATA_DIR=str(tmp_path / "data"), THIDUA_UI_PORT=str(free_port()), **setting
    )
    result = subprocess.run(
        [THIDUA, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data" / "thidua.store.db").exists()  # nothing was recorded


def test_production_doc_lists_every_setting() -> None:
    from dataclasses import fields

    doc = (ROOT / "docs" / "production.md").read_text(encoding="utf-8")
    for f in fields(Settings):
        assert f"`THIDUA_{f.name.upper()}`" in doc, f.name
    assert "docs/production.md" in (ROOT / "README.md").read_text(encoding="utf-8")
