"""The portal's two heaviest pages against a bare FastAPI "hello", over real HTTP.

- a unit's page with 50 obligations over 20 campaigns (`GET /u/<token>`);
- the status board of a campaign of 1,000 units (`GET /ban/<slug>`, signed in).

The bench generates a registry of 1,000 xã and 20 campaign files (2 or 3 milestones that
ask for a report, alternately: 50 obligations for every unit), fills a fresh SQLite store
as a year of running would have left it (`bench/status_scale.py`'s `fill_store`:
actions, ~1 delivery per recipient of every past action, most units' submissions), then
serves the portal and a bare FastAPI app with one route returning "hello" from two
uvicorn servers in this process. Requests alternate among the three, one at a time,
after a warm-up; medians decide. Target: each page under 200 ms (issue 14); the ratio to
"hello" in the same run is printed, so a busy machine weighs on both sides.

    .venv/bin/python bench/portal_pages.py [--rounds 31] [--units 1000] [--campaigns 20]

Last line: one JSON object with `unit_page_ms`, `board_ms`, `hello_ms`,
`unit_page_ratio`, `board_ratio`, `obligations`, `board_units` and `ok`.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import status_scale  # noqa: E402  (the store generator shared with bench/status_scale.py)

TARGET_MS = 200.0

CAMPAIGN = """\
from thidua import Campaign, Milestone, Participants

campaign = Campaign(
    code="{{code}}",
    title="Phong trào thi đua đo hiệu năng cổng đơn vị số {{i}}",
    issuer="Ủy ban nhân dân tỉnh Cao Bằng",
    issued="ngày 05/01/2026",
    period="năm 2026",
    organizer="BTDKT",
    registry={{registry!r}},
    participants=Participants(groups=["XA-PHUONG"]),
    milestones=[
        Milestone(kind="phát động", when="ngày 05/01/2026"),
        Milestone(kind="kế hoạch triển khai", when="chậm nhất ngày {plan_day}/02/2026", reminders=[3]),
{review}        Milestone(kind="tổng kết", title="Gửi báo cáo tổng kết năm 2026",
                  when="chậm nhất ngày {final_day}/12/2026", reminders=[3]),
    ],
)
"""

REVIEW = """\
        Milestone(kind="sơ kết", title="Gửi báo cáo sơ kết 6 tháng",
                  when="chậm nhất ngày {review_day}/6/2026", reminders=[3]),
"""


def template(i: int) -> str:
    """Campaign i: 2 report milestones when i is even, 3 when odd (50 over 20 campaigns)."""
    review = REVIEW.format(review_day=10 + i % 15) if i % 2 else ""
    return CAMPAIGN.format(plan_day=10 + i % 15, final_day=1 + i % 28, review=review)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(app: Any) -> tuple[Any, str]:
    """Start `app` on a free port in a daemon thread; the server and its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    )
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start in 30 s")
        time.sleep(0.02)
    return server, f"http://127.0.0.1:{port}"


def hello_app() -> Any:
    from fastapi import FastAPI
    from fastapi.responses import PlainTextResponse

    app = FastAPI()

    @app.get("/", response_class=PlainTextResponse)
    def hello() -> str:
        return "hello"

    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=31)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--campaigns", type=int, default=20)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="thidua-bench-portal-"))
    data_dir = work / "data"
    os.environ["THIDUA_DATA_DIR"] = str(data_dir)
    os.environ["THIDUA_PORTAL_RATE_PER_MINUTE"] = "100000"  # the bench is one client
    url = f"sqlite:///{data_dir / 'thidua.store.db'}"
    os.environ["THIDUA_DATABASE_URL"] = url
    data_dir.mkdir(parents=True)

    import httpx

    from thidua.config import get_settings
    from thidua.portal import accounts, links
    from thidua.portal.app import create_app
    from thidua.portal.guards import SESSION_COOKIE
    from thidua.portal.secret import portal_secret
    from thidua.portal.signing import Signer
    from thidua.store.db import session_scope

    started = time.monotonic()
    files = status_scale.write_files(work / "campaigns", args.campaigns, args.units, template)
    counts = status_scale.fill_store(url, files)
    print(f"store: {counts} in {time.monotonic() - started:.1f} s", flush=True)

    settings = get_settings()
    now = status_scale.NOW
    unit = "XA0007"
    with session_scope() as session:
        token = links.link_for(session, unit_code=unit, settings=settings)
        accounts.add_user(session, username="bench", password="mat-khau-do-hieu-nang")
    cookie = Signer(portal_secret(settings), "session").sign(
        "bench", now=now, lifetime=timedelta(hours=8)
    )
    portal, portal_base = serve(create_app(settings, now=lambda: now))
    hello, hello_base = serve(hello_app())
    slug = "1-kh-bench"
    targets = {
        "hello": f"{hello_base}/",
        "unit_page": f"{portal_base}{links.unit_path(token)}",
        "board": f"{portal_base}/ban/{slug}",
    }
    timings: dict[str, list[float]] = {name: [] for name in targets}
    sizes: dict[str, int] = {}
    try:
        with httpx.Client(cookies={SESSION_COOKIE: cookie}, timeout=60) as client:
            for name, target in targets.items():  # warm-up: campaign catalog, caches
                for _ in range(3):
                    response = client.get(target)
                    if response.status_code != 200:
                        print(f"{name}: HTTP {response.status_code}\n{response.text[:2000]}")
                        return 1
                sizes[name] = len(response.content)
            for _ in range(args.rounds):
                for name, target in targets.items():
                    t0 = time.perf_counter()
                    response = client.get(target)
                    timings[name].append((time.perf_counter() - t0) * 1000)
                    assert response.status_code == 200, (name, response.status_code)
            page = client.get(targets["unit_page"]).text
            board = client.get(targets["board"]).text
    finally:
        portal.should_exit = hello.should_exit = True
    obligations = page.count('data-label="Hạn nộp"') or page.count("<tr") - 1
    board_units = sum(1 for n in range(args.units) if f"XA{n:04d}" in board)
    med = {name: statistics.median(values) for name, values in timings.items()}
    result = {
        "unit_page_ms": round(med["unit_page"], 1),
        "board_ms": round(med["board"], 1),
        "hello_ms": round(med["hello"], 2),
        "unit_page_ratio": round(med["unit_page"] / med["hello"], 1),
        "board_ratio": round(med["board"] / med["hello"], 1),
        "unit_page_max_ms": round(max(timings["unit_page"]), 1),
        "board_max_ms": round(max(timings["board"]), 1),
        "obligations": obligations,
        "board_units": board_units,
        "page_bytes": sizes,
        "load_1min": round(os.getloadavg()[0], 2),
        "ok": med["unit_page"] < TARGET_MS and med["board"] < TARGET_MS,
    }
    print(
        f"unit page ({obligations} obligations over {args.campaigns} campaigns): "
        f"median {result['unit_page_ms']} ms, ratio {result['unit_page_ratio']} to hello"
    )
    print(
        f"board ({board_units} units): median {result['board_ms']} ms, "
        f"ratio {result['board_ratio']} to hello"
    )
    print(f"hello: median {result['hello_ms']} ms; target < {TARGET_MS:.0f} ms per page")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
