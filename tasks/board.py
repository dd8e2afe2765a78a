"""The campaign's status board as a Prefect table artifact, refreshed at each action.

The same board `thidua status` prints (`thidua.board`): one row per unit, a column
per milestone occurrence, then nominations against quotas and target attainment; above
`FULL_TABLE_ROWS` units, the first rows (failing units lead) and a row counting the rest.
Its key, `<campaign slug>-bang-theo-doi`, keeps one artifact per campaign whose
history shows how the board moved from action to action.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from prefect import task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from thidua.tasks.actions import ActionContext, artifact_key

from thidua.board.page import page_board
from thidua.board.rows import Board
from thidua.clock import now as clock_now
from thidua.config import get_settings
from thidua.delivery.summary import FULL_TABLE_ROWS
from thidua.ledger.statuses import SubmissionState
from thidua.store.db import session_scope


def board_key(code: str) -> str:
    """The artifact key of a campaign's board: `75nam-tdaq-kh-ubnd-bang-theo-doi`."""
    return f"{artifact_key(code)}-bang-theo-doi"


def board_description(board: Board) -> str:
    """A Markdown line per occurrence with how many units submitted, for the artifact's header."""
    lines = [f"**Bảng theo dõi {board.code}** · {board.unit_count} đơn vị"]
    if board.failures:  # first, as in `thidua status`: the rows of these units lead the table
        units = ", ".join(f.unit for f in board.failures)
        lines.append(
            f"- **Gửi thông báo không thành công tới {len(board.failures)} đơn vị**: {units}"
        )
    for c in board.columns:
        s = board.summaries[c.id]
        lines.append(f"- {c.label}: đã nộp {s.text}, {SubmissionState.MISSING.label} {s.missing}")
    return "\n".join(lines)


@task(cache_policy=NO_CACHE)
def publish_board(ctx: ActionContext, now: datetime | None = None) -> UUID:
    """Publish the board of the action's campaign; `now` is the run's (possibly virtual) clock.

    Only the rows the artifact lists are built (`page_board`): at 100,000 units the whole
    board cost ~650 B per unit at the end of every action, for a table of 2,000 rows.
    """
    with session_scope() as session:
        board = page_board(
            session,
            code=ctx.code,
            title=ctx.loaded.spec.title,
            plan=ctx.plan,
            registry=ctx.loaded.registry,
            now=now or clock_now(),
            limit=FULL_TABLE_ROWS,
            timezone=get_settings().timezone,
        )
    artifact = create_table_artifact(
        board.table_rows(limit=FULL_TABLE_ROWS),
        key=board_key(ctx.code),
        description=board_description(board),
    )
    assert isinstance(artifact, UUID)  # called from a synchronous task: the id, not a coroutine
    return artifact
