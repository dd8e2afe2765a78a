"""Memory of the end-of-run status board (`publish_board`) at 1,000 … 100,000 units.

The store and the campaign are those of `bench/status_scale.py` (one campaign, four
occurrences to submit for, an award with a quota, ~10 deliveries and ~2.7 submissions per
unit, 0.5 % of deliveries failed), the registry raised to hold the size. Each path runs in
a fresh child process, which loads the campaign and compiles the plan first (not measured),
then does the board's work of `publish_board` but the request to Prefect:

(before) `read_rows` (every unit's submissions, reminders, digests), `build_board` (a
         `UnitRow` per unit), `table_rows(limit=FULL_TABLE_ROWS)`, the description, and the
         rows as JSON (what Prefect's `create_table_artifact` posts);
(after)  `page_board` (the listed units' rows only, the summaries counted), then the same.

Measured per path: tracemalloc's peak over that work (Python allocations; a second run
without tracemalloc gives the process's peak RSS above its RSS before the work), the time,
and a hash of the published rows and description, which must be equal. Printed per unit.

    .venv/bin/python bench/board_memory.py [--sizes 1000,10000,100000] [--baseline ../main]
        [--keep DIR]

`--baseline`: another checkout with its own .venv (e.g. main before this change), whose
whole board is measured as `main-full` in the same run; `--keep`: the stores are built in
DIR once and reused (100,000 units take ~2 minutes to fill).

Last line: one JSON object; `page_bytes_per_unit_<size>`, `full_bytes_per_unit_<size>`
(and `main_full_…`), `same_artifact_<size>` (every path published the same bytes).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: The tree whose code a child measures: this one, or `--baseline`'s (set for its children).
ROOT = Path(os.environ.get("BOARD_BENCH_ROOT") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def measure(path: str, campaign: Path, url: str, traced: bool) -> dict[str, Any]:
    """In this (fresh) process: load the campaign, then the board's work of `path`."""
    import gc
    import tracemalloc

    from status_scale import NOW
    from thidua.tasks.board import board_description

    from thidua.board.build import build_board
    from thidua.board.read import read_rows
    from thidua.campaign.loading import load_campaign
    from thidua.campaign.plan import compile_plan
    from thidua.delivery.summary import FULL_TABLE_ROWS
    from thidua.store.db import get_engine, session_scope

    loaded = load_campaign(campaign)
    plan = compile_plan(loaded.spec, loaded.registry)
    engine = get_engine(url)
    code = loaded.code
    gc.collect()
    rss_before = _rss_kb("VmRSS")
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    with session_scope(engine) as session:
        if path == "full":
            rows = read_rows(session, code=code)
            assert rows is not None
            board = build_board(rows, plan, loaded.registry, now=NOW, timezone="Asia/Ho_Chi_Minh")
        else:
            from thidua.board.page import page_board

            board = page_board(
                session,
                code=code,
                title=loaded.spec.title,
                plan=plan,
                registry=loaded.registry,
                now=NOW,
                limit=FULL_TABLE_ROWS,
            )
    table = board.table_rows(limit=FULL_TABLE_ROWS)
    description = board_description(board)
    body = json.dumps({"data": table, "description": description}, ensure_ascii=False)
    seconds = time.perf_counter() - start
    out: dict[str, Any] = {
        "seconds": round(seconds, 3),
        "units": getattr(board, "total", None) or len(board.units),  # main's Board: no total
        "rows": len(table),
        "hash": hashlib.sha256(body.encode()).hexdigest()[:16],
        "body_bytes": len(body),
    }
    if traced:
        out["peak_bytes"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    else:
        out["rss_peak_above_kb"] = _rss_kb("VmHWM") - rss_before
    return out


def child(
    path: str, campaign: Path, url: str, traced: bool, env: dict[str, str], root: Path | None = None
) -> dict[str, Any]:
    """`path` measured in a fresh process: with `root`, another tree's code (its virtualenv)."""
    python = str(root / ".venv" / "bin" / "python") if root else sys.executable
    if root:
        env = {**env, "BOARD_BENCH_ROOT": str(root)}
    cmd = [python, __file__, "--child", path.removeprefix("main-"), str(campaign), url]
    cmd += ["--traced"] if traced else []
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"{path} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--child", nargs=3, metavar=("PATH", "CAMPAIGN", "URL"))
    parser.add_argument("--traced", action="store_true")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a checkout (with its .venv) whose whole board is measured too, as 'main-full'",
    )
    parser.add_argument(
        "--keep", type=Path, help="build the stores in this folder and reuse them on later runs"
    )
    args = parser.parse_args()
    if args.child:
        path, campaign, url = args.child
        print(json.dumps(measure(path, Path(campaign), url, args.traced)))
        return 0

    from status_scale import fill_store, write_files

    sizes = [int(s) for s in args.sizes.split(",")]
    summary: dict[str, Any] = {"bench": "board_memory", "load_1min": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory(prefix="board-memory-") as tmp:
        for n in sizes:
            folder = (args.keep or Path(tmp)) / f"n{n}"
            env = dict(os.environ)
            env.update(
                THIDUA_DATA_DIR=str(folder / "data"),
                # Twice the size: the YAML registry's file cap grows with it (~130 B per unit).
                THIDUA_REGISTRY_MAX_UNITS=str(max(2 * n + 2, 50_000)),
                PREFECT_SERVER_ANALYTICS_ENABLED="false",
            )
            os.environ.update(env)  # the registry's cap, for fill_store in this process
            url = f"sqlite:///{folder / 'store.db'}"
            if (folder / "store.db").exists():  # --keep: the store of an earlier run
                campaign = folder / "files" / "c000.py"
                print(f"{n} units: the store of {folder}", flush=True)
            else:
                [campaign] = write_files(folder / "files", 1, n)
                started = time.perf_counter()
                counts = fill_store(url, [campaign])
                took = time.perf_counter() - started
                print(f"{n} units: store {counts} in {took:.1f} s", flush=True)
            results = {}
            paths = (["main-full"] if args.baseline else []) + ["full", "page"]
            for path in paths:
                root = args.baseline if path.startswith("main-") else None
                traced = child(path, campaign, url, True, env, root)
                plain = child(path, campaign, url, False, env, root)
                results[path] = {
                    **traced,
                    "rss_peak_above_kb": plain["rss_peak_above_kb"],
                    "seconds_plain": plain["seconds"],
                }
                r = results[path]
                print(
                    f"  {path:9}: tracemalloc peak {r['peak_bytes'] / 1e6:8.2f} MB "
                    f"({r['peak_bytes'] / n:7.0f} B per unit), RSS peak above the loaded "
                    f"worker {r['rss_peak_above_kb'] / 1024:7.1f} MB, {r['seconds']:.2f} s "
                    f"traced / {plain['seconds']:.2f} s plain, {r['rows']} rows, "
                    f"{r['body_bytes']} B, hash {r['hash']}",
                    flush=True,
                )
            same = len({r["hash"] for r in results.values()}) == 1
            print(f"  same artifact: {same}; load {os.getloadavg()[0]:.1f}", flush=True)
            label = f"{n // 1000}k" if n % 1000 == 0 else str(n)
            for path, r in results.items():
                path = path.replace("-", "_")
                summary[f"{path}_bytes_per_unit_{label}"] = round(r["peak_bytes"] / n)
                summary[f"{path}_rss_mb_{label}"] = round(r["rss_peak_above_kb"] / 1024, 1)
                summary[f"{path}_s_{label}"] = r["seconds_plain"]  # without tracemalloc
            summary[f"same_artifact_{label}"] = same
            if not same:
                print("  the two paths published different artifacts", file=sys.stderr)
    summary["load_1min_end"] = os.getloadavg()[0]
    print(json.dumps(summary))
    return 0 if all(v for k, v in summary.items() if k.startswith("same_artifact")) else 1


if __name__ == "__main__":
    raise SystemExit(main())
