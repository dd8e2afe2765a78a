"""How lean are `thidua plan` and `thidua validate`? Wall time against `import pydantic`.

Runs each command on every seed campaign (the largest decides) several times, takes the
median, and divides by the median of `python -c "import pydantic"` measured in the same
run on the same machine. Target: ratio ≤ 3. Last line: one JSON object.

    .venv/bin/python bench/cli_startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
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
TARGET = 3.0


def median_seconds(cmd: list[str], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    thidua = str(Path(sys.executable).with_name("thidua"))
    # Warm-up as on an admin's machine: compiled sources (scripts/bootstrap does the
    # same) and the registry's contact-check cache.
    subprocess.run([sys.executable, "-m", "compileall", "-q", "thidua"], cwd=ROOT, check=True)
    for seed in SEEDS:
        subprocess.run([thidua, "validate", seed], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)

    baseline = median_seconds([sys.executable, "-c", "import pydantic"], runs)
    print(f"baseline  python -c 'import pydantic'   {baseline * 1000:7.1f} ms")
    results: dict[str, float] = {}
    for command in ("plan", "validate"):
        worst = 0.0
        for seed in SEEDS:
            seconds = median_seconds([thidua, command, seed], runs)
            worst = max(worst, seconds)
            print(
                f"thidua {command:<9} {Path(seed).stem:<38} {seconds * 1000:7.1f} ms"
                f"  ratio {seconds / baseline:4.2f}"
            )
        results[command] = worst
    summary = {
        "baseline_import_pydantic_s": round(baseline, 4),
        "plan_s": round(results["plan"], 4),
        "validate_s": round(results["validate"], 4),
        "plan_ratio": round(results["plan"] / baseline, 2),
        "validate_ratio": round(results["validate"] / baseline, 2),
        "target_ratio": TARGET,
        "runs": runs,
    }
    summary["ok"] = max(summary["plan_ratio"], summary["validate_ratio"]) <= TARGET
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
