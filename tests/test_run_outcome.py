"""A run that could not reach some units does not look like a plain success.

Through a real `thidua serve` worker on the session's Prefect server and a real SMTP
relay (aiosmtpd) that refuses two units' addresses: the run ends Completed but
named "… — 2 đơn vị lỗi" (its state keeps Prefect's own name, or the UI's run
lists would hide it), each failure is a WARNING line of the run's logs
(unit, channel in its privacy form, the server's answer), and the flow-run page of
the Prefect UI shows it (a screenshot goes to tests/output/ui-failed-delivery.png;
the README's copy is docs/img/failed-delivery.png).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from thidua.campaign.loading import load_campaign
from thidua.campaign.plan import compile_plan

from .browser import Browser, chromium_path
from .server_runs import campaign_text, finished, run_now, runs_of, runs_tab_shows
from .serving import free_port, start_serve, wait_for

pytestmark = pytest.mark.slow

VN = ZoneInfo("Asia/Ho_Chi_Minh")
OUTPUT = Path(__file__).resolve().parent / "output"
REFUSED = {"XA-1": "van-thu@xamot.example.vn", "XA-2": "van-thu@xahai.example.vn"}

REGISTRY = """\
name: Tỉnh thử nghiệm
groups:
  - {{code: KHOI-A, name: Khối A, kind: khoi, head: SO-A}}
  - {{code: CUM-X, name: Cụm xã, kind: cum, head: XA-1}}
units:
  - {{code: UBND, name: UBND tỉnh, kind: co_quan_tinh, contacts: ["outbox://ubnd"]}}
  - {{code: BTDKT, name: Ban Thi đua - Khen thưởng, kind: phong, supervisor: UBND,
     contacts: ["outbox://btdkt"]}}
  - {{code: SO-A, name: Sở A, kind: so_nganh, groups: [KHOI-A], supervisor: UBND,
     contacts: ["outbox://so-a"]}}
  - {{code: SO-B, name: Sở B, kind: so_nganh, groups: [KHOI-A], supervisor: UBND,
     contacts: ["outbox://so-b"]}}
  - {{code: XA-1, name: UBND xã Một, kind: xa, groups: [CUM-X], supervisor: UBND,
     contacts: ["{xa1}"]}}
  - {{code: XA-2, name: UBND xã Hai, kind: xa, groups: [CUM-X], supervisor: UBND,
     contacts: ["{xa2}"]}}
"""


class Refusing:
    """An SMTP relay that refuses the two communes' addresses for good (550)."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address in REFUSED.values():
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def relay() -> Iterator[int]:
    port = free_port()
    controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def logs_of(served: Any, run_id: str, level: int) -> list[str]:
    body = {"logs": {"flow_run_id": {"any_": [run_id]}, "level": {"ge_": level}}, "limit": 200}
    return [row["message"] for row in served.api("POST", "/logs/filter", body)]


def test_a_run_with_unreached_units_says_so_in_its_state_logs_and_page(
    served, relay: int, tmp_path: Path
) -> None:
    code = "74/KH-LOI"
    # Deployed runs must lie ahead of the wall clock; everything the test expects is
    # computed from the plan and the injected `now`, never from today's date.
    launch_day: date = datetime.now(VN).date() + timedelta(days=30)
    folder = tmp_path / "c"
    folder.mkdir()
    urls = {
        unit: f"mailto://127.0.0.1:{relay}?to={address}&from=btdkt@example.vn&mode=insecure"
        for unit, address in REFUSED.items()
    }
    (folder / "units.yaml").write_text(
        REGISTRY.format(xa1=urls["XA-1"], xa2=urls["XA-2"]), encoding="utf-8"
    )
    path = folder / "camp.py"
    path.write_text(campaign_text(code, launch_day), encoding="utf-8")
    loaded = load_campaign(path)
    launch = compile_plan(loaded.spec, loaded.registry).actions[0]

    worker = start_serve(
        tmp_path / "data", api_url=served.api_url, extra_env={"THIDUA_CAMPAIGNS_DIR": str(folder)}
    )
    try:
        [run] = runs_of(served, code, "Phát động")
        run_now(served, run["id"], now=launch.at.isoformat())  # on time, on the plan's clock
        done = finished(served, run["id"], worker)
        # Log lines reach the API in batches, shortly after the state, from the run's own
        # process: wait for both before stopping the worker (and with it that process).
        warnings = wait_for(
            lambda: (found := logs_of(served, run["id"], 30)) and len(found) >= 2 and found,
            timeout=60,
            message=f"no WARNING lines for the two communes; run ended {done['state']}",
        )
    finally:
        worker.stop()
    # A standard state name keeps the run in the UI's run lists (a custom one hides it);
    # the run's name and message say what went wrong.
    assert (done["state_type"], done["state_name"]) == ("COMPLETED", "Completed"), (
        done["state"],
        worker.output()[-4000:],
    )
    assert done["name"] == f"{launch.run_name()} — 2 đơn vị lỗi"
    assert done["state"]["message"].startswith("Đã gửi 2 lượt tới 4 đơn vị; 2 đơn vị chưa nhận")

    for unit, name in (("XA-1", "UBND xã Một"), ("XA-2", "UBND xã Hai")):
        [line] = [
            w for w in warnings if w.startswith(f"Unit {unit} ({name}) not reached on 0:mailto")
        ]
        assert "(mailto://127.0.0.1:" in line and "550 5.1.1" in line, line
        assert "[failed_permanent]" in line
    assert not [w for w in warnings if "SO-A" in w or "SO-B" in w]

    chromium_path()  # fails with the install hint when Chromium is missing
    with Browser(width=1440, height=1000, timezone="Asia/Ho_Chi_Minh") as browser:
        page = browser.screenshot_url(
            f"{served.ui_url}/runs/flow-run/{run['id']}",
            OUTPUT / "ui-failed-delivery.png",
            wait_for=["— 2 đơn vị lỗi", "UBND xã Hai"],
            all_of=True,
            timeout=60,
            settle=2.0,
        )
    assert page.found, page.excerpt()
    runs_tab_shows(served, code, [done["name"]])  # and it is listed with every other run
