"""`thidua status` on a store of 100 campaigns × 1,000 units: target under 1 s.

The bench generates a registry of 1,000 units and 100 campaign files (a launch, four
report milestones with reminders and an escalation, an award with a quota; most of
the year already past), compiles their plans, and fills a fresh store in bulk with
SQLAlchemy core as a year of running would have left it: campaigns, units,
campaign_units, actions (past ones done), one delivery per recipient of each done
action (~1 M rows), and submissions (most units, some late, the rest missing).

Then, for one campaign in the middle:
- `thidua status CODE` as a subprocess, output piped (what an admin waits for,
  imports included), and `--format json`: median of 5 runs after a warm-up;
- in process: `read_rows` + `build_board`, and the rendering into a file;
- baselines: `python -c "import sqlmodel"` as a subprocess (the import floor of any
  command that reads the store) and a raw SQL count of the campaign's deliveries.
When the command takes 1 s or more, it is run under cProfile and the top costs are
printed.

    .venv/bin/python bench/status_scale.py [--campaigns 100] [--units 1000] [--pg]

With --pg the store is a fresh PostgreSQL database on 127.0.0.1:5432 (dropped at the
end). Last line: one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
THIDUA = str(Path(sys.executable).with_name("thidua"))
TARGET_S = 1.0
NOW = datetime(2026, 11, 21, 3, tzinfo=UTC)  # fixed, so every run builds the same store

CAMPAIGN = """\
from thidua import Award, Campaign, Escalation, Milestone, Participants, Quota

campaign = Campaign(
    code="{code}",
    title="Phong trào thi đua đo hiệu năng bảng theo dõi số {i}",
    issuer="Ủy ban nhân dân tỉnh Cao Bằng",
    issued="ngày 05/01/2026",
    period="năm 2026",
    organizer="BTDKT",
    registry={registry!r},
    participants=Participants(groups=["XA-PHUONG"]),
    awards=[Award(name="Giấy khen của Chủ tịch UBND tỉnh", quota=Quota(per_unit=1))],
    milestones=[
        Milestone(kind="phát động", when="ngày 05/01/2026"),
        Milestone(kind="kế hoạch triển khai", when="chậm nhất ngày 27/02/2026", reminders=[3]),
        Milestone(kind="sơ kết", title="Gửi báo cáo sơ kết 6 tháng",
                  when="chậm nhất ngày 15/6/2026", reminders=[3],
                  escalation=Escalation(after="3 ngày làm việc", to="supervisor")),
        Milestone(kind="báo cáo", id="quy-3", title="Gửi báo cáo quý III",
                  when="chậm nhất ngày 15/10/2026", reminders=[3]),
        Milestone(kind="tổng kết", title="Gửi báo cáo tổng kết năm 2026",
                  when="chậm nhất ngày 15/12/2026", reminders=[3]),
    ],
)
"""


# --- generating the campaigns and the store -----------------------------------------


def write_files(
    folder: Path, campaigns: int, units: int, template: Callable[[int], str] | None = None
) -> list[Path]:
    """The registry and the campaign files; returns the campaign files.

    `template(i)` gives campaign i's source with {code}, {i} and {registry} to fill
    (default: `CAMPAIGN` for every campaign); `bench/portal_pages.py` varies it."""
    folder.mkdir(parents=True)
    lines = [
        "groups:",
        "  - {code: XA-PHUONG, name: Xã phường, kind: nhom}",
        "units:",
        "  - {code: UBND, name: UBND tỉnh, kind: co_quan_tinh, contacts: ['outbox://ubnd']}",
        "  - {code: BTDKT, name: Ban Thi đua - Khen thưởng, kind: phong, supervisor: UBND,"
        " contacts: ['outbox://btdkt']}",
    ]
    for i in range(units):
        lines.append(
            f"  - {{code: XA{i:04d}, name: UBND xã Số {i:04d}, kind: xa, groups: [XA-PHUONG],"
            f" supervisor: UBND, contacts: ['outbox://xa{i:04d}']}}"
        )
    registry = folder / "units.yaml"
    registry.write_text("\n".join(lines) + "\n", encoding="utf-8")
    files = []
    for i in range(campaigns):
        path = folder / f"c{i:03d}.py"
        source = template(i) if template is not None else CAMPAIGN
        text = source.format(code=f"{i + 1}/KH-BENCH", i=i + 1, registry=str(registry))
        path.write_text(text, encoding="utf-8")
        files.append(path)
    return files


def fill_store(url: str, files: list[Path]) -> dict[str, int]:
    """Bulk-insert a year of state for every campaign; returns the row counts."""
    from sqlalchemy import insert

    from thidua.campaign.kinds import Requirement
    from thidua.campaign.loading import load_campaign
    from thidua.campaign.plan import compile_plan
    from thidua.store.db import get_engine
    from thidua.store.models import (
        ActionRecord,
        CampaignRecord,
        CampaignUnit,
        Delivery,
        Submission,
        UnitRecord,
    )

    rng = random.Random(6)
    engine = get_engine(url)  # migrated to the newest schema
    counts = dict.fromkeys(["campaigns", "units", "campaign_units", "actions"], 0)
    counts.update(deliveries=0, submissions=0)
    registry_done = False
    with engine.begin() as conn:
        for path in files:
            loaded = load_campaign(path)
            spec, reg = loaded.spec, loaded.registry
            plan = compile_plan(spec, reg)
            if not registry_done:
                rows = [
                    {
                        "code": u.code,
                        "name": u.name,
                        "kind": str(u.kind),
                        "supervisor": u.supervisor,
                        "contacts": [str(c) for c in u.contacts],
                        "updated_at": NOW,
                    }
                    for u in reg
                ]
                conn.execute(insert(UnitRecord), rows)
                counts["units"] = len(rows)
                registry_done = True
            conn.execute(
                insert(CampaignRecord),
                [
                    {
                        "code": spec.code,
                        "title": spec.title,
                        "file": str(path),
                        "organizer": spec.organizer,
                        "status": "active",
                        "spec_hash": "bench",
                        "period_start": spec.period.start,
                        "period_end": spec.period.end,
                        "created_at": NOW,
                        "updated_at": NOW,
                    }
                ],
            )
            members = [
                {"campaign_code": spec.code, "unit_code": c, "role": "participant"}
                for c in plan.participants
            ]
            members.append(
                {"campaign_code": spec.code, "unit_code": spec.organizer, "role": "organizer"}
            )
            conn.execute(insert(CampaignUnit), members)
            actions, deliveries = [], []
            for a in plan.actions:
                done = a.at < NOW
                actions.append(
                    {
                        "campaign_code": spec.code,
                        "key": a.key,
                        "milestone": a.milestone,
                        "occurrence": a.occurrence,
                        "kind": str(a.kind.value),
                        "title": a.title,
                        "run_name": a.run_name(),
                        "scheduled_at": a.at,
                        "due": a.due,
                        "recipients": len(a.recipients),
                        "status": "done" if done else "scheduled",
                        "flow_run_id": str(uuid.uuid4()),
                        "started_at": a.at if done else None,
                        "finished_at": a.at + timedelta(seconds=40) if done else None,
                        "updated_at": NOW,
                    }
                )
                if not done:
                    continue
                for code in a.recipients:
                    failed = rng.random() < 0.005
                    deliveries.append(
                        {
                            "campaign_code": spec.code,
                            "action_key": a.key,
                            "occurrence": a.occurrence,
                            "unit_code": code,
                            "channel": "0-outbox",
                            "status": "failed_permanent" if failed else "sent",
                            "error": "Lỗi vĩnh viễn: 550 hộp thư không tồn tại" if failed else None,
                            "subject": a.title,
                            "created_at": a.at,
                            "updated_at": a.at,
                            "sent_at": None if failed else a.at + timedelta(seconds=5),
                        }
                    )
            conn.execute(insert(ActionRecord), actions)
            for start in range(0, len(deliveries), 20_000):
                conn.execute(insert(Delivery), deliveries[start : start + 20_000])
            submissions = []
            for occ in plan.occurrences:
                m = occ.milestone
                if occ.due >= NOW.date() or m.requirement is Requirement.NONE:
                    continue
                for code in plan.participants:
                    roll = rng.random()
                    if roll < 0.1:
                        continue  # missing
                    late = roll < 0.2
                    day = occ.due + timedelta(
                        days=rng.randint(1, 9) if late else -rng.randint(0, 6)
                    )
                    submissions.append(
                        {
                            "campaign_code": spec.code,
                            "milestone": m.key,
                            "occurrence": occ.key,
                            "unit_code": code,
                            "submitted_at": datetime.combine(day, datetime.min.time(), UTC),
                            "timing": "late" if late else "on_time",
                            "requirement": m.requirement.value,
                            "files": [],
                            "figures": {},
                            "source": "import",
                            "recorded_at": NOW,
                        }
                    )
            if submissions:
                conn.execute(insert(Submission), submissions)
            counts["campaigns"] += 1
            counts["campaign_units"] += len(members)
            counts["actions"] += len(actions)
            counts["deliveries"] += len(deliveries)
            counts["submissions"] += len(submissions)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
    return counts


# --- timing -------------------------------------------------------------------------------


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, int]:
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, check=False)
    seconds = time.perf_counter() - start
    if out.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr.decode()[-3000:]}")
    return seconds, len(out.stdout)


def in_process(url: str, code: str, repeat: int) -> dict[str, float]:
    """read_rows, build_board and the table rendering, timed in this process (warm)."""
    from sqlalchemy import text

    from thidua.board.build import build_board
    from thidua.board.read import read_rows
    from thidua.board.view import make_console, render_board
    from thidua.campaign.lookup import find_campaign
    from thidua.campaign.plan import compile_plan
    from thidua.config import get_settings
    from thidua.store.db import get_engine, session_scope

    engine = get_engine(url)
    samples: dict[str, list[float]] = {"load_plan": [], "read_rows": [], "build_board": []}
    samples.update(render=[], raw_count=[])
    for _ in range(repeat):
        t0 = time.perf_counter()
        loaded = find_campaign(code)
        plan = compile_plan(loaded.spec, loaded.registry, notice_time=get_settings().notice_time)
        t1 = time.perf_counter()
        with session_scope(engine) as session:
            rows = read_rows(session, code=code)
        t2 = time.perf_counter()
        board = build_board(rows, plan, loaded.registry, now=NOW, timezone="Asia/Ho_Chi_Minh")
        t3 = time.perf_counter()
        render_board(board, make_console(file=io.StringIO(), width=160))
        t4 = time.perf_counter()
        with engine.connect() as conn:
            conn.execute(
                text("SELECT count(*) FROM deliveries WHERE campaign_code = :c"), {"c": code}
            ).scalar_one()
        t5 = time.perf_counter()
        for name, s in zip(samples, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4), strict=True):
            samples[name].append(s)
    return {name: statistics.median(xs) for name, xs in samples.items()}


STAGES = r"""
import sys, time
t = [time.perf_counter()]
mark = lambda: t.append(time.perf_counter())
from thidua.cli.main import build_parser; mark()
from thidua.store import campaign_rows; from thidua.store.db import get_engine, session_scope; mark()
from thidua.board.build import build_board; from thidua.board.read import read_rows
from thidua.board.view import make_console, render_board
from thidua.board.query import campaign_plan; mark()
build_parser(); mark()
get_engine(); mark()
with session_scope() as s: campaign_rows.get_campaign(s, code=sys.argv[1])
mark()
plan, registry, _ = campaign_plan(sys.argv[1]); mark()
from datetime import UTC, datetime
with session_scope() as s: rows = read_rows(s, code=sys.argv[1])
mark()
board = build_board(rows, plan, registry, now=datetime.now(UTC), timezone="Asia/Ho_Chi_Minh"); mark()
import os
with open(os.devnull, "w") as out: render_board(board, make_console(file=out)); mark()
names = ["import cli (parser modules)", "import campaign_rows, db (sqlalchemy, sqlmodel, models)",
         "import board, status", "build the argument parser (thidua.flows.commands)",
         "get_engine (alembic: migrated?)", "campaign lookup", "load campaign + compile plan",
         "read_rows", "build_board", "render (piped)"]
print("\n".join(f"{(b - a) * 1000:7.0f} ms  {n}" for n, a, b in zip(names, t, t[1:])))
"""


def stages(env: dict[str, str], cwd: Path, code: str) -> list[str]:
    """Wall time of each stage of `thidua status` in a fresh process (median of 3 runs)."""
    runs = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", STAGES, code], env=env, cwd=cwd, capture_output=True, text=True
        )
        if out.returncode:
            sys.exit(out.stderr[-3000:])
        runs.append(out.stdout.splitlines())
    lines = []
    for parts in zip(*runs, strict=True):
        ms = statistics.median(float(p.split()[0]) for p in parts)
        lines.append(f"{ms:7.0f} ms  {parts[0].split('ms  ', 1)[1]}")
    return lines


def profile(env: dict[str, str], cwd: Path, code: str, out: Path) -> list[str]:
    """The top costs of one `thidua status` process, imports included."""
    import pstats

    cmd = [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "thidua", "status", code]
    subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, check=True)
    lines = []
    for order in ("cumulative", "tottime"):
        buffer = io.StringIO()
        pstats.Stats(str(out), stream=buffer).sort_stats(order).print_stats(18)
        text = buffer.getvalue()
        lines.append(f"--- by {order}")
        lines += [line for line in text.splitlines() if line.strip()][4:]
    return lines


def pg_database() -> tuple[str, Any]:
    """A fresh PostgreSQL database and a function that drops it."""
    import psycopg2

    name = f"bench_status_{uuid.uuid4().hex[:10]}"

    def admin() -> Any:
        conn = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
        conn.autocommit = True
        return conn

    conn = admin()
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()

    def drop() -> None:
        from thidua.store.db import reset_engines

        reset_engines()
        conn = admin()
        with conn.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.close()

    return f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}", drop


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--campaigns", type=int, default=100)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pg", action="store_true", help="the store on PostgreSQL")
    parser.add_argument("--profile", action="store_true", help="cProfile even under 1 s")
    args = parser.parse_args()

    drop = None
    with tempfile.TemporaryDirectory(prefix="status-scale-") as tmp:
        work = Path(tmp)
        data_dir = work / "data"
        url = f"sqlite:///{data_dir / 'thidua.store.db'}"
        if args.pg:
            url, drop = pg_database()
        try:
            return run(args, work, data_dir, url)
        finally:
            if drop is not None:
                drop()


def run(args: argparse.Namespace, work: Path, data_dir: Path, url: str) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "THIDUA_"))}
    env.update(THIDUA_DATA_DIR=str(data_dir), PYDANTIC_DISABLE_PLUGINS="__all__")
    os.environ["THIDUA_DATA_DIR"] = str(data_dir)
    if args.pg:
        env["THIDUA_DATABASE_URL"] = os.environ["THIDUA_DATABASE_URL"] = url
    from thidua.config import set_settings

    set_settings(None)
    files = write_files(work / "campaigns", args.campaigns, args.units)
    start = time.perf_counter()
    counts = fill_store(url, files)
    fill_s = time.perf_counter() - start
    print(
        f"store ({'PostgreSQL' if args.pg else 'SQLite'}) filled in {fill_s:.1f} s: "
        + ", ".join(f"{v:,} {k}" for k, v in counts.items())
    )
    code = f"{args.campaigns // 2}/KH-BENCH"
    cwd = work  # an admin's project folder: no thidua.toml of ours
    status = [THIDUA, "status", code]
    commands = {
        "baseline_import_sqlmodel": [sys.executable, "-c", "import sqlmodel"],
        "status_table": status,
        "status_json": [*status, "--format", "json"],
    }
    for cmd in commands.values():  # warm-up: compiled sources, registry caches, page cache
        timed(cmd, env, cwd)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    sizes: dict[str, int] = {}
    for _ in range(args.runs):  # interleaved, so a busy moment weighs on all alike
        for name, cmd in commands.items():
            seconds, sizes[name] = timed(cmd, env, cwd)
            samples[name].append(seconds)
    median = {name: statistics.median(xs) for name, xs in samples.items()}
    inner = in_process(url, code, args.runs)

    base = median["baseline_import_sqlmodel"]
    print(f"baseline  python -c 'import sqlmodel'      {base * 1000:7.0f} ms")
    for name in ("status_table", "status_json"):
        print(
            f"thidua status {code} ({name[7:]:5s})       {median[name] * 1000:7.0f} ms"
            f"  ratio {median[name] / base:4.2f}  ({sizes[name]:,} bytes of output)"
        )
    print(
        "in process: "
        + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in inner.items())
        + f"  (raw count is the SQL floor of reading the {counts['deliveries']:,} deliveries' table)"
    )
    worst = max(median["status_table"], median["status_json"])
    top, steps = None, None
    if worst >= TARGET_S or args.profile:
        steps = stages(env, cwd, code)
        print("stages of `thidua status` in a fresh process, wall time (median of 3):")
        print("\n".join("  " + line for line in steps))
        top = profile(env, cwd, code, work / "status.prof")
        print("cProfile of `thidua status` (imports included; the profiler inflates imports):")
        print("\n".join("  " + line[:150] for line in top))
    summary: dict[str, Any] = {
        "store": "postgresql" if args.pg else "sqlite",
        "rows": counts,
        "fill_s": round(fill_s, 1),
        "status_table_s": round(median["status_table"], 3),
        "status_json_s": round(median["status_json"], 3),
        "baseline_import_sqlmodel_s": round(base, 3),
        "ratio_to_import_sqlmodel": round(median["status_table"] / base, 2),
        "in_process_ms": {k: round(v * 1000, 1) for k, v in inner.items()},
        "target_s": TARGET_S,
        "runs": args.runs,
    }
    # Two cores shared with other work make every figure slower: say how busy it was.
    summary["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
    summary["ok"] = worst < TARGET_S
    if steps:
        summary["stages_ms"] = {line.split("ms  ", 1)[1]: float(line.split()[0]) for line in steps}
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
