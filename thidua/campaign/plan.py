"""Compile a campaign into its dated actions: a pure function of spec, registry, calendar.

Every later stage (scheduling on Prefect, notifications, the status board) works
from these actions. An action's `key` is stable across recompilations as long as
its milestone, occurrence and offset do not change, so a redeploy can tell which
runs moved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TypedDict
from zoneinfo import ZoneInfo

from thidua.campaign.audience import audience, expand, participants
from thidua.campaign.kinds import DeadlineRule, MilestoneKind, Requirement
from thidua.campaign.spec import Campaign, Milestone
from thidua.dates.offset import Offset
from thidua.dates.phrases import Phrase
from thidua.dates.recurrence import ROMAN as ROMAN
from thidua.dates.recurrence import Slot
from thidua.dates.recurrence import occurrence_label as recurrence_label
from thidua.dates.recurrence import resolve as resolve_in
from thidua.dates.recurrence import slots as recurrence_slots
from thidua.dates.span import DateSpan
from thidua.dates.workdays import WorkCalendar, vietnam_calendar
from thidua.dates.written import days_left_label, format_short
from thidua.errors import PhraseError, Problem
from thidua.registry import Registry

TZ = "Asia/Ho_Chi_Minh"


class ActionKind(StrEnum):
    LAUNCH = "launch"
    OPEN = "open"
    REMINDER = "reminder"
    DUE = "due"
    OVERDUE = "overdue"
    ESCALATION = "escalation"
    EVENT = "event"
    COMPILE = "compile"


#: Default Jinja2 template (notifications/templates/<name>) for each action kind.
DEFAULT_TEMPLATES: dict[ActionKind, str] = {
    ActionKind.LAUNCH: "launch",
    ActionKind.OPEN: "open",
    ActionKind.REMINDER: "reminder",
    ActionKind.DUE: "due_today",
    ActionKind.OVERDUE: "overdue",
    ActionKind.ESCALATION: "escalation",
    ActionKind.EVENT: "event",
    ActionKind.COMPILE: "summary_results",
}

_SUBJECTS: dict[MilestoneKind, str] = {
    MilestoneKind.IMPLEMENTING_PLAN: "nộp kế hoạch triển khai",
    MilestoneKind.REPORT: "nộp báo cáo",
    MilestoneKind.NOMINATION: "nộp hồ sơ",
    MilestoneKind.REVIEW: "nộp báo cáo sơ kết",
    MilestoneKind.SUMMARY: "nộp báo cáo tổng kết",
}


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One dated instance of a milestone (a recurring one has several).

    `due` is the effective deadline, the one every notice, stamp and board uses: the
    written last day moved by the deadline rule when it is not a working day.
    `due_written` is the last day as the plan writes it.
    """

    milestone: Milestone
    key: str  # "" one-off; "2027" yearly, "2027-H1" six-monthly, "2027-Q4", "2027-03"…
    opens: date
    due: date
    span: DateSpan
    due_written: date | None = None  # None: the same as `due`
    rule: DeadlineRule = DeadlineRule.AS_WRITTEN

    @property
    def label(self) -> str:
        return occurrence_label(self.key)

    @property
    def written(self) -> date:
        """The last day as written in the plan."""
        return self.due_written or self.due

    @property
    def moved(self) -> bool:
        """Whether the deadline rule moved the written last day."""
        return self.written != self.due

    @property
    def has_window(self) -> bool:
        """True when submissions open on a day of their own (not just “by day X”).

        Judged on the written dates: a deadline moved off a Sunday is still one day.
        """
        return self.opens < self.written or self.milestone.opens is not None


def effective_deadline(written: date, rule: DeadlineRule, cal: WorkCalendar) -> date:
    """The day a deadline really ends under `rule` (BLDS 2015, Điều 148 by default)."""
    if rule is DeadlineRule.NEXT_WORKING_DAY:
        return cal.next_working_day(written)
    if rule is DeadlineRule.PREVIOUS_WORKING_DAY:
        return cal.previous_working_day(written)
    return written


def deadline_rule(campaign: Campaign, m: Milestone) -> DeadlineRule:
    """The rule of a milestone: its own, else the campaign's; events and launches keep
    their day (they are dates of something happening, not the end of a period)."""
    if m.requirement is Requirement.NONE:
        return DeadlineRule.AS_WRITTEN
    return m.deadline_rule or campaign.deadline_rule


def occurrence_label(key: str) -> str:
    """“năm 2027” for "2027", “quý IV/2027” for "2027-Q4", “6 tháng đầu năm 2027” for
    "2027-H1"…; "" for a one-off milestone (see `thidua.dates.recurrence`)."""
    return recurrence_label(key)


@dataclass(frozen=True, slots=True)
class Action:
    """One thing to do at one time: a notice to an audience, or the organizer's summary."""

    key: str
    campaign: str
    milestone: str
    occurrence: str
    kind: ActionKind
    at: datetime
    title: str
    template: str
    audience: str  # participants | organizer | supervisor | group_head | units
    recipients: tuple[str, ...]
    due: date | None = None
    opens: date | None = None
    days_left: int | None = None
    requirement: Requirement = Requirement.NONE
    moved_from: date | None = None  # the day it would fall on without working-day shifts
    due_written: date | None = None  # the deadline as written, when the rule moved it

    @property
    def day(self) -> date:
        return self.at.date()

    def run_name(self) -> str:
        """The flow-run name operators see: `641/KH-UBND · Nhắc hạn nộp hồ sơ (còn 3 ngày) · 22/05/2026`."""
        return f"{self.campaign} · {self.title} · {self.at:%d/%m/%Y}"


@dataclass
class Plan:
    """All actions of a campaign in time order, and the occurrences they came from."""

    campaign: Campaign
    actions: list[Action]
    occurrences: list[Occurrence]
    participants: tuple[str, ...]
    problems: list[Problem] = field(default_factory=list)


# --- audience --------------------------------------------------------------------


def _escalation_recipients(
    to: str, campaign: Campaign, registry: Registry, members: tuple[str, ...]
) -> tuple[str, ...]:
    if to == "organizer":
        return (campaign.organizer,)
    found: dict[str, None] = {}
    for code in members:
        if to == "supervisor":
            sup = registry.supervisor(code)
            if sup is not None:
                found[sup.code] = None
        elif to == "group_head":
            found.update((h.code, None) for h in registry.group_heads(code))
        else:
            return expand([to], registry)
    return tuple(found)


# --- occurrences -----------------------------------------------------------------


def occurrences(
    campaign: Campaign, *, calendar: WorkCalendar | None = None
) -> tuple[list[Occurrence], list[Problem]]:
    """Resolve every milestone (and recurrence) to opening and (effective) due days.

    Nothing happens before the plan exists: a milestone given as a period that begins
    before the issue date (“quý IV/2025” in a plan issued 05/11/2025) opens on the issue
    date; an exact day before it is refused unless the milestone says `before_issued`.
    """
    cal = calendar or vietnam_calendar()
    out: list[Occurrence] = []
    problems: list[Problem] = []
    period = campaign.period
    issued = campaign.issued.start
    for index, m in enumerate(campaign.milestones):
        path = f"milestones[{m.id or index}]"
        rule = deadline_rule(campaign, m)
        rec = m.recurrence
        every = rec.every if rec else None
        if rec is None:
            slots: list[Slot | None] = [None]
        else:
            slots = list(
                recurrence_slots(
                    rec.every,
                    rec.start or period.start.year,
                    rec.until or period.end.year,
                    list(rec.on),
                )
            )
            if not slots:
                problems.append(
                    Problem(f"{path}.recurrence", "không có lần lặp nào trong thời gian thực hiện")
                )
        for slot in slots:
            when = m.when
            if slot is not None and slot.index is not None and rec is not None and rec.on:
                when = rec.on[slot.index]
            try:
                span = resolve_in(when, slot, every)
                opens = resolve_in(m.opens, slot, every).start if m.opens else span.start
                due = resolve_in(m.due, slot, every).end if m.due else span.end
            except PhraseError as exc:
                problems.append(Problem(f"{path}.when", str(exc), m.when.text))
                continue
            if (
                rec is not None
                and not _explicit_range(m)
                and not (period.start <= due <= period.end)
            ):
                continue
            if opens < issued and not m.before_issued:
                if rec is not None and due < issued:
                    continue  # a repetition due before the plan existed is not owed
                exact = span.is_day and m.opens is None
                if exact or due < issued:
                    # Reported, and kept, so that the other checks of the day still speak.
                    problems.append(_before_issue(path, m, when, span, due, issued, exact))
                else:
                    opens = issued  # a period begun before the plan starts on its issue date
            if due < opens:
                problems.append(
                    Problem(
                        f"{path}.due", "hạn nộp trước ngày bắt đầu", m.due.text if m.due else ""
                    )
                )
                continue
            effective = effective_deadline(due, rule, cal)
            # Moved back before the opening day: an error only where there is a window; a
            # plain “by day X” (opens == due) has no opening day to respect.
            if effective < opens and (opens < due or m.opens is not None):
                problems.append(
                    Problem(
                        f"{path}.deadline_rule",
                        f"theo quy tắc “{rule.label}”, hạn {effective:%d/%m/%Y} trước ngày "
                        f"bắt đầu nhận {opens:%d/%m/%Y}",
                        rule.value,
                    )
                )
                continue
            key = slot.key if slot is not None else ""
            out.append(Occurrence(m, key, opens, effective, span, due, rule))
    return out, problems


def _before_issue(
    path: str, m: Milestone, when: Phrase, span: DateSpan, due: date, issued: date, exact: bool
) -> Problem:
    if exact:
        return Problem(
            f"{path}.when",
            f"ngày {format_short(span.start)} trước ngày ban hành {format_short(issued)}; nếu "
            "đúng là mốc đã diễn ra trước khi ban hành, ghi before_issued=True",
            when.text,
        )
    return Problem(
        f"{path}.{'due' if m.due else 'when'}",
        f"hạn {format_short(due)} trước ngày ban hành {format_short(issued)}; nếu đúng là "
        "mốc đã diễn ra trước khi ban hành, ghi before_issued=True",
        (m.due or when).text,
    )


def _explicit_range(m: Milestone) -> bool:
    return bool(m.recurrence and (m.recurrence.start or m.recurrence.until))


# --- compile ---------------------------------------------------------------------


def compile_plan(
    campaign: Campaign,
    registry: Registry,
    *,
    calendar: WorkCalendar | None = None,
    notice_time: time = time(8, 0),
) -> Plan:
    """The ordered, dated actions of `campaign`; pure given its arguments."""
    cal = calendar or vietnam_calendar()
    tz = ZoneInfo(TZ)
    members = participants(campaign, registry)
    occs, problems = occurrences(campaign, calendar=cal)
    builder = _Builder(campaign, registry, cal, tz, campaign.notice_time or notice_time, members)
    for occ in occs:
        builder.add_occurrence(occ)
    order = {m.key: i for i, m in enumerate(campaign.milestones)}
    kinds = list(ActionKind)
    actions = sorted(
        builder.actions, key=lambda a: (a.at, order[a.milestone], a.occurrence, kinds.index(a.kind))
    )
    return Plan(campaign, actions, occs, members, problems)


class _Addressed(TypedDict):
    """Whom an occurrence's actions address: the keyword arguments every `_add` shares."""

    occurrence: Occurrence
    audience: str
    recipients: tuple[str, ...]


class _Builder:
    def __init__(
        self,
        campaign: Campaign,
        registry: Registry,
        cal: WorkCalendar,
        tz: ZoneInfo,
        at: time,
        members: tuple[str, ...],
    ) -> None:
        self.campaign = campaign
        self.registry = registry
        self.cal = cal
        self.tz = tz
        self.time = at
        self.members = members
        self.shift = campaign.working_days_only
        self.actions: list[Action] = []

    def back(self, d: date) -> date:
        return self.cal.previous_working_day(d) if self.shift else d

    def forward(self, d: date) -> date:
        return self.cal.next_working_day(d) if self.shift else d

    def add_occurrence(self, occ: Occurrence) -> None:
        m = occ.milestone
        audience, recipients = self._audience(m)
        base: _Addressed = {
            "occurrence": occ,
            "audience": audience,
            "recipients": recipients,
        }
        if m.kind is MilestoneKind.LAUNCH:
            self._add(ActionKind.LAUNCH, self.forward(occ.opens), occ.opens, m.label, **base)
            return
        subject = self._subject(m, occ)
        needs_submission = m.requirement is not Requirement.NONE
        if not needs_submission:
            self._add(ActionKind.EVENT, self.forward(occ.opens), occ.opens, m.label, **base)
            taken = {self.forward(occ.opens)}
        else:
            taken = set()
            if occ.has_window and occ.opens < occ.due:
                day = self.forward(occ.opens)
                self._add(
                    ActionKind.OPEN, day, occ.opens, self._open_title(m, occ, subject), **base
                )
                taken.add(day)
            due_day = self.back(occ.due)
            if due_day == occ.due:
                self._add(ActionKind.DUE, due_day, occ.due, f"Hết hạn {subject} hôm nay", **base)
            elif due_day not in taken and not (occ.has_window and due_day < occ.opens):
                left = (occ.due - due_day).days
                self._add(
                    ActionKind.DUE,
                    due_day,
                    occ.due,
                    f"Sắp hết hạn {subject} ({days_left_label(left)})",
                    **base,
                )
            taken.add(due_day)
        for offset in sorted(m.reminders, key=lambda o: (o.days, o.working), reverse=True):
            raw = self.cal.subtract(occ.due, offset)
            day = self.back(raw)
            if day in taken or day >= occ.due:
                continue
            taken.add(day)
            left = (occ.due - day).days
            noun = subject if needs_submission else f"{_named(m)} ({occ.due:%d/%m/%Y})"
            self._add(
                ActionKind.REMINDER,
                day,
                raw,
                f"Nhắc hạn {noun} ({days_left_label(left)})",
                offset=offset,
                **base,
            )
        # The organizer does not owe itself anything, and a unit that chose not to take up
        # an optional milestone (nominating) owes nothing: no overdue notice or escalation.
        if not needs_submission or audience == "organizer" or not m.is_required:
            self._compile(m, occ, base)
            return
        if m.overdue_notice:
            raw = occ.due + timedelta(days=1)
            self._add(ActionKind.OVERDUE, self.forward(raw), raw, f"Quá hạn {subject}", **base)
        if m.escalation is not None:
            raw = self.cal.add(occ.due, m.escalation.after)
            to = m.escalation.to
            self._add(
                ActionKind.ESCALATION,
                self.forward(raw),
                raw,
                f"Báo cáo cấp trên: đơn vị chưa {subject}",
                occurrence=occ,
                audience=to if to in ("supervisor", "group_head", "organizer") else "units",
                recipients=_escalation_recipients(to, self.campaign, self.registry, recipients),
            )
        self._compile(m, occ, base)

    def _compile(self, m: Milestone, occ: Occurrence, base: _Addressed) -> None:
        """After a sơ kết or tổng kết is due, the organizer compiles the results."""
        if m.kind in (MilestoneKind.REVIEW, MilestoneKind.SUMMARY):
            raw = occ.due + timedelta(days=1)
            self._add(
                ActionKind.COMPILE,
                self.forward(raw),
                raw,
                f"Tổng hợp kết quả {m.kind.label}{_suffix(occ)}",
                occurrence=base["occurrence"],
                audience="organizer",
                recipients=(self.campaign.organizer,),
            )

    def _audience(self, m: Milestone) -> tuple[str, tuple[str, ...]]:
        """How the actions name their audience, and its units."""
        recipients = audience(self.campaign, self.registry, m, members=self.members)
        if m.audience in ("participants", "organizer") and not m.charged_with:
            return str(m.audience), recipients
        return "units", recipients

    def _subject(self, m: Milestone, occ: Occurrence) -> str:
        subject = _named(m) if m.title else _SUBJECTS.get(m.kind, m.kind.label)
        return subject + _suffix(occ)

    @staticmethod
    def _open_title(m: Milestone, occ: Occurrence, subject: str) -> str:
        if m.title is None and m.kind in (MilestoneKind.REVIEW, MilestoneKind.SUMMARY):
            return f"Triển khai {m.kind.label}{_suffix(occ)}"
        return f"Bắt đầu {subject}"

    def _add(
        self,
        kind: ActionKind,
        day: date,
        raw: date,
        title: str,
        *,
        occurrence: Occurrence,
        audience: str,
        recipients: tuple[str, ...],
        offset: Offset | None = None,
    ) -> None:
        m = occurrence.milestone
        parts = [m.key, occurrence.key or "-", kind.value]
        if offset is not None:
            parts.append(f"{offset.days}{'wd' if offset.working else 'd'}")
        requirement = m.requirement if kind is not ActionKind.COMPILE else Requirement.NONE
        self.actions.append(
            Action(
                key="/".join(parts),
                campaign=self.campaign.code,
                milestone=m.key,
                occurrence=occurrence.key,
                kind=kind,
                at=datetime.combine(day, m.time or self.time, self.tz),
                title=title,
                template=m.template
                if m.template and kind is not ActionKind.COMPILE
                else DEFAULT_TEMPLATES[kind],
                audience=audience,
                recipients=recipients,
                due=occurrence.due if kind is not ActionKind.LAUNCH else None,
                due_written=occurrence.written
                if kind is not ActionKind.LAUNCH and occurrence.moved
                else None,
                # A plain “by day X” deadline has no opening day of its own: templates that
                # say “từ … đến …” must not read its start (or a moved deadline) as a window.
                opens=occurrence.opens if occurrence.has_window or kind in _OPENS_ALWAYS else None,
                days_left=(occurrence.due - day).days if kind is not ActionKind.LAUNCH else None,
                requirement=requirement,
                moved_from=raw if raw != day else None,
            )
        )


#: Kinds whose `opens` is the day something happens, window or not.
_OPENS_ALWAYS = frozenset({ActionKind.LAUNCH, ActionKind.EVENT, ActionKind.OPEN})


def _named(m: Milestone) -> str:
    """A milestone in a run name: its title quoted as written (a title is a name: lowering
    its first letter breaks proper nouns, “Sở Nội vụ…”, and quoting keeps the period label
    from doubling its last word, “… quý” quý I/2026); untitled, its kind in lower case."""
    return f"“{m.title}”" if m.title else m.kind.label


def _suffix(occ: Occurrence) -> str:
    return f" {occ.label}" if occ.label else ""
