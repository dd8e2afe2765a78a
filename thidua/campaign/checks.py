"""Cross-checks of a valid campaign against its registry, its calendar and its parent.

Field-level validation (types, phrases, enums) happens in `thidua.campaign.spec`; here are
the rules that need the whole picture: dates in the right order, audiences that
exist and can be reached, quotas that can be met, a child plan inside its parent.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from thidua.campaign.audience import participants
from thidua.campaign.charges import check_responsibilities
from thidua.campaign.kinds import MilestoneKind
from thidua.campaign.plan import ActionKind, Occurrence, compile_plan, occurrences
from thidua.campaign.spec import Campaign
from thidua.dates.written import format_short
from thidua.errors import Problem, did_you_mean
from thidua.registry import Registry

# Kinds that must happen inside the campaign period; others may come after it
# (seed 003: the result report is due 10/7/2023, after a period ending 30/6/2023).
#: awards one unit may propose for one award form; more is a typo
MAX_QUOTA = 10_000

_INSIDE_PERIOD = {
    MilestoneKind.LAUNCH,
    MilestoneKind.IMPLEMENTING_PLAN,
    MilestoneKind.REVIEW,
    MilestoneKind.REGISTRATION,  # đăng ký thi đua: at the start of (each year of) the period
}


def check_campaign(
    campaign: Campaign,
    registry: Registry,
    *,
    parent: Campaign | None = None,
    base_dir: Path | None = None,
    broken: frozenset[str] = frozenset(),
) -> list[Problem]:
    """Every cross-field problem of `campaign`; empty when it can be scheduled.

    `broken` names the parts of a partial campaign (`thidua.campaign.salvage`) that are
    placeholders or lost items: the checks that read them are skipped, so that a wrong
    field is reported once, by its own error, and not again by a misled cross-check.
    """
    problems: list[Problem] = []
    problems += _check_references(campaign, registry, broken)
    if "responsibilities" not in broken:
        problems += check_responsibilities(campaign, registry)
    if not broken & {"participants", "organizer"}:
        problems += _check_contacts(campaign, registry)
    # Without a launch milestone the launch is the issue date: then a broken one misleads.
    has_launch = any(m.kind is MilestoneKind.LAUNCH for m in campaign.milestones)
    launch_known = "launch" not in broken and (has_launch or "issued" not in broken)
    if not broken & {"period", "milestones"}:
        problems += _check_dates(campaign, launch_known=launch_known)
    if not broken & {"period", "issued", "milestones", "participants", "organizer", "launch"}:
        problems += _check_reminders(campaign, registry)
    problems += _check_optional(campaign)
    problems += _check_quotas(campaign, registry, counted="participants" not in broken)
    if parent is not None and not broken & {"period", "milestones"}:
        problems += _check_parent(campaign, parent)
    if base_dir is not None:
        problems += _check_files(campaign, base_dir)
    return problems


def _check_references(c: Campaign, reg: Registry, broken: frozenset[str]) -> list[Problem]:
    out: list[Problem] = []
    units = list(reg.codes())
    either = [*units, *reg.groups]
    if c.organizer not in reg and "organizer" not in broken:
        out.append(
            Problem(
                "organizer",
                "cơ quan tổ chức không có trong danh sách đơn vị"
                + did_you_mean(c.organizer, units),
                c.organizer,
            )
        )
    if "participants" not in broken:
        for i, group in enumerate(c.participants.groups):
            if group not in reg.groups:
                out.append(
                    Problem(
                        f"participants.groups[{i}]",
                        _unknown("cụm/khối/nhóm", reg.groups, group),
                        group,
                    )
                )
        for field_name in ("units", "exclude"):
            for i, code in enumerate(getattr(c.participants, field_name)):
                if code not in reg:
                    out.append(
                        Problem(
                            f"participants.{field_name}[{i}]",
                            "không có trong danh sách đơn vị" + did_you_mean(code, units),
                            code,
                        )
                    )
        if not out and not participants(c, reg):
            out.append(Problem("participants", "không có đơn vị nào tham gia sau khi lọc"))
    for i, m in enumerate(c.milestones):
        path = f"milestones[{i}]"
        if isinstance(m.audience, list):
            for j, code in enumerate(m.audience):
                if code not in reg and code not in reg.groups:
                    out.append(
                        Problem(
                            f"{path}.audience[{j}]",
                            "không có đơn vị hoặc nhóm này" + did_you_mean(code, either),
                            code,
                        )
                    )
        esc = m.escalation
        builtin = ("supervisor", "group_head", "organizer")
        if esc and esc.to not in builtin and esc.to not in reg and esc.to not in reg.groups:
            out.append(
                Problem(
                    f"{path}.escalation.to",
                    "không có đơn vị hoặc nhóm này" + did_you_mean(esc.to, either),
                    esc.to,
                )
            )
    for i, award in enumerate(c.awards):
        if award.quota:
            for code in award.quota.overrides:
                if code not in reg and code not in reg.groups:
                    out.append(
                        Problem(
                            f"awards[{i}].quota.overrides[{code}]",
                            "không có đơn vị hoặc nhóm này" + did_you_mean(code, either),
                            code,
                        )
                    )
    return out


def _unknown(what: str, known: Mapping[str, object], given: str) -> str:
    hint = did_you_mean(given, known)
    if hint:
        return f"{what} không có trong danh sách đơn vị{hint}"
    sample = ", ".join(list(known)[:8])
    return f"{what} không có trong danh sách đơn vị (có: {sample}{'…' if len(known) > 8 else ''})"


def _check_contacts(c: Campaign, reg: Registry) -> list[Problem]:
    targeted = set(participants(c, reg))
    if c.organizer in reg:
        targeted.add(c.organizer)
    missing = [u.code for u in reg if u.code in targeted and not u.contacts]
    if not missing:
        return []
    shown = ", ".join(missing[:20]) + ("…" if len(missing) > 20 else "")
    return [
        Problem(
            "participants",
            f"{len(missing)} đơn vị được nhắm tới nhưng không có địa chỉ liên hệ (contacts): {shown}",
        )
    ]


def _check_dates(c: Campaign, *, launch_known: bool = True) -> list[Problem]:
    out: list[Problem] = []
    occs, problems = occurrences(c)
    out += problems
    launch = c.launch_date
    period = c.period
    reviews: list[tuple[MilestoneKind, Occurrence]] = []
    for i, m in enumerate(c.milestones):
        path = f"milestones[{i}]"
        needs_year = m.when.needs_year or m.when.needs_quarter
        if needs_year and m.recurrence is None:
            out.append(
                Problem(
                    f"{path}.when",
                    "thiếu năm; hãy ghi đủ năm hoặc khai báo recurrence",
                    m.when.text,
                )
            )
        # Listed dates (Recurrence(on=[…])) are complete days by definition.
        if m.recurrence is not None and not needs_year and m.recurrence.every != "dates":
            out.append(
                Problem(
                    f"{path}.when",
                    "mốc lặp lại (recurrence) cần ngày không kèm năm, ví dụ “15/12”",
                    m.when.text,
                )
            )
        if m.recurrence and m.recurrence.every == "yearly" and m.when.needs_quarter:
            out.append(
                Problem(
                    f"{path}.when", "mốc lặp hằng năm không dùng được ngày theo quý", m.when.text
                )
            )
    for occ in occs:
        m = occ.milestone
        path = _milestone(c, m)
        when = f"{path}.{'due' if m.due else 'when'}"
        shown = occ.span.phrase + (f" ({occ.label})" if occ.label else "")
        # Checks of the file against itself read the days as written, not as moved.
        if launch_known and m.kind is not MilestoneKind.LAUNCH and occ.written < launch:
            out.append(
                Problem(
                    when,
                    f"hạn {format_short(occ.written)} trước ngày phát động {format_short(launch)}",
                    shown,
                )
            )
        if m.kind is MilestoneKind.LAUNCH and occ.opens > period.end:
            out.append(Problem(when, "ngày phát động sau khi kết thúc thời gian thực hiện", shown))
        if (
            m.kind in _INSIDE_PERIOD
            and m.kind is not MilestoneKind.LAUNCH
            # The written day: a period ending on a Sunday is not the admin's mistake.
            and (occ.written > period.end or occ.opens < period.start)
        ):
            out.append(
                Problem(
                    when,
                    f"{m.kind.label} phải nằm trong thời gian thực hiện "
                    f"({format_short(period.start)} – {format_short(period.end)})",
                    shown,
                )
            )
        if m.kind in (MilestoneKind.REPORT, MilestoneKind.NOMINATION, MilestoneKind.SUMMARY) and (
            occ.written < period.start
        ):
            out.append(Problem(when, "hạn trước khi bắt đầu thời gian thực hiện", shown))
        if m.kind in (MilestoneKind.REVIEW, MilestoneKind.SUMMARY):
            reviews.append((m.kind, occ))
    last_review = max((o.written for k, o in reviews if k is MilestoneKind.REVIEW), default=None)
    for kind, occ in reviews:
        if kind is MilestoneKind.SUMMARY and last_review and occ.written < last_review:
            out.append(
                Problem(
                    f"{_milestone(c, occ.milestone)}.when",
                    f"tổng kết ({format_short(occ.written)}) trước sơ kết ({format_short(last_review)})",
                    occ.span.phrase,
                )
            )
    return out


def _milestone(c: Campaign, m: object) -> str:
    """`milestones[i]` of a milestone of `c` (the loader names it as the file does)."""
    return f"milestones[{next(i for i, x in enumerate(c.milestones) if x is m)}]"


def _check_reminders(c: Campaign, reg: Registry) -> list[Problem]:
    """Reminders before the launch cannot be sent: the units have not been told yet."""
    launch = c.launch_date
    plan = compile_plan(c, reg)
    out = []
    seen: set[tuple[str, str]] = set()
    for a in plan.actions:
        if (
            a.kind is ActionKind.REMINDER
            and a.day < launch
            and (a.milestone, a.occurrence) not in seen
        ):
            seen.add((a.milestone, a.occurrence))
            index = next(i for i, m in enumerate(c.milestones) if m.key == a.milestone)
            out.append(
                Problem(
                    f"milestones[{index}].reminders",
                    f"lời nhắc ngày {format_short(a.day)} rơi trước ngày phát động "
                    f"{format_short(launch)}; hãy bỏ bớt hoặc rút ngắn lời nhắc",
                    [o.label() for o in c.milestones[index].reminders],
                )
            )
    return out


def _check_optional(c: Campaign) -> list[Problem]:
    """An escalation on an optional milestone is never sent: say so rather than drop it."""
    return [
        Problem(
            f"milestones[{i}].escalation",
            "mốc không bắt buộc (đơn vị có thể không đề nghị khen thưởng) nên không báo cáo "
            "cấp trên về đơn vị chưa nộp; ghi required=True nếu mọi đơn vị phải nộp",
            severity="warning",
        )
        for i, m in enumerate(c.milestones)
        if m.escalation is not None and not m.is_required
    ]


def _check_quotas(c: Campaign, reg: Registry, *, counted: bool = True) -> list[Problem]:
    out: list[Problem] = []
    # Codes, not units: a registry read from its compiled cache builds each unit on demand,
    # and a list of them all would hold the whole registry at once.
    members = participants(c, reg)
    for i, award in enumerate(c.awards):
        q = award.quota
        if q is None:
            continue
        path = f"awards[{i}].quota"
        too_big = [("per_unit", q.per_unit)] if q.per_unit and q.per_unit > MAX_QUOTA else []
        too_big += [(f"overrides[{code}]", n) for code, n in q.overrides.items() if n > MAX_QUOTA]
        for where, number in too_big:
            # a typo, and a number the state store (64-bit integers) may not hold
            out.append(
                Problem(
                    f"{path}.{where}",
                    f"số lượng khen thưởng quá lớn; mỗi đơn vị không quá {MAX_QUOTA} suất",
                    number,
                )
            )
        if q.per_unit == 0 and not q.overrides:
            out.append(Problem(f"{path}.per_unit", "số lượng 0: không đơn vị nào được đề nghị", 0))
        if q.max_ratio is not None and counted:
            base = _ratio_base(q.ratio_of, members, reg)
            if base is None:
                out.append(
                    Problem(
                        f"{path}.ratio_of",
                        "tỉ lệ tính theo số người cần biên chế (headcount) của mọi đơn vị tham gia",
                        q.ratio_of,
                    )
                )
            elif math.floor(base * q.max_ratio + 1e-9) < 1:
                out.append(
                    Problem(
                        f"{path}.max_ratio",
                        f"tỉ lệ {q.max_ratio:.0%} của {base} đối tượng tham gia chưa được 1 suất",
                        f"{q.max_ratio:.0%}",
                    )
                )
    return out


def _ratio_base(of: str, members: tuple[str, ...], reg: Registry) -> int | None:
    if of == "units":
        return len(members)
    counts = [reg.unit(code).headcount for code in members]
    if any(n is None for n in counts):
        return None
    people = sum(n for n in counts if n is not None)
    return people + len(members) if of == "units_and_headcount" else people


def _check_parent(c: Campaign, parent: Campaign) -> list[Problem]:
    out: list[Problem] = []
    if c.period.start < parent.period.start or c.period.end > parent.period.end:
        out.append(
            Problem(
                "period",
                f"thời gian thực hiện vượt ra ngoài kế hoạch cấp trên {parent.code} "
                f"({format_short(parent.period.start)} – {format_short(parent.period.end)})",
                c.period.phrase,
                severity="warning",
            )
        )
    mine, _ = occurrences(c)
    theirs, _ = occurrences(parent)
    for occ in mine:
        for other in theirs:
            if (
                other.milestone.kind is occ.milestone.kind
                and other.key == occ.key
                and (occ.due >= other.due)
                and occ.milestone.kind is not MilestoneKind.LAUNCH
            ):
                out.append(
                    Problem(
                        f"{_milestone(c, occ.milestone)}.when",
                        f"hạn {_effective(occ)} không trước hạn cùng loại của kế hoạch cấp trên "
                        f"{parent.code} ({_effective(other)}); đơn vị cần thời gian tổng hợp",
                        occ.span.phrase,
                    )
                )
    return out


def _effective(occ: Occurrence) -> str:
    """“25/05/2026”, or “25/05/2026 (theo văn bản 24/05/2026)” when the rule moved it."""
    shown = format_short(occ.due)
    return f"{shown} (theo văn bản {format_short(occ.written)})" if occ.moved else shown


def _check_files(c: Campaign, base: Path) -> list[Problem]:
    out = []
    if c.document and not (base / c.document).is_file():
        out.append(Problem("document", "không tìm thấy tệp văn bản kế hoạch", c.document))
    for i, m in enumerate(c.milestones):
        for j, name in enumerate(m.attachments):
            if not (base / name).is_file():
                out.append(Problem(f"milestones[{i}].attachments[{j}]", "không tìm thấy tệp", name))
    return out
