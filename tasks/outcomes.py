"""What a run's name tells operators about the units it did not reach.

A run that reached 86 of 90 units must not read as a plain "Completed" in the
Prefect UI: its name ends with "— 4 đơn vị lỗi" in every run list and its state
message says so (which units, and the log lines for each, are
`thidua.delivery.unreached`'s).

Why the name and not the state name: Prefect 3.8's UI lists runs by state *name*
("All except scheduled" is a fixed list of Prefect's own names), so a Completed
state named "Hoàn thành, 4 đơn vị lỗi" or "Hoãn gửi" hides the run from a
deployment's Runs tab and the Runs page: the very runs operators must see.
`tests/test_run_outcome.py` checks the Runs tab in a real browser.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from prefect.client.orchestration import get_client

#: Between a run's own name and what happened to it: "… · 04/12/2026 — 2 đơn vị lỗi".
LABEL_SEPARATOR = " — "


def label_run(flow_run_id: Any, label: str | None, logger: Any = None) -> None:
    """Show `label` after the run's name (or remove an earlier one); never fails the run.

    Idempotent: a rerun of the same flow run replaces its label instead of adding one.
    """
    if flow_run_id is None:
        return
    try:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(UUID(str(flow_run_id)))
            base = run.name.split(LABEL_SEPARATOR, 1)[0]
            name = f"{base}{LABEL_SEPARATOR}{label}" if label else base
            if name != run.name:
                client.update_flow_run(run.id, name=name)
    except Exception as exc:  # a label is a courtesy; the run's outcome is already recorded
        if logger is not None:
            logger.warning("Could not label flow run %s: %s", flow_run_id, type(exc).__name__)
