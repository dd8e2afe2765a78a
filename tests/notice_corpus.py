"""Every notice a campaign sends, rendered as the flows render it, for the wording checks.

Shared by the lint and snapshot tests: each action of `compile_plan` rendered for each
of its recipients, and the organizer's failure alerts for each action.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from thidua.notifications.render import Message, launch_deadlines, notice_title, render
from thidua.tasks.alerts import failure_message, failures_message

from thidua.campaign.loading import LoadedCampaign
from thidua.campaign.plan import Action, ActionKind, Plan, compile_plan

#: A small, fixed state of submissions for the notices that list units (escalation, results).
MISSING = 2


def fake_link(unit_code: str) -> str:
    """A fixed, clearly fake portal link per unit: snapshots never hold a real token."""
    return f"https://cong-thi-dua.example/u/lien-ket-mau-{unit_code.lower()}"


@dataclass(frozen=True)
class Rendered:
    """One rendered notice and where it came from, for a readable failure message."""

    where: str
    action: Action | None
    message: Message
    #: the portal link a unit's notice carries; None for the organizer's alerts
    link: str | None = None


def names(loaded: LoadedCampaign) -> list[str]:
    """Every proper name a notice of this campaign may mention, as written."""
    spec, reg = loaded.spec, loaded.registry
    found = [u.name for u in reg.units.values()] + [g.name for g in reg.groups.values()]
    found += [spec.issuer, spec.title] + [m.title for m in spec.milestones if m.title]
    return found


def notices(
    loaded: LoadedCampaign, *, every_recipient: bool = True, plan: Plan | None = None
) -> Iterator[Rendered]:
    """Each action's notice to each recipient (or to its first only), then the alerts."""
    spec, reg = loaded.spec, loaded.registry
    plan = plan or compile_plan(spec, reg)
    organizer = reg.unit(spec.organizer)
    deadlines = launch_deadlines(spec, plan.occurrences)
    participants = [reg.unit(code).name for code in plan.participants]
    for action in plan.actions:
        recipients = action.recipients if every_recipient else action.recipients[:1]
        listed = action.kind in (ActionKind.ESCALATION, ActionKind.COMPILE)
        missing = participants[:MISSING] if listed else []
        for code in recipients:
            unit = reg.unit(code)
            yield Rendered(
                f"{spec.code} {action.key} → {code}",
                action,
                render(
                    action,
                    campaign=spec,
                    unit=unit,
                    organizer=organizer,
                    now=action.at,
                    deadlines=deadlines,
                    missing=missing,
                    submitted=max(len(participants) - MISSING, 0),
                    total=len(participants),
                    portal_link=fake_link(code),
                ),
                fake_link(code),
            )
        when = action.at + timedelta(minutes=5)
        run = action.run_name()
        yield Rendered(
            f"{spec.code} {action.key} (lỗi chạy)",
            action,
            failure_message(
                spec.code,
                run,
                "Máy chủ Prefect không phản hồi",
                when,
                addressee=organizer.name,
                notice=notice_title(action, spec),
            ),
        )
        failed = [
            (name, f"{i}:mailtos", "Lỗi vĩnh viễn (không gửi lại): máy chủ thư từ chối địa chỉ")
            for i, name in enumerate(participants[:MISSING])
        ]
        yield Rendered(
            f"{spec.code} {action.key} (không gửi được)",
            action,
            failures_message(
                spec.code, run, failed, addressee=organizer.name, notice=notice_title(action, spec)
            ),
        )
