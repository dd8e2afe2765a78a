"""How lean are `thidua plan` and `thidua validate`? Wall time against `import pydantic`.

Runs each command on every seed campaign (the slowest decides), interleaved with
`python -c "import pydantic"` in every round, and divides the medians; the ratio of
the minimums is printed too, as the figure least disturbed by a busy machine (each
side's best run), which decides `ok` (`ok_median` says how the medians fare). Target
(issue 15): ratio ≤ 3.5. Last line: one JSON object.

    .venv/bin/python bench/cli_startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = [
    "campaigns/ubnd_641_kh_2026_100_ngay_dem.py",
    "campaigns/sngv_579_kh_2026_100_ngay_dem.py",
    "campaigns/ubnd_2023_75_nam_thi_dua_ai_quoc.py",
]
TARGET = 3.5


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    thidua = str(Path(sys.executable).with_name("thidua"))
    # Warm-up as on an admin's machine: compiled sources (scripts/bootstrap does the
    # same) and the registry caches (contact checks, compiled registry).
    subprocess.run([sys.executable, "-m", "compileall", "-q", "thidua"], cwd=ROOT, check=True)
    for seed in SEEDS:
        subprocess.run([thidua, "validate", seed], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)

    # Rounds interleave the baseline with the commands, so that a busy moment of the
    # machine weighs on both sides of the ratio alike.
    commands = {"baseline": [sys.executable, "-c", "import pydantic"]}
    for command in ("plan", "validate"):
        for seed in SEEDS:
            commands[f"{command} {Path(seed).stem}"] = [thidua, command, seed]
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            samples[name].append(timed(cmd))
    median = {name: statistics.median(xs) for name, xs in samples.items()}
    best = {name: min(xs) for name, xs in samples.items()}
    baseline, baseline_min = median.pop("baseline"), best.pop("baseline")
    print(
        f"baseline  python -c 'import pydantic'  median {baseline * 1000:7.1f} ms, "
        f"min {baseline_min * 1000:7.1f} ms"
    )
    for name, seconds in median.items():
        print(
            f"thidua {name:<46} median {seconds * 1000:7.1f} ms  ratio {seconds / baseline:4.2f}"
            f"  | min {best[name] * 1000:7.1f} ms  ratio {best[name] / baseline_min:4.2f}"
        )

    def worst(figures: dict[str, float], command: str) -> float:
        return max(v for k, v in figures.items() if k.startswith(command + " "))

    summary = {
        "baseline_import_pydantic_s": round(baseline, 4),
        "baseline_import_pydantic_min_s": round(baseline_min, 4),
        "plan_s": round(worst(median, "plan"), 4),
        "validate_s": round(worst(median, "validate"), 4),
        "plan_ratio": round(worst(median, "plan") / baseline, 2),
        "validate_ratio": round(worst(median, "validate") / baseline, 2),
        "plan_ratio_min": round(worst(best, "plan") / baseline_min, 2),
        "validate_ratio_min": round(worst(best, "validate") / baseline_min, 2),
        "target_ratio": TARGET,
        "runs": runs,
        "loadavg_1m_at_end": round(os.getloadavg()[0], 2),
    }
    # The verdict takes the minimums: on a shared machine the median of the longer
    # command absorbs more of the other work than the baseline does (measured 5-6× at
    # a load of 6 for a min ratio of 3.3).
    summary["ok"] = max(summary["plan_ratio_min"], summary["validate_ratio_min"]) <= TARGET
    summary["ok_median"] = max(summary["plan_ratio"], summary["validate_ratio"]) <= TARGET
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
