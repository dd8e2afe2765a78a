"""Regenerate thidua/dates/data/holidays_vn.json from the installed `holidays` package.

Run after upgrading `holidays`:  python scripts/gen_holidays.py
Check only (exit 1 if the bundled table is stale):  python scripts/gen_holidays.py --check
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from thidua.dates.workdays import (  # noqa: E402
    TABLE_FIRST_YEAR,
    TABLE_LAST_YEAR,
    TABLE_PATH,
    build_table,
)


def render(table: dict) -> str:
    """The file text: stable key order and one holiday per line, so diffs stay readable."""
    return json.dumps(table, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, verify) the bundled holiday table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, do not write")
    parser.add_argument("--first-year", type=int, default=TABLE_FIRST_YEAR)
    parser.add_argument("--last-year", type=int, default=TABLE_LAST_YEAR)
    args = parser.parse_args(argv)

    text = render(build_table(args.first_year, args.last_year))
    path = Path(TABLE_PATH)
    if args.check:
        current = path.read_text(encoding="utf-8") if path.exists() else ""
        if current != text:
            print(f"{path} is out of date; run: python scripts/gen_holidays.py", file=sys.stderr)
            return 1
        print(f"{path} is up to date")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    table = json.loads(text)
    print(
        f"wrote {path}: {len(table['holidays'])} holidays, "
        f"{table['first_year']}–{table['last_year']}, holidays {table['holidays_version']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
