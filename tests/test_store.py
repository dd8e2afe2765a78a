"""The state store on real SQLite and PostgreSQL: schema, migrations, crud, exactly-once claims."""

from __future__ import annotations

import threading
import tomllib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import StatementError
from sqlmodel import Session, col, select

from thidua.campaign.plan import Action, ActionKind
from thidua.errors import StoreUnavailable, ThiduaError, UnknownCampaign
from thidua.ledger import deliveries
from thidua.ledger.statuses import ActionStatus, CampaignStatus, DeliveryStatus
from thidua.registry import Unit
from thidua.store import campaign_rows, db, outbox_rows, submission_rows
from thidua.store.db import (
    alembic_config,
    create_store_engine,
    get_engine,
    migrate,
    privacy_url,
    session_scope,
)
from thidua.store.models import Submission, UnitRecord, UnitRole, metadata

from .conftest import ROOT

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
CODE = "641/KH-UBND"
KEY = {
    "campaign_code": CODE,
    "action_key": "report/-/reminder/3d",
    "occurrence": "",
    "unit_code": "SO-A",
    "channel": "0-mailto",
}


def add_campaign(session: Session, code: str = CODE, **changes: object) -> None:
    fields: dict = {
        "title": "Phong trào thi đua “100 ngày đêm”",
        "file": "campaigns/ubnd_641.py",
        "organizer": "BTDKT",
        "spec_hash": "abc",
        "period_start": date(2026, 2, 10),
        "period_end": date(2026, 5, 20),
    }
    campaign_rows.upsert_campaign(session, code=code, **{**fields, **changes})


def action_fields(key: str, at: datetime, **changes: object) -> dict:
    return {
        "milestone": "report",
        "occurrence": "",
        "kind": "reminder",
        "title": "Nhắc hạn nộp báo cáo",
        "run_name": f"{CODE} · Nhắc hạn nộp báo cáo · {at:%d/%m/%Y}",
        "scheduled_at": at,
        "due": date(2026, 5, 25),
        "recipients": 2,
        **changes,
    }


# --- engine and migrations ----------------------------------------------------------


def test_migrating_an_empty_database_gives_exactly_the_models_schema(empty_db: str) -> None:
    engine = create_store_engine(empty_db)
    migrate(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == []
    assert tables == set(metadata.tables) | {"alembic_version"}


def test_migrate_twice_is_a_no_op(fresh_db: Engine) -> None:
    with session_scope(fresh_db) as session:
        add_campaign(session)
    migrate(fresh_db)
    migrate(fresh_db)
    with fresh_db.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    assert versions == [(HEAD,)]
    with session_scope(fresh_db) as session:
        assert [c.code for c in campaign_rows.list_campaigns(session)] == [CODE]


def test_upgrading_from_0001_keeps_submissions_and_their_lateness(empty_db: str) -> None:
    engine = create_store_engine(empty_db)
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        insert = text(
            "INSERT INTO submissions (campaign_code, milestone, occurrence, unit_code,"
            " submitted_at, on_time) VALUES (:c, 'report', '', :u, :at, :ok)"
        )
        at = datetime(2026, 5, 20, 2, 0)
        conn.execute(insert, [{"c": CODE, "u": "SO-A", "at": at, "ok": True}])
        conn.execute(insert, [{"c": CODE, "u": "XA-1", "at": at, "ok": False}])
    migrate(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    with session_scope(engine) as session:
        rows = session.exec(select(Submission).order_by(col(Submission.unit_code))).all()
        assert [(r.unit_code, r.timing, r.on_time) for r in rows] == [
            ("SO-A", "on_time", True),
            ("XA-1", "late", False),
        ]
        assert all(r.recorded_at == r.submitted_at and r.files == [] for r in rows)
    engine.dispose()


def test_workers_starting_together_migrate_once(empty_db: str) -> None:
    engines = [create_store_engine(empty_db) for _ in range(4)]
    barrier = threading.Barrier(len(engines))

    def start(engine: Engine) -> None:
        barrier.wait()
        migrate(engine)

    with ThreadPoolExecutor(len(engines)) as pool:
        list(pool.map(start, engines))
    with engines[0].connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    for engine in engines:
        engine.dispose()


def test_default_engine_is_sqlite_in_the_data_dir_cached_and_tuned() -> None:
    from thidua.config import get_settings

    db.reset_engines()
    try:
        engine = get_engine()
        assert get_engine() is engine
        assert get_engine(get_settings().state_url) is engine
        assert (get_settings().data_dir / "thidua.store.db").is_file()
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    finally:
        db.reset_engines()


def test_a_connection_lost_mid_session_is_store_unavailable(pg_database: str) -> None:
    # A worker's store connection dropped during an action (failover, restart) must
    # surface as the Vietnamese StoreUnavailable, not a psycopg traceback in the run log.
    engine = get_engine(pg_database)
    admin = create_store_engine(pg_database)
    with pytest.raises(StoreUnavailable) as info, session_scope(engine) as session:
        pid = session.exec(text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            conn.commit()
        session.exec(text("SELECT 1"))
    admin.dispose()
    assert "không kết nối được kho lưu trạng thái postgresql" in str(info.value)
    with session_scope(engine) as session:  # the pool recovers by itself
        assert session.exec(text("SELECT 1")).scalar() == 1


def test_unreachable_postgres_is_store_unavailable_without_the_password() -> None:
    url = "postgresql://u:secret@127.0.0.1:1/x"
    with pytest.raises(StoreUnavailable) as info:
        get_engine(url)
    message = str(info.value)
    assert isinstance(info.value, ThiduaError)
    assert "secret" not in message
    assert "không kết nối được kho lưu trạng thái" in message
    assert "postgresql://u:***@127.0.0.1:1/x" in message
    assert url not in db._engines  # a later call tries again
    assert privacy_url(url) == "postgresql://u:***@127.0.0.1:1/x"


def test_migrations_ship_with_the_package_and_have_one_head() -> None:
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = package_data["tool"]["setuptools"]
    # The migrations are packages of their own; their template rides along as package data.
    assert {"thidua.store.migrations", "thidua.store.migrations.versions"} <= set(
        setuptools["packages"]
    )
    assert "*.mako" in setuptools["package-data"]["thidua.store.migrations"]
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [HEAD] == [db.head_revision()]
    assert Path(script.dir, "script.py.mako").is_file()


# --- campaigns and units -----------------------------------------------------------


def test_upsert_campaign_updates_fields_and_keeps_status(fresh_db: Engine) -> None:
    with session_scope(fresh_db) as session:
        add_campaign(session)
        created = campaign_rows.get_campaign(session, code=CODE)
        assert created is not None and created.status is CampaignStatus.ACTIVE
        campaign_rows.set_campaign_status(session, code=CODE, status="paused")
    with session_scope(fresh_db) as session:
        add_campaign(session, title="Tên mới", spec_hash="def")
        add_campaign(session, code="579/KH-SNgV")
    with session_scope(fresh_db) as session:
        record = campaign_rows.get_campaign(session, code=CODE)
        assert record is not None
        assert (record.title, record.spec_hash, record.status) == (
            "Tên mới",
            "def",
            CampaignStatus.PAUSED,
        )
        assert record.created_at <= record.updated_at
        assert [c.code for c in campaign_rows.list_campaigns(session)] == ["579/KH-SNgV", CODE]
        assert campaign_rows.get_campaign(session, code="nope") is None
        with pytest.raises(UnknownCampaign):
            campaign_rows.set_campaign_status(session, code="nope", status="paused")
        with pytest.raises(ValueError):
            campaign_rows.set_campaign_status(session, code=CODE, status="asleep")


def test_sync_units_upserts_units_and_replaces_members(fresh_db: Engine) -> None:
    units = [
        Unit(code="BTDKT", name="Ban Thi đua", kind="phong", contacts=("outbox://btdkt",)),
        Unit(
            code="SO-A",
            name="Sở A",
            kind="so_nganh",
            supervisor="UBND",
            headcount=20,
            contacts=("mailto://${SMTP_USER}:${SMTP_PASSWORD}@example.vn",),
        ),
        ("XA-1", "UBND xã Một", "xa", None, 10, ["outbox://xa-1"]),
        {"code": "XA-2", "name": "UBND xã Hai", "kind": "xa", "contacts": []},
    ]
    with session_scope(fresh_db) as session:
        add_campaign(session)
        campaign_rows.sync_units(
            session,
            campaign_code=CODE,
            units=units,
            participants=["SO-A", "XA-1"],
            organizer="BTDKT",
        )
    with session_scope(fresh_db) as session:
        campaign_rows.sync_units(
            session,
            campaign_code=CODE,
            units=[("XA-1", "UBND xã Một (mới)", "xa", "UBND", 11, [])],
            participants=["XA-1", "XA-2"],
            organizer="BTDKT",
        )
    with session_scope(fresh_db) as session:
        assert campaign_rows.campaign_units(session, campaign_code=CODE) == ["BTDKT", "XA-1", "XA-2"]
        assert campaign_rows.campaign_units(session, campaign_code=CODE, role=UnitRole.ORGANIZER) == [
            "BTDKT"
        ]
        so_a = session.get(UnitRecord, "SO-A")
        xa_1 = session.get(UnitRecord, "XA-1")
        assert so_a is not None and xa_1 is not None
        assert (so_a.kind, so_a.headcount, so_a.supervisor) == ("so_nganh", 20, "UBND")
        assert so_a.contacts == ["mailto://${SMTP_USER}:${SMTP_PASSWORD}@example.vn"]
        assert (xa_1.name, xa_1.headcount, xa_1.contacts) == ("UBND xã Một (mới)", 11, [])


def test_a_large_registry_is_synced_in_chunks(fresh_db: Engine) -> None:
    units = [
        (f"XA-{n:04d}", f"UBND xã {n}", "xa", "UBND", n, [f"outbox://xa-{n}"]) for n in range(1200)
    ]
    with session_scope(fresh_db) as session:
        add_campaign(session)
        records = campaign_rows.sync_units(
            session, campaign_code=CODE, units=units, participants=["XA-0001"], organizer="XA-0000"
        )
        assert [r.code for r in records] == [u[0] for u in units]
    renamed = [(code, f"{name} (mới)", *rest) for code, name, *rest in units]
    with session_scope(fresh_db) as session:
        campaign_rows.sync_units(
            session,
            campaign_code=CODE,
            units=renamed,
            participants=["XA-0001"],
            organizer="XA-0000",
        )
        last = session.get(UnitRecord, "XA-1199")
        assert last is not None and (last.name, last.headcount) == ("UBND xã 1199 (mới)", 1199)
        assert last.contacts == ["outbox://xa-1199"]
        assert session.exec(select(func.count()).select_from(UnitRecord)).one() == 1200


# --- actions -----------------------------------------------------------------------


def test_actions_are_saved_updated_ordered_and_counted(fresh_db: Engine) -> None:
    late = datetime(2026, 5, 22, 8, 0, tzinfo=HCM)
    early = datetime(2026, 5, 18, 8, 0, tzinfo=HCM)
    with session_scope(fresh_db) as session:
        add_campaign(session)
        campaign_rows.save_action(session, campaign_code=CODE, key="b", **action_fields("b", late))
        campaign_rows.save_action(session, campaign_code=CODE, key="a", **action_fields("a", late))
        first = campaign_rows.save_action(session, campaign_code=CODE, key="z", **action_fields("z", early))
        assert first.status is ActionStatus.PLANNED
        updated = campaign_rows.save_action(session, campaign_code=CODE, key="a", status="scheduled")
        assert updated.status is ActionStatus.SCHEDULED and updated.title == "Nhắc hạn nộp báo cáo"
        with pytest.raises(TypeError):
            campaign_rows.save_action(session, campaign_code=CODE, key="a", colour="red")
    with session_scope(fresh_db) as session:
        assert [a.key for a in campaign_rows.get_actions(session, campaign_code=CODE)] == ["z", "a", "b"]
        started = datetime(2026, 5, 22, 1, 0, 5, tzinfo=UTC)
        record = campaign_rows.set_action_status(
            session,
            campaign_code=CODE,
            key="a",
            status=ActionStatus.RUNNING,
            flow_run_id="8f1e",
            started_at=started,
            late_seconds=5,
        )
        assert (record.flow_run_id, record.started_at, record.late_seconds) == ("8f1e", started, 5)
        campaign_rows.set_action_status(session, campaign_code=CODE, key="a", status="failed", error="x")
        retry = campaign_rows.set_action_status(
            session, campaign_code=CODE, key="b", status="failed", error="y"
        )
        retry = campaign_rows.set_action_status(session, campaign_code=CODE, key="b", status="running")
        assert (retry.error, retry.flow_run_id) == (None, None)
        campaign_rows.set_action_status(session, campaign_code=CODE, key="b", status="done")
        with pytest.raises(LookupError):
            campaign_rows.set_action_status(session, campaign_code=CODE, key="nope", status="done")
    with session_scope(fresh_db) as session:
        a = campaign_rows.get_action(session, campaign_code=CODE, key="a")
        assert a is not None and (a.status, a.error, a.flow_run_id) == ("failed", "x", "8f1e")
        assert campaign_rows.action_counts(session, campaign_code=CODE) == {
            "planned": 1,
            "failed": 1,
            "done": 1,
        }
        assert campaign_rows.delete_action(session, campaign_code=CODE, key="z") is True
        assert campaign_rows.delete_action(session, campaign_code=CODE, key="z") is False
        assert campaign_rows.get_action(session, campaign_code=CODE, key="z") is None


def test_a_planned_action_is_stored_with_its_time_in_utc(fresh_db: Engine) -> None:
    action = Action(
        key="report/-/reminder/3d",
        campaign=CODE,
        milestone="report",
        occurrence="",
        kind=ActionKind.REMINDER,
        at=datetime(2026, 5, 22, 8, 0, tzinfo=HCM),
        title="Nhắc hạn nộp báo cáo (còn 3 ngày)",
        template="reminder",
        audience="participants",
        recipients=("SO-A", "SO-B"),
        due=date(2026, 5, 25),
    )
    with session_scope(fresh_db) as session:
        add_campaign(session)
        campaign_rows.save_action(session, campaign_code=CODE, key=action.key, **campaign_rows.action_fields(action))
    with session_scope(fresh_db) as session:
        (record,) = campaign_rows.get_actions(session, campaign_code=CODE)
    assert record.scheduled_at == action.at
    assert record.scheduled_at.tzinfo is UTC and record.scheduled_at.hour == 1
    assert (record.kind, record.recipients, record.run_name) == ("reminder", 2, action.run_name())


def test_aware_utc_datetimes_round_trip_on_sqlite(sqlite_db: Engine) -> None:
    at = datetime(2026, 12, 31, 23, 30, 15, 123456, tzinfo=HCM)
    with session_scope(sqlite_db) as session:
        add_campaign(session)
        campaign_rows.save_action(session, campaign_code=CODE, key="k", **action_fields("k", at))
    with sqlite_db.connect() as conn:
        raw = conn.exec_driver_sql("SELECT scheduled_at FROM actions").scalar()
    assert raw == "2026-12-31 16:30:15.123456"  # stored as UTC wall time
    with session_scope(sqlite_db) as session:
        record = campaign_rows.get_action(session, campaign_code=CODE, key="k")
        assert record is not None
        assert record.scheduled_at == at and record.scheduled_at.tzinfo is UTC
        assert record.updated_at.tzinfo is UTC
        campaign = campaign_rows.get_campaign(session, code=CODE)
        assert campaign is not None and campaign.created_at.tzinfo is UTC
    with pytest.raises(StatementError, match="timezone"), session_scope(sqlite_db) as session:
        campaign_rows.save_action(session, campaign_code=CODE, key="k", scheduled_at=datetime(2026, 1, 1))


# --- deliveries ---------------------------------------------------------------------


def test_a_sent_delivery_is_never_claimed_again(fresh_db: Engine) -> None:
    with Session(fresh_db) as session:
        first = deliveries.claim_delivery(session, **KEY, subject="Nhắc hạn")
        assert first is not None
        assert (first.status, first.attempts, first.subject) == ("pending", 1, "Nhắc hạn")
        deliveries.finish_delivery(session, delivery_id=first.id, status="sent")
    with Session(fresh_db) as session:
        assert deliveries.claim_delivery(session, **KEY) is None
        (delivery,) = deliveries.deliveries_for(session, campaign_code=CODE)
        assert delivery.status is DeliveryStatus.SENT and delivery.sent_at is not None
        assert delivery.attempts == 1


@pytest.mark.parametrize(
    ("ended", "again"),
    [("failed_transient", True), ("failed_permanent", False), ("skipped", False)],
)
def test_only_transient_failures_are_retried(fresh_db: Engine, ended: str, again: bool) -> None:
    with Session(fresh_db) as session:
        first = deliveries.claim_delivery(session, **KEY)
        assert first is not None
        done = deliveries.finish_delivery(session, delivery_id=first.id, status=ended, error="535")
        assert (done.status, done.error, done.sent_at) == (ended, "535", None)
        retry = deliveries.claim_delivery(session, **KEY)
        assert (retry is not None) is again
        if retry is not None:
            assert (retry.id, retry.status, retry.attempts) == (first.id, "pending", 2)


def test_a_pending_delivery_is_reclaimed_only_after_its_lease(fresh_db: Engine) -> None:
    with Session(fresh_db) as session:
        first = deliveries.claim_delivery(session, **KEY)
        assert first is not None
        # Someone else is sending it right now.
        assert deliveries.claim_delivery(session, **KEY) is None
        # Its sender crashed long ago: the message in flight is repeated, once per claim.
        again = deliveries.claim_delivery(session, **KEY, lease=timedelta(0))
        assert again is not None and (again.id, again.attempts) == (first.id, 2)
        assert deliveries.claim_delivery(session, **KEY) is None
        deliveries.finish_delivery(session, delivery_id=again.id, status=DeliveryStatus.SENT)
        assert deliveries.claim_delivery(session, **KEY, lease=timedelta(0)) is None


def test_concurrent_claims_have_exactly_one_winner(fresh_db: Engine) -> None:
    workers = 8
    barrier = threading.Barrier(workers)

    def claim(_: int) -> int | None:
        with Session(fresh_db, expire_on_commit=False) as session:
            barrier.wait()
            delivery = deliveries.claim_delivery(session, **KEY)
            return None if delivery is None else delivery.id

    with ThreadPoolExecutor(workers) as pool:
        won = [r for r in pool.map(claim, range(workers)) if r is not None]
    assert len(won) == 1
    with Session(fresh_db) as session:
        (delivery,) = deliveries.deliveries_for(session, campaign_code=CODE, action_key=KEY["action_key"])
        assert (delivery.id, delivery.status, delivery.attempts) == (won[0], "pending", 1)


def test_deliveries_are_listed_per_campaign_and_action(fresh_db: Engine) -> None:
    with Session(fresh_db) as session:
        deliveries.claim_delivery(session, **KEY)
        deliveries.claim_delivery(session, **{**KEY, "channel": "1-tgram"})
        deliveries.claim_delivery(session, **{**KEY, "action_key": "launch/-/launch"})
        deliveries.claim_delivery(session, **{**KEY, "campaign_code": "579/KH-SNgV"})
        assert len(deliveries.deliveries_for(session, campaign_code=CODE)) == 3
        listed = deliveries.deliveries_for(session, campaign_code=CODE, action_key=KEY["action_key"])
        assert [d.channel for d in listed] == ["0-mailto", "1-tgram"]
        with pytest.raises(LookupError):
            deliveries.finish_delivery(session, delivery_id=999, status="sent")
        with pytest.raises(ValueError):
            deliveries.finish_delivery(session, delivery_id=listed[0].id, status="delivered")


# --- submissions and outbox ---------------------------------------------------------


def test_submissions_are_recorded_once_per_unit(fresh_db: Engine) -> None:
    at = datetime(2026, 5, 20, 9, 0, tzinfo=HCM)
    where = {"campaign_code": CODE, "milestone": "report", "occurrence": "2026"}
    with session_scope(fresh_db) as session:
        submission_rows.record_submission(session, **where, unit_code="SO-A", submitted_at=at)
        submission_rows.record_submission(
            session, **where, unit_code="XA-1", submitted_at=at, timing="on_time"
        )
        submission_rows.record_submission(
            session, **{**where, "occurrence": "2027"}, unit_code="SO-B", submitted_at=at
        )
    with session_scope(fresh_db) as session:
        again = submission_rows.record_submission(
            session,
            **where,
            unit_code="XA-1",
            submitted_at=at + timedelta(days=7),
            timing="late",
            note="nộp bổ sung",
            figures={"sang-kien": {"value": 12, "base": 40}},
        )
        assert again.figures == {"sang-kien": {"value": 12, "base": 40}}
        assert (again.on_time, again.note, again.submitted_at) == (
            False,
            "nộp bổ sung",
            at + timedelta(days=7),
        )
        assert submission_rows.submitted_units(session, **where) == {"SO-A", "XA-1"}
        assert submission_rows.submitted_units(session, **{**where, "occurrence": "2028"}) == set()


def test_outbox_keeps_messages_in_order(fresh_db: Engine) -> None:
    with session_scope(fresh_db) as session:
        outbox_rows.add_outbox_message(
            session, mailbox="so-a", subject="Phát động", body_text="Kính gửi…", campaign_code=CODE
        )
        outbox_rows.add_outbox_message(
            session,
            mailbox="xa-1",
            subject="Nhắc hạn",
            body_text="…",
            body_html="<p>…</p>",
            unit_code="XA-1",
            campaign_code=CODE,
            action_key="report/-/reminder/3d",
        )
        outbox_rows.add_outbox_message(session, mailbox="so-a", subject="Khác", body_text="…")
    with session_scope(fresh_db) as session:
        assert [m.subject for m in outbox_rows.outbox_messages(session)] == [
            "Phát động",
            "Nhắc hạn",
            "Khác",
        ]
        assert [m.subject for m in outbox_rows.outbox_messages(session, mailbox="so-a")] == [
            "Phát động",
            "Khác",
        ]
        (only,) = outbox_rows.outbox_messages(session, mailbox="xa-1", campaign_code=CODE)
        assert only.body_html == "<p>…</p>" and only.created_at.tzinfo is UTC
