"""The exactly-once delivery engine: claim, send, finish, reconcile; no Prefect inside.

- `engine`: the protocol for a batch of messages (`deliver`, `Scope`, `Job`, `Sink`).
- `recorder`: the group commit of a batch's store writes.
- `messages`: messages rendered as the engine takes them (`Rendered`), never all at once.
- `outcome`: what happened to one message (`Outcome`, over `DeliveryStatus`), and a
  batch's outcomes kept compact (`Outcomes`).
- `unreached`: units a batch did not reach, as log lines and a run label.
- `summary`: the action's record and the run's result table and summary text.

`thidua.tasks.actions` wraps it in Prefect tasks (retries, artifacts, logs).
"""

from thidua.delivery.engine import Job, Jobs, Scope, Sink, deliver, jobs_for, stored_outcomes
from thidua.delivery.outcome import Outcome, Outcomes, Unfinished, unfinished

__all__ = [
    "Job",
    "Jobs",
    "Outcome",
    "Outcomes",
    "Scope",
    "Sink",
    "Unfinished",
    "deliver",
    "jobs_for",
    "stored_outcomes",
    "unfinished",
]
