"""Prefect task of a nomination milestone's due action: re-check the campaign's quotas.

Quotas are enforced when each nomination is recorded; the re-check at the deadline
catches what that cannot: a quota lowered by a redeploy, headcounts changed in the
registry, a unit that left the campaign. The rules are `thidua.ledger.nominations.recheck`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from thidua.tasks.actions import artifact_key

from thidua.ledger.quotas import Usage, recheck
from thidua.store.db import session_scope

if TYPE_CHECKING:
    from thidua.tasks.actions import ActionContext


def overflow_markdown(code: str, title: str, overflows: list[Usage]) -> str:
    """The artifact's text: one bullet per exceeded quota with the nominations counted."""
    lines = [
        f"## Vượt hạn mức khen thưởng — {code}",
        f"**{title}**",
        "",
        f"{len(overflows)} hạn mức bị vượt khi kiểm tra lại lúc hết hạn nộp hồ sơ:",
        "",
    ]
    lines += [f"- **{u.line}**: {u.describe()}" for u in overflows]
    lines += ["", "Cần trả lại hoặc để đơn vị rút bớt hồ sơ trước khi trình khen thưởng."]
    return "\n".join(lines)


@task(cache_policy=NO_CACHE)
def recheck_quotas(ctx: ActionContext) -> list[str]:
    """Re-check nomination quotas; publish and return the exceeded ones (empty when none)."""
    with session_scope() as session:
        overflows = recheck(session, ctx.loaded)
    if not overflows:
        get_run_logger().info("Nomination quotas of %s re-checked: none exceeded", ctx.code)
        return []
    create_markdown_artifact(
        overflow_markdown(ctx.code, ctx.loaded.spec.title, overflows),
        key=f"{artifact_key(ctx.code)}-vuot-han-muc",
        description=ctx.action.run_name(),
    )
    get_run_logger().warning(
        "Nomination quotas of %s exceeded: %s", ctx.code, "; ".join(u.line for u in overflows)
    )
    return [u.describe() for u in overflows]
