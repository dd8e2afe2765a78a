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
from prefect.context import FlowRunContext

#: Between a run's own name and what happened to it: "… · 04/12/2026 — 2 đơn vị lỗi".
LABEL_SEPARATOR = " — "


def label_run(flow_run_id: Any, label: str | None, logger: Any = None) -> None:
    """Show `label` after the run's name (or remove an earlier one); never fails the run.

    Idempotent: a rerun of the same flow run replaces its label instead of adding one.
    The run's name comes from the run's own context (what `prefect.runtime` reads: the
    run as read from the API when it started, so a rerun sees its earlier label); the API is called
    only when the name changes: a plain success costs no request.
    """
    if flow_run_id is None:
        return
    try:
        name = _current_name(flow_run_id)
        if name is None:  # not this process's run: ask the API
            with get_client(sync_client=True) as client:
                name = client.read_flow_run(UUID(str(flow_run_id))).name
        base = name.split(LABEL_SEPARATOR, 1)[0]
        wanted = f"{base}{LABEL_SEPARATOR}{label}" if label else base
        if wanted != name:
            with get_client(sync_client=True) as client:
                client.update_flow_run(UUID(str(flow_run_id)), name=wanted)
            _remember(flow_run_id, wanted)
    except Exception as exc:  # a label is a courtesy; the run's outcome is already recorded
        if logger is not None:
            logger.warning("Could not label flow run %s: %s", flow_run_id, type(exc).__name__)


def _current_name(flow_run_id: Any) -> str | None:
    """The name of `flow_run_id` when it is the run this code runs in, else None."""
    context = FlowRunContext.get()
    run = context.flow_run if context is not None else None
    if run is None or str(run.id) != str(flow_run_id):
        return None
    return run.name


def _remember(flow_run_id: Any, name: str) -> None:
    """Keep the run's context in step with the name just given (a second label replaces it)."""
    context = FlowRunContext.get()
    run = context.flow_run if context is not None else None
    if run is not None and str(run.id) == str(flow_run_id):
        run.name = name
