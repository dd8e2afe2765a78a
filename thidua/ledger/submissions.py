"""Submissions: a unit hands in what a milestone occurrence asks for, stamped against its window.

`prepare` is the whole validation and needs no store: the unit takes part, the
milestone asks for something, the occurrence exists, the time is on time / late /
early against the occurrence ("trong ngày 03 và ngày 04 tháng 7 năm 2023" accepts
only those two days), a milestone with ``late="refuse"`` refuses outside it, the
target figures fit their `Target` (`thidua.ledger.figures`), the files are what they
claim. `record` then stores the files and the row in one go: nothing is written when
anything fails. Reading and stamping times is `thidua.ledger.timing`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thidua.campaign.audience import audience
from thidua.campaign.kinds import Requirement
from thidua.campaign.plan import Occurrence, occurrences
from thidua.campaign.spec import Campaign, Milestone
from thidua.clock import now as clock_now
from thidua.dates.written import format_short
from thidua.errors import OutsideWindow, SubmissionError, ThiduaError, quote
from thidua.ledger.duplicates import DuplicateSubmission
from thidua.ledger.figures import (
    Figure,
    validate_figures,
)
from thidua.ledger.registration import check_registered
from thidua.ledger.sent_documents import SentDocument, check_sent_document
from thidua.ledger.statuses import SubmissionSource, SubmissionTiming
from thidua.ledger.timing import (
    FUTURE_TOLERANCE,
    local_text,
    local_zone,
    parse_time,
    stamp,
    timing_text,
    window_text,
)
from thidua.registry import Registry
from thidua.text.fold import fold_words

if TYPE_CHECKING:
    from sqlmodel import Session

    from thidua.campaign.loading import LoadedCampaign
    from thidua.ledger.files import FileBatch
    from thidua.store.models import Submission

#: The submission ledger's public names; figures, times, the errors and the duplicate refusal
#: have their own modules (`figures`, `timing`, `thidua.errors`, `duplicates`), listed here
#: for its callers.
__all__ = [
    "Prepared",
    "Receipt",
    "find_milestone",
    "find_occurrence",
    "find_unit",
    "prepare",
    "record",
    "save",
]


# --- occurrences, milestones, units ------------------------------------------------


def _occurrence_choice(occ: Occurrence) -> str:
    label = f"{occ.label}, " if occ.label else ""
    return f"{occ.key or '-'} ({label}{window_text(occ)})"


def _norm(text: str) -> str:
    """A key or label as compared: “Quý IV/2027” and “quy-iv-2027” are the same."""
    return fold_words(text, "")


def find_occurrence(
    spec: Campaign, milestone: Milestone, key: str | None, at: datetime, *, tz: Any = None
) -> Occurrence:
    """The occurrence `key` (or label: “quý IV/2027”) of the milestone; without one, the only
    occurrence or the one whose window holds the submission day; else an error listing them."""
    occs = [o for o in occurrences(spec)[0] if o.milestone.key == milestone.key]
    if not occs:
        raise SubmissionError(
            f"mốc “{milestone.key}” không có kỳ nào trong thời gian thực hiện",
            field="occurrence",
            value=key or "",
        )
    choices = "; ".join(_occurrence_choice(o) for o in occs)
    if key is not None and key.strip() not in ("", "-"):
        wanted = _norm(key)
        for occ in occs:
            if wanted in (_norm(occ.key), _norm(occ.label)) and occ.key:
                return occ
        if len(occs) == 1 and not occs[0].key:
            raise SubmissionError(
                f"mốc “{milestone.key}” chỉ có một lần, không chia kỳ; bỏ kỳ {quote(key)}",
                field="occurrence",
                value=key,
            )
        raise SubmissionError(
            f"mốc “{milestone.key}” không có kỳ {quote(key)}; các kỳ: {choices}",
            field="occurrence",
            value=key,
        )
    if len(occs) == 1:
        return occs[0]
    day = at.astimezone(local_zone(tz)).date()
    # min(): a plain deadline moved back to the previous working day opens after it ends.
    holding = [o for o in occs if min(o.opens, o.due) <= day <= o.due]
    if len(holding) == 1:
        return holding[0]
    raise SubmissionError(
        f"mốc “{milestone.key}” có {len(occs)} kỳ và ngày nộp {format_short(day)} không nằm "
        f"trong kỳ nào; hãy ghi rõ kỳ: {choices}",
        field="occurrence",
        value="",
    )


def find_milestone(spec: Campaign, key: str) -> Milestone:
    """The milestone `key` that asks units to submit something; an error listing them otherwise."""
    wanted = str(key).strip()
    owing = [m for m in spec.milestones if m.requirement is not Requirement.NONE]
    listed = ", ".join(f"{m.key} ({m.label})" for m in owing) or "không có"
    for m in spec.milestones:
        if m.key == wanted or _norm(m.key) == _norm(wanted):
            if m.requirement is Requirement.NONE:
                raise SubmissionError(
                    f"mốc “{m.key}” ({m.label}) không yêu cầu nộp gì; các mốc phải nộp: {listed}",
                    field="milestone",
                    value=key,
                )
            return m
    raise SubmissionError(
        f"chiến dịch {spec.code} không có mốc {quote(wanted)}; các mốc phải nộp: {listed}",
        field="milestone",
        value=key,
    )


def find_unit(
    spec: Campaign, registry: Registry, milestone: Milestone, code: str
) -> tuple[str, str]:
    """(code, name) of a unit that owes the milestone; an error naming the unit otherwise."""
    wanted = str(code).strip()
    if not wanted or wanted not in registry:
        raise SubmissionError(
            f"không có đơn vị {quote(wanted)} trong danh sách đơn vị của chiến dịch {spec.code} "
            f"({registry.source})",
            field="unit",
            value=code,
        )
    unit = registry.unit(wanted)
    if unit.code not in audience(spec, registry, milestone):
        raise SubmissionError(
            f"đơn vị “{unit.code}” ({unit.name}) không thuộc đối tượng phải nộp của mốc "
            f"“{milestone.key}” ({milestone.label})",
            field="unit",
            value=code,
        )
    return unit.code, unit.name


# --- prepare --------------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """A submission that passed every check and can be recorded as is."""

    campaign_code: str
    unit_code: str
    unit_name: str
    milestone: Milestone
    occurrence: Occurrence
    submitted_at: datetime  # UTC
    timing: SubmissionTiming
    days: int  # how late or early; 0 when on time
    figures: dict[str, Figure] = field(default_factory=dict)
    files: tuple[Path, ...] = ()
    note: str | None = None
    recorded_by: str | None = None
    source: str = "cli"
    replace: bool = False
    #: An official document sent through the e-document system instead of a file.
    document: SentDocument | None = None

    @property
    def requirement(self) -> Requirement:
        return self.milestone.requirement

    def key(self) -> tuple[str, str, str, str]:
        """(campaign, milestone, occurrence, unit): what makes two submissions the same."""
        return (self.campaign_code, self.milestone.key, self.occurrence.key, self.unit_code)

    def describe(self) -> str:
        """“Sở Y tế nộp báo cáo cho mốc “…” lúc 16:30 ngày 10/07/2023 (thứ Hai) — đúng hạn”."""
        occ = f" {self.occurrence.label}" if self.occurrence.label else ""
        return (
            f"{self.unit_name} nộp {self.requirement.label} cho mốc “{self.milestone.label}”{occ} "
            f"lúc {local_text(self.submitted_at)} — {timing_text(self.timing, self.days)}"
        )

    def figures_json(self) -> dict[str, Any]:
        return {code: fig.to_json() for code, fig in self.figures.items()}


def _refusal(
    prep_unit: str,
    milestone: Milestone,
    occ: Occurrence,
    at: datetime,
    timing: SubmissionTiming,
    days: int,
) -> str:
    how = f"trễ hạn {days} ngày" if timing is SubmissionTiming.LATE else f"sớm {days} ngày"
    which = f" {occ.label}" if occ.label else ""
    return (
        f"không nhận: {prep_unit} nộp lúc {local_text(at)}, {how}; mốc “{milestone.label}”{which} "
        f"chỉ nhận {window_text(occ)} và không nhận bản nộp ngoài thời gian này"
    )


def prepare(
    loaded: LoadedCampaign,
    *,
    unit: str,
    milestone: str,
    occurrence: str | None = None,
    submitted_at: str | datetime | None = None,
    figures: Mapping[str, Any] | None = None,
    files: Iterable[str | Path] = (),
    note: str | None = None,
    recorded_by: str | None = None,
    source: str = "cli",
    replace: bool = False,
    now: datetime | None = None,
    check_files: bool = True,
    doc_number: str | None = None,
    doc_date: str | date | None = None,
    require_content: bool = False,
) -> Prepared:
    """Check a submission completely, without touching the store; SubmissionError if wrong.

    `doc_number` / `doc_date`: the official document sent through the e-document system
    (`thidua.ledger.sent_documents`). `require_content`: the unit itself hands this in (the
    portal), so a report or plan must come with a file or a document, a registration with
    a level or a commitment; an office clerk may record one that came on paper.
    """
    spec, registry = loaded.spec, loaded.registry
    zone = local_zone(None)
    now = now or clock_now()
    if source not in {s.value for s in SubmissionSource}:
        raise SubmissionError(f"nguồn {quote(source)} không hợp lệ", field="source", value=source)
    m = find_milestone(spec, milestone)
    errors: list[SubmissionError] = []
    unit_code = unit_name = None
    try:
        unit_code, unit_name = find_unit(spec, registry, m, unit)
    except SubmissionError as exc:
        errors.append(exc)
    at: datetime | None = None
    try:
        at = now if submitted_at in (None, "") else parse_time(submitted_at, tz=zone)
        if at > now + FUTURE_TOLERANCE:
            raise SubmissionError(
                f"thời điểm nộp {local_text(at)} còn ở tương lai (bây giờ là {local_text(now)})",
                field="submitted_at",
                value=submitted_at,
            )
    except SubmissionError as exc:
        errors.append(exc)
        at = None
    occ = None
    if at is not None:
        try:
            occ = find_occurrence(spec, m, occurrence, at, tz=zone)
        except SubmissionError as exc:
            errors.append(exc)
    checked: dict[str, Figure] = {}
    if m.requirement is Requirement.REGISTRATION:
        # Registered levels, not results (thidua.ledger.registration).
        checked, issues = check_registered(spec, figures or {})  # type: ignore[assignment]
        errors += [SubmissionError(msg, field=f, value=v) for f, msg, v in issues]
    else:
        try:
            checked = validate_figures(
                spec, figures or {}, required=m.requirement is Requirement.TARGET_FIGURES
            )
        except SubmissionError as exc:
            errors.extend(exc.errors)
    paths = tuple(Path(f) for f in files)
    document, problems = check_sent_document(
        doc_number, doc_date, today=now.astimezone(zone).date()
    )
    errors += problems
    if require_content and not problems:
        errors += _missing_content(m, paths, document, figures or {}, note)
    if check_files:
        from thidua.ledger.files import check_file

        for path in paths:
            try:
                check_file(path)
            except ThiduaError as exc:
                errors.append(SubmissionError(str(exc), field="files", value=str(path)))
    if errors:
        raise SubmissionError.combine(errors)
    assert at is not None and occ is not None and unit_code and unit_name
    timing, days = stamp(occ, at, tz=zone)
    if timing is not SubmissionTiming.ON_TIME and m.late == "refuse":
        raise OutsideWindow(
            _refusal(unit_name, m, occ, at, timing, days),
            field="submitted_at",
            value=submitted_at if submitted_at not in (None, "") else local_text(at),
        )
    return Prepared(
        campaign_code=spec.code,
        unit_code=unit_code,
        unit_name=unit_name,
        milestone=m,
        occurrence=occ,
        submitted_at=at.astimezone(UTC),
        timing=timing,
        days=days,
        figures=checked,
        files=paths,
        note=str(note or "").strip() or None,
        recorded_by=str(recorded_by or "").strip() or None,
        source=source,
        replace=replace,
        document=document,
    )


def _missing_content(
    m: Milestone,
    paths: tuple[Path, ...],
    document: SentDocument | None,
    figures: Mapping[str, Any],
    note: str | None,
) -> list[SubmissionError]:
    """What a unit handing in `m` itself forgot: nothing at all to show for it."""
    wanted = m.requirement
    if wanted in (Requirement.REPORT, Requirement.IMPLEMENTING_PLAN) and not (paths or document):
        message = (
            f"mốc “{m.label}” yêu cầu nộp {wanted.label}: hãy đính kèm tệp hoặc ghi số hiệu "
            "và ngày của văn bản đã gửi qua hệ thống quản lý văn bản"
        )
        return [SubmissionError(message, field="files", value="")]
    typed = any(str(v).strip() for v in figures.values()) or str(note or "").strip()
    if wanted is Requirement.REGISTRATION and not typed:
        message = (
            f"mốc “{m.label}” yêu cầu {wanted.label}: hãy ghi mức đăng ký của ít nhất một "
            "chỉ tiêu hoặc các danh hiệu đơn vị đăng ký"
        )
        return [SubmissionError(message, field="figures", value="")]
    return []


# --- recording ------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """What was recorded, and the time of the record it replaced, if any."""

    submission: Submission
    prepared: Prepared
    replaced_recorded_at: datetime | None = None

    def message(self) -> str:
        """The one line the CLI, the import and the form show: “Đã ghi nhận: …”."""
        line = f"Đã ghi nhận: {self.prepared.describe()}"
        if self.replaced_recorded_at is not None:
            line += f" (thay thế bản ghi nhận lúc {local_text(self.replaced_recorded_at)})"
        files = self.submission.files or []
        if files:
            line += f"; {len(files)} tệp: " + ", ".join(f["name"] for f in files)
        if self.prepared.document is not None:
            line += f"; {self.prepared.document.text()}"
        return line


def save(session: Session, prepared: Prepared, batch: FileBatch) -> Receipt:
    """Store the files and the row in the caller's transaction (undo `batch` if it fails)."""
    from thidua.store import submission_rows

    campaign, milestone, occurrence, unit = prepared.key()
    where = {
        "campaign_code": campaign,
        "milestone": milestone,
        "occurrence": occurrence,
        "unit_code": unit,
    }
    existing = submission_rows.get_submission(session, **where)
    replaced_at = None
    if existing is not None:
        if not prepared.replace:
            raise DuplicateSubmission(
                existing, unit_name=prepared.unit_name, source=prepared.source
            )
        replaced_at = existing.recorded_at
    stored = [
        batch.store(p, campaign=campaign, milestone=milestone, occurrence=occurrence, unit=unit)
        for p in prepared.files
    ]
    try:
        row = submission_rows.add_submission(
            session,
            **where,
            submitted_at=prepared.submitted_at,
            timing=prepared.timing,
            requirement=prepared.requirement.value,
            files=stored,
            figures=prepared.figures_json(),
            source=prepared.source,
            recorded_by=prepared.recorded_by,
            note=prepared.note,
            replace=prepared.replace,
            doc_number=prepared.document.number if prepared.document else None,
            doc_date=prepared.document.day if prepared.document else None,
        )
    except submission_rows.SubmissionTaken as taken:  # a concurrent twin won the race
        raise DuplicateSubmission(
            taken.existing, unit_name=prepared.unit_name, source=prepared.source
        ) from None
    # Only now, with the row written (and its key locked until commit), do the copies
    # take their names: a concurrent submission refused as a duplicate never does.
    batch.place()
    row.files = [dict(info) for info in stored]  # the final paths `place` gave them
    session.add(row)
    session.flush()
    return Receipt(row, prepared, replaced_at)


def record(prepared: Prepared) -> Receipt:
    """Record one submission in its own transaction; its files are removed if that fails."""
    from thidua.ledger.files import FileBatch
    from thidua.store.db import session_scope

    batch = FileBatch(deferred=True)
    try:
        with session_scope() as session:
            receipt = save(session, prepared, batch)
    except BaseException:
        batch.undo()
        raise
    return receipt
