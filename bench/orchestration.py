"""Orchestration overhead: Prefect versus calling the same task functions directly.

1. The largest seed campaign (641/KH-UBND, 19 actions) with a registry of 100 units:
   `thidua simulate` (flows and tasks on a temporary Prefect API, 1,900 messages into
   the outbox) against a plain loop over the same task functions (`task.fn`), each in
   a fresh process with its own store. Target: ratio ≤ 3 and simulate under 60 s.
2. Deploying 100 campaigns (copies of the live 2027 example, 22 runs each) to a local
   Prefect server: seconds per campaign.

    .venv/bin/python bench/orchestration.py [--campaigns 100]

Last line: one JSON object with the figures and ratios.
"""

from __future__ import annotations

import argparse
import json
import os
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
    import sys
    from datetime import UTC, datetime
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from thidua.tasks.actions import (load_action, open_gate, resolve_audience, render_messages,
                               deliver, record_outcome)
    from thidua.store import campaign_rows
    from thidua.campaign.loading import load_campaign
    from thidua.store.db import session_scope
    from thidua.campaign.plan import compile_plan

    file = {file!r}
    loaded = load_campaign(Path(file))
    plan = compile_plan(loaded.spec, loaded.registry)
    with session_scope() as s:
        campaign_rows.upsert_campaign(s, code=loaded.code, title="t", file=file, organizer="VP-UBND",
                             spec_hash="x", period_start=loaded.spec.period.start,
                             period_end=loaded.spec.period.end)
        for a in plan.actions:
            campaign_rows.save_action(s, campaign_code=loaded.code, key=a.key, **campaign_rows.action_fields(a),
                             status="scheduled")
    sent = 0
    for a in plan.actions:
        ctx = load_action.fn(file, a.key)
        open_gate.fn(ctx, flow_run_id=None, scheduled_for=a.at, now=a.at)
        audience = resolve_audience.fn(ctx)
        messages = render_messages.fn(ctx, audience, a.at)
        outcomes = deliver.fn(ctx, messages)
        record_outcome.fn(ctx, outcomes, now=a.at)
        sent += sum(o.status == "sent" for o in outcomes)
    print(sent)
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
    # Twice each: the first simulation on a machine also creates and migrates the
    # simulation's private Prefect database (kept for the next ones); the direct run
    # gets the same warm-up so both sides are compared warm.
    cold_s, _ = timed([THIDUA, "simulate", str(file)], base_env(work / "sim"))
    prefect_s, out = timed([THIDUA, "simulate", str(file)], base_env(work / "sim"))
    messages = sum(
        int(line.rsplit("→ ", 1)[1].split()[0]) for line in out.splitlines() if "→ " in line
    )
    timed([sys.executable, "-c", direct_code], base_env(work / "direct-warmup"))
    direct_s, sent = timed([sys.executable, "-c", direct_code], base_env(work / "direct"))
    print(f"simulate 641/KH-UBND, {units} units: {messages} messages")
    print(f"  thidua simulate, first on this machine  {cold_s:7.2f} s")
    print(f"  thidua simulate (Prefect)               {prefect_s:7.2f} s")
    print(f"  task functions, no Prefect              {direct_s:7.2f} s   ({int(sent)} messages)")
    print(f"  ratio                                   {prefect_s / direct_s:7.2f}")
    return {
        "simulate_first_s": cold_s,
        "simulate_s": prefect_s,
        "direct_s": direct_s,
        "messages": messages,
    }


def bench_deploy(work: Path, campaigns: int) -> dict[str, float]:
    import asyncio

    from thidua.flows.commands import _deploy_all
    from thidua.flows.server import LocalServer, configure_prefect

    from thidua.campaign.loading import load_campaign
    from thidua.config import Settings, set_settings

    folder = work / "many"
    folder.mkdir()
    # Copies of the live 2027 example (22 future actions each), on the shipped registry.
    source = (ROOT / "campaigns" / "vd_2027_thi_dua_nam.py").read_text(encoding="utf-8")
    source = source.replace(
        'organizer="BTDKT",',
        f'organizer="BTDKT",\n    registry={str(ROOT / "campaigns" / "units.yaml")!r},',
    )
    files = []
    for i in range(campaigns):
        path = folder / f"c{i}.py"
        path.write_text(source.replace('code="VD-02/KH-UBND"', f'code="{i + 1}/KH-BENCH"'), "utf-8")
        files.append(path)
    settings = Settings(data_dir=work / "deploy", ui_port=4399)
    set_settings(settings)
    configure_prefect(settings)
    loaded = [load_campaign(f) for f in files]
    with LocalServer(settings):
        start = time.perf_counter()
        results = asyncio.run(_deploy_all(loaded, quiet=True))
        seconds = time.perf_counter() - start
    actions = sum(len(r.sync.create) + len(r.sync.passed) for r in results)
    print(
        f"deploy {campaigns} campaigns ({actions} actions): {seconds:.1f} s, "
        f"{seconds / campaigns * 1000:.0f} ms per campaign"
    )
    return {"deploy_s": seconds, "deploy_per_campaign_s": seconds / campaigns}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--campaigns", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sim = bench_simulate(work, args.units)
        dep = bench_deploy(work, args.campaigns)
    summary = {
        **{k: round(v, 3) for k, v in {**sim, **dep}.items()},
        "overhead_ratio": round(sim["simulate_s"] / sim["direct_s"], 2),
        "target_ratio": 3.0,
        "target_simulate_s": 60,
    }
    summary["ok"] = summary["overhead_ratio"] <= 3.0 and sim["simulate_s"] < 60
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
