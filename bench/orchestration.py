"""Orchestration overhead: `thidua simulate` (Prefect) against the same work without Prefect.

The largest seed campaign (641/KH-UBND, 19 actions) with a registry of 100 units
(~1,300 messages into the outbox), each side in a fresh process with its own store:

- `thidua simulate`: every action through the real flow (`flows/action.py`) and its
  tasks on the simulation's private Prefect API;
- bare: the same product work as the flow, as plain function calls: the task
  functions (`task.fn`: load, launch check, gate, audience, render, deliver,
  record, failure report) and the library behind the tasks that also publish to
  Prefect (the board, quotas, the sơ kết / tổng kết report), without the artifacts
  and run labels that exist only in Prefect.

Issue 15, target 4: `simulate_ratio` ≤ 1.5, `simulate_s` ≤ 12, `bare_ms_per_message`
(the bare send path: the action loop, without interpreter start and imports) ≤ 3.
Deploying at scale is `bench/deploy_scale.py`'s.

    .venv/bin/python bench/orchestration.py [--units 100]

Last line: one JSON object with the figures and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SEED = ROOT / "campaigns" / "ubnd_641_kh_2026_100_ngay_dem.py"
THIDUA = str(Path(sys.executable).with_name("thidua"))


def registry_of(units: int) -> str:
    """A registry with `units` units split over the groups seed 641 targets."""
    lines = [
        "groups:",
        "  - {code: SO-BAN-NGANH, name: Sở ban ngành, kind: nhom}",
        "  - {code: XA-PHUONG, name: Xã phường, kind: nhom}",
        "units:",
        "  - {code: UBND-TINH, name: UBND tỉnh, kind: co_quan_tinh, contacts: ['outbox://ubnd-tinh']}",
        "  - {code: VP-UBND, name: Văn phòng UBND tỉnh, kind: so_nganh, supervisor: UBND-TINH,"
        " contacts: ['outbox://vp-ubnd']}",
    ]
    for i in range(units):
        group, kind = ("SO-BAN-NGANH", "so_nganh") if i % 4 == 0 else ("XA-PHUONG", "xa")
        lines.append(
            f"  - {{code: U{i:03d}, name: Đơn vị {i:03d}, kind: {kind}, groups: [{group}],"
            f" supervisor: UBND-TINH, contacts: ['outbox://u{i:03d}']}}"
        )
    return "\n".join(lines) + "\n"


def campaign_copy(folder: Path) -> Path:
    text = SEED.read_text(encoding="utf-8").replace(
        'organizer="VP-UBND",', 'organizer="VP-UBND",\n    registry="units.yaml",'
    )
    path = folder / "641.py"
    path.write_text(text, encoding="utf-8")
    return path


DIRECT = textwrap.dedent(
    """
    import json
    import sys
    import time
    start = time.perf_counter()
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from thidua.tasks.actions import (load_action, open_gate, resolve_audience,
                                      render_messages, deliver, record_outcome)
    from thidua.tasks.alerts import report_failures
    from thidua.tasks.launch import launch_sent_by
    from thidua.board.build import build_board
    from thidua.board.read import read_rows
    from thidua.campaign.kinds import MilestoneKind
    from thidua.campaign.loading import load_campaign
    from thidua.campaign.plan import ActionKind, compile_plan
    from thidua.config import get_settings
    from thidua.dates.sendtime import late_reason
    from thidua.documents.period import ReportKind, occurrence_period
    from thidua.documents.report_files import make_report, write_report_files
    from thidua.ledger.quotas import recheck
    from thidua.store import campaign_rows
    from thidua.store.db import session_scope

    REPORTS = {{MilestoneKind.REVIEW: ReportKind.REVIEW, MilestoneKind.SUMMARY: ReportKind.SUMMARY}}
    file = {file!r}
    settings = get_settings()
    loaded = load_campaign(Path(file))
    plan = compile_plan(loaded.spec, loaded.registry, notice_time=settings.notice_time)
    with session_scope() as s:
        campaign_rows.upsert_campaign(s, code=loaded.code, title="t", file=file,
                                      organizer="VP-UBND", spec_hash="x",
                                      period_start=loaded.spec.period.start,
                                      period_end=loaded.spec.period.end)
        for a in plan.actions:
            campaign_rows.save_action(s, campaign_code=loaded.code, key=a.key,
                                      **campaign_rows.action_fields(a), status="scheduled")
    ready = time.perf_counter()
    sent = 0
    send_s = 0.0  # the send path alone: load, gate, audience, render, deliver, record
    for a in plan.actions:
        t0 = time.perf_counter()
        ctx = load_action.fn(file, a.key)
        launch_sent_by.fn(ctx, now=a.at)
        if open_gate.fn(ctx, flow_run_id=None, scheduled_for=a.at, now=a.at):
            continue
        audience = resolve_audience.fn(ctx)
        messages = render_messages.fn(ctx, audience, a.at, late_reason(a.at))
        outcomes = deliver.fn(ctx, messages)
        record_outcome.fn(ctx, outcomes, now=a.at)
        send_s += time.perf_counter() - t0
        sent += sum(o.status == "sent" for o in outcomes)
        report_failures.fn(ctx.loaded, ctx.action, outcomes)
        milestone = loaded.spec.milestone(a.milestone)
        if milestone.kind is MilestoneKind.NOMINATION and a.kind is ActionKind.OVERDUE:
            with session_scope() as s:
                recheck(s, loaded)
        kind = REPORTS.get(milestone.kind)
        if a.kind is ActionKind.COMPILE and kind is not None:
            occ = next(o for o in plan.occurrences
                       if o.milestone.key == a.milestone and o.key == a.occurrence)
            report, _ = make_report(loaded.spec, loaded.registry, kind=kind,
                                    today=a.at.date(), period=occurrence_period(occ))
            write_report_files(report, settings.data_dir / "reports")
        with session_scope() as s:
            rows = read_rows(s, code=loaded.code)
        build_board(rows, plan, loaded.registry, now=a.at, timezone=settings.timezone).table_rows()
    end = time.perf_counter()
    print(json.dumps({{"sent": sent, "loop_s": end - ready, "send_s": send_s,
                      "setup_s": ready - start}}))
    """
)


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if result.returncode:
        sys.exit(f"{' '.join(cmd[:3])} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return time.perf_counter() - start, result.stdout


def base_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "THIDUA_"))}
    env.update(
        THIDUA_DATA_DIR=str(data_dir),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PYDANTIC_DISABLE_PLUGINS="__all__",
    )
    return env


def bench_simulate(work: Path, units: int) -> dict[str, float]:
    folder = work / "campaign"
    folder.mkdir()
    (folder / "units.yaml").write_text(registry_of(units), encoding="utf-8")
    file = campaign_copy(folder)
    direct_code = DIRECT.format(root=str(ROOT), file=str(file))
    # The first simulation on a machine also creates and migrates the simulation's
    # private Prefect database (kept for the next ones); the bare side gets the same
    # warm-up (file caches, bytecode) so both are compared warm. The two sides then
    # alternate, so that a change of the machine's load hits both alike.
    cold_s, _ = timed([THIDUA, "simulate", str(file)], base_env(work / "sim"))
    timed([sys.executable, "-c", direct_code], base_env(work / "bare-warmup"))
    prefect_runs: list[float] = []
    bare_runs: list[tuple[float, dict[str, float]]] = []
    out = ""
    for i in range(2):
        seconds, out = timed([THIDUA, "simulate", str(file)], base_env(work / "sim"))
        prefect_runs.append(seconds)
        seconds, printed = timed([sys.executable, "-c", direct_code], base_env(work / f"bare{i}"))
        bare_runs.append((seconds, json.loads(printed.splitlines()[-1])))
    messages = sum(int(m.group(1)) for m in re.finditer(r"\(gửi (\d+),", out))
    prefect_s = min(prefect_runs)
    bare_s, bare = min(bare_runs, key=lambda r: r[0])
    if int(bare["sent"]) != messages:
        sys.exit(f"the two sides sent differently: simulate {messages}, bare {bare['sent']}")
    per_message = bare["send_s"] / messages * 1000
    print(f"simulate 641/KH-UBND, {units} units: {messages} messages")
    print(f"  thidua simulate, first on this machine  {cold_s:7.2f} s")
    print(
        f"  thidua simulate (Prefect)               {prefect_s:7.2f} s   (runs: "
        f"{', '.join(f'{r:.2f}' for r in prefect_runs)})"
    )
    print(
        f"  bare functions, whole process           {bare_s:7.2f} s   (runs: "
        f"{', '.join(f'{r:.2f}' for r, _ in bare_runs)})"
    )
    print(f"    of which the action loop              {bare['loop_s']:7.2f} s")
    print(
        f"    of which the send path                {bare['send_s']:7.2f} s   "
        f"({per_message:.2f} ms per message)"
    )
    print(f"  ratio                                   {prefect_s / bare_s:7.2f}")
    return {
        "simulate_first_s": cold_s,
        "simulate_s": prefect_s,
        "bare_s": bare_s,
        "bare_loop_s": bare["loop_s"],
        "bare_send_s": bare["send_s"],
        "messages": messages,
        "bare_ms_per_message": per_message,
        "bare_process_ms_per_message": bare_s / messages * 1000,
    }


def load_average() -> float:
    return os.getloadavg()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100)
    args = parser.parse_args()
    load_before = load_average()
    with tempfile.TemporaryDirectory() as tmp:
        sim = bench_simulate(Path(tmp), args.units)
    summary = {k: round(v, 3) for k, v in sim.items()}
    summary["simulate_ratio"] = round(sim["simulate_s"] / sim["bare_s"], 2)
    summary["load_1min"] = [round(load_before, 2), round(load_average(), 2)]
    summary["cores"] = os.cpu_count()
    summary["targets"] = {"simulate_ratio": 1.5, "simulate_s": 12, "bare_ms_per_message": 3}
    summary["ok"] = (
        summary["simulate_ratio"] <= 1.5
        and sim["simulate_s"] <= 12
        and sim["bare_ms_per_message"] <= 3
    )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
