"""The sơ kết / tổng kết report, following the đề cương of seed 003, from a campaign's facts.

The content is built once as a list of blocks (headings, paragraphs, tables,
placeholders) with its letterhead and its annex tables (`thidua.documents.layout`);
`to_markdown` renders it for the Prefect artifact and `thidua.documents.docx` renders the
same blocks as an editable DOCX. What only a person can judge (strengths,
shortcomings, lessons) is a clearly marked placeholder. The wording is an office's:
no internal key, status code or “the system recorded” reaches the text
(tests/test_report_wording.py reads every shipped campaign's report for them).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from thidua.campaign.plan import occurrence_label
from thidua.campaign.spec import Campaign, NomineeKind
from thidua.dates.written import format_long, format_short, format_span
from thidua.documents.facts import (
    ACTION_STATUS_LABELS,
    NOMINATION_STATUS_LABELS,
    CampaignFacts,
    Period,
    ReportKind,
    TargetFacts,
)
from thidua.documents.issuer import IssuedBy, campaign_subject, issuer
from thidua.documents.issuer import word as campaign_word
from thidua.documents.layout import (
    MOTTO,
    NATIONAL_TITLE,
    Annex,
    Annexes,
    Block,
    Bullets,
    Heading,
    Letterhead,
    Paragraph,
    Placeholder,
    Report,
    Signature,
    Table,
    number,
    percent,
    slug,
    to_markdown,
)
from thidua.registry.units import Registry

__all__ = [
    "MOTTO",
    "NATIONAL_TITLE",
    "Annex",
    "Block",
    "Bullets",
    "Heading",
    "IssuedBy",
    "Letterhead",
    "Paragraph",
    "Placeholder",
    "Report",
    "Signature",
    "Table",
    "build_report",
    "make_report",
    "number",
    "percent",
    "to_markdown",
    "write_report_files",
]

# --- the report ---------------------------------------------------------------------


def build_report(facts: CampaignFacts, *, issued_by: IssuedBy = "to-chuc") -> Report:
    """The report of `facts`, following the đề cương: I. results, II. assessment, III, IV."""
    spec = facts.spec
    who = issuer(spec, facts.registry, issued_by, facts.today)
    subject = campaign_subject(spec)
    label = facts.period.label
    trich_yeu = f"{facts.kind.label.capitalize()} {subject}" + (f" ({label})" if label else "")
    word = campaign_word(spec)
    annexes = Annexes()
    blocks: list[Block] = [
        Paragraph(
            f"Thực hiện {spec.doc_reference} {format_long(spec.issued.start, weekday=False)} "
            f"của {spec.issuer} về {subject}, {who.name} báo cáo {facts.kind.label} "
            f"{word} thi đua" + (f" ({label})" if label else "") + " như sau:"
        ),
        Heading(1, f"I. KẾT QUẢ THỰC HIỆN {word.upper()} THI ĐUA"),
        *_direction(facts, word, annexes),
        Heading(2, f"2. Công tác tuyên truyền triển khai {word} thi đua"),
        Placeholder(
            "hình thức tuyên truyền, hội nghị quán triệt, số tin, bài, phóng sự về "
            f"{word} thi đua và các điển hình tiên tiến"
        ),
        *_results(facts, word, annexes),
        Heading(
            2,
            f"4. Tác động của {word} thi đua đối với kết quả thực hiện nhiệm vụ "
            "của cơ quan, đơn vị, địa phương",
        ),
        Placeholder(f"tác động của {word} thi đua đối với việc thực hiện nhiệm vụ chính trị"),
        *_awards(facts, word),
        Heading(1, "II. ĐÁNH GIÁ CHUNG"),
        Heading(2, "1. Ưu điểm"),
        Placeholder("những ưu điểm nổi bật"),
        Heading(2, "2. Hạn chế"),
        *_shortcomings(facts),
        Placeholder("những hạn chế, tồn tại"),
        Heading(2, "3. Nguyên nhân của hạn chế"),
        Placeholder("nguyên nhân chủ quan, khách quan của hạn chế"),
        Heading(1, "III. BÀI HỌC KINH NGHIỆM"),
        Placeholder("bài học kinh nghiệm rút ra"),
        Heading(1, "IV. ĐỀ XUẤT, KIẾN NGHỊ"),
        *_proposals(facts, word),
        Placeholder("đề xuất, kiến nghị khác với cấp trên"),
        Paragraph(
            f"Trên đây là báo cáo {facts.kind.label} {word} thi đua "
            f"{_short_subject(subject)} của {who.name}./."
        ),
    ]
    stem = f"{slug(spec.code)}-bao-cao-{facts.kind.value}" + (f"-{slug(label)}" if label else "")
    return Report(
        kind=facts.kind,
        letterhead=who.letterhead,
        subject=trich_yeu,
        recipient=who.recipient,
        blocks=blocks,
        distribution=who.distribution,
        signature=who.signature,
        file_stem=stem,
        description=f"Báo cáo {trich_yeu[:1].lower()}{trich_yeu[1:]} — {spec.code}",
        annexes=annexes.items,
        issuer_name=who.name,
    )


def _short_subject(subject: str) -> str:
    """The subject without its leading “phong trào thi đua”/“đợt thi đua” (said just before)."""
    return re.sub(r"^(?:phong trào|đợt)\s+thi đua\s*", "", subject)


def _lower_first(text: str) -> str:
    """“Sở, ban, ngành” → “sở, ban, ngành” inside a sentence; “UBND …” stays."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _count_phrase(counts: list[tuple[str, int]]) -> str:
    return "; ".join(f"{n} {label}" for label, n in counts if n)


def _direction(facts: CampaignFacts, word: str, annexes: Annexes) -> list[Block]:
    spec = facts.spec
    blocks: list[Block] = [
        Heading(
            2,
            f"1. Công tác lãnh đạo, chỉ đạo triển khai {word} thi đua của cấp ủy, chính quyền, "
            "Hội đồng thi đua, khen thưởng cơ quan, đơn vị, địa phương",
        ),
        Paragraph(
            f"{format_long(spec.issued.start, weekday=False).capitalize()}, {spec.issuer} ban hành "
            f"{spec.doc_reference} về {campaign_subject(spec)}; thời gian thực hiện "
            f"{format_span(spec.period, named=True)}."
        ),
        Paragraph(
            f"Tham gia {word} thi đua có {len(facts.units)} cơ quan, đơn vị, địa phương, gồm: "
            f"{_count_phrase([(_lower_first(k), n) for k, n in facts.units_by_kind])}."
        ),
    ]
    blocks += _deliveries(facts)
    blocks += _actions(facts, annexes)
    blocks.append(
        Placeholder(
            "công tác lãnh đạo, chỉ đạo, ban hành văn bản hướng dẫn, kiểm tra, đôn đốc của cấp ủy, "
            "chính quyền, Hội đồng thi đua, khen thưởng"
        )
    )
    return blocks


def _deliveries(facts: CampaignFacts) -> list[Block]:
    """How many notices went out, and how many did not reach their unit."""
    if not facts.deliveries:
        return [Paragraph("Trong kỳ, chưa có thông báo nào được gửi.")]
    d = facts.deliveries
    refused = sum(x.failed_permanent for x in d)
    broken = sum(x.failed_transient for x in d)
    sentence = (
        f"Trong kỳ, đã gửi {number(facts.sent)} lượt thông báo, nhắc hạn, đôn đốc đến các "
        "cơ quan, đơn vị"
    )
    if facts.failed:
        sentence += (
            f"; {number(facts.failed)} lượt không gửi được ({number(refused)} lượt bị nơi nhận "
            f"từ chối, {number(broken)} lượt do lỗi đường truyền)"
        )
    rows = [
        (x.label, number(x.sent), number(x.failed_permanent), number(x.failed_transient)) for x in d
    ]
    rows.append(("Tổng cộng", number(facts.sent), number(refused), number(broken)))
    table = Table(
        ("Loại thông báo", "Đã gửi", "Bị từ chối", "Lỗi đường truyền"),
        tuple(rows),
        numeric=(1, 2, 3),
    )
    return [Paragraph(sentence + "."), table]


def _actions(facts: CampaignFacts, annexes: Annexes) -> list[Block]:
    """The planned actions by status, each status named; the failed ones in an annex."""
    a = facts.actions
    if not a.total:
        return []
    order = list(ACTION_STATUS_LABELS)
    statuses = sorted(a.by_status, key=lambda s: order.index(s) if s in order else len(order))
    parts = [
        f"{a.by_status[s]} hoạt động {ACTION_STATUS_LABELS.get(s, 'chưa rõ tình trạng')}"
        for s in statuses
        if a.by_status[s]
    ]
    sentence = f"Trong kỳ có {a.total} hoạt động theo lịch của {facts.spec.doc_label}: "
    sentence += "; ".join(parts)
    if a.failed:
        rows = tuple(
            (str(i), title, _reason(error)) for i, (title, error) in enumerate(a.failed, 1)
        )
        name = annexes.add(
            "Hoạt động không thực hiện được",
            Table(("STT", "Hoạt động", "Lý do"), rows, numeric=(0,)),
        )
        sentence += f" (chi tiết tại {name} kèm theo)"
    return [Paragraph(sentence + ".")]


def _results(facts: CampaignFacts, word: str, annexes: Annexes) -> list[Block]:
    spec = facts.spec
    blocks: list[Block] = [Heading(2, f"3. Kết quả thực hiện các nội dung của {word} thi đua")]
    if spec.contents:
        heading = f"Các nội dung thi đua theo {spec.doc_label}:"
        blocks += [Paragraph(heading), Bullets(tuple(spec.contents))]
    blocks.append(Placeholder("kết quả cụ thể của từng nội dung thi đua"))
    blocks += _submissions(facts, annexes)
    if spec.targets:
        blocks += _targets(facts)
    return blocks


def _submissions(facts: CampaignFacts, annexes: Annexes) -> list[Block]:
    occs = facts.occurrences
    blocks: list[Block] = [
        Heading(3, f"a) Việc gửi kế hoạch, báo cáo, hồ sơ theo {facts.spec.doc_label}")
    ]
    if not occs:
        return [
            *blocks,
            Paragraph("Trong kỳ không có mốc nào yêu cầu đơn vị nộp kế hoạch, báo cáo."),
        ]
    due = [o for o in occs if o.due < facts.today]
    expected = sum(o.expected for o in due)
    on_time = sum(o.on_time for o in due)
    if due:
        rate = on_time / expected if expected else None
        blocks.append(
            Paragraph(
                f"Đối với {len(due)} mốc nộp đã đến hạn ({number(expected)} lượt đơn vị phải "
                f"nộp), có {number(on_time)} lượt nộp đúng hạn (tỉ lệ {percent(rate)}), "
                f"{number(sum(o.late for o in due))} lượt nộp muộn, "
                f"{number(sum(o.early for o in due))} lượt nộp trước thời gian tiếp nhận, "
                f"{number(sum(o.missing for o in due))} lượt chưa nộp."
            )
        )
    early = any(o.early for o in occs)
    pending = any(o.pending for o in occs)
    headers = ["Nội dung", "Hạn nộp", "Phải nộp", "Đúng hạn", "Muộn"]
    headers += ["Trước thời gian nhận"] * early + ["Chưa nộp"] + ["Chưa đến hạn"] * pending
    headers.append("Tỉ lệ đúng hạn")
    rows = []
    for o in occs:
        row = [o.title, format_short(o.due), str(o.expected), str(o.on_time), str(o.late)]
        row += [str(o.early)] * early + [str(o.missing)] + [str(o.pending)] * pending
        row.append(percent(o.on_time_rate))
        rows.append(tuple(row))
    blocks.append(
        Table(tuple(headers), tuple(rows), numeric=tuple(range(2, len(headers))), dates=(1,))
    )
    blocks += _gaps(facts, annexes)
    blocks += [Heading(3, "b) Kết quả của từng cơ quan, đơn vị"), _unit_table(facts, early)]
    return blocks


TECHNICAL_REASON = "lỗi kỹ thuật (chi tiết trong nhật ký vận hành)"


def _reason(error: str | None) -> str:
    """An action's recorded error as a report states it: the product's Vietnamese words.

    A run may have failed with the engine's English message (“Flow run encountered an
    exception. SMTPServerDisconnected: …”), alone or after a Vietnamese lead-in: the
    report keeps the Vietnamese clauses and names the rest a technical error.
    """
    if not error:
        return "-"
    kept = []
    for clause in error.split(": "):
        if not any(ch.isalpha() and not ch.isascii() for ch in clause):
            break
        kept.append(clause)
    return ": ".join(kept) if kept else TECHNICAL_REASON


def _gaps(facts: CampaignFacts, annexes: Annexes) -> list[Block]:
    """Units that did not hand in, or handed in late, as an annex table (one row a unit)."""
    # unit → milestone title → its occurrences (“quý I/2027”), so a yearly or quarterly
    # milestone reads “Báo cáo số liệu quý I/2027, quý II/2027”, not its title again and again
    missing: dict[str, dict[str, list[str]]] = {}
    late: dict[str, dict[str, list[str]]] = {}
    for o in facts.occurrences:
        when = occurrence_label(o.occurrence)
        base = o.title.removesuffix(f" {when}") if when else o.title
        for gaps, codes in ((missing, o.missing_units), (late, o.late_units)):
            for code in codes:
                gaps.setdefault(code, {}).setdefault(base, []).extend([when] if when else [])
    if not missing and not late:
        return []
    known = [u.unit for u in facts.unit_submissions]
    units = [u for u in known if u.code in missing or u.code in late]
    rows = tuple(
        (
            str(i),
            u.name,
            _listed(missing.get(u.code, {})),
            _listed(late.get(u.code, {})),
        )
        for i, u in enumerate(units, 1)
    )
    name = annexes.add(
        "Cơ quan, đơn vị chưa nộp hoặc nộp muộn kế hoạch, báo cáo, hồ sơ",
        Table(("STT", "Cơ quan, đơn vị", "Chưa nộp", "Nộp muộn"), rows, numeric=(0,)),
    )
    counts = [
        (sum(u.code in missing for u in units), "chưa nộp"),
        (sum(u.code in late for u in units), "nộp muộn"),
    ]
    who = " và ".join(f"{n} cơ quan, đơn vị {what}" for n, what in counts if n)
    return [Paragraph(f"Danh sách {who} tại {name} kèm theo Báo cáo này.")]


def _listed(items: dict[str, list[str]]) -> str:
    """“Báo cáo số liệu quý I/2027, quý II/2027; Báo cáo năm 2027”; “-” for nothing."""
    parts = [f"{title} {', '.join(whens)}" if whens else title for title, whens in items.items()]
    return "; ".join(parts) or "-"


def _unit_table(facts: CampaignFacts, early: bool) -> Table:
    headers = ["STT", "Cơ quan, đơn vị", "Phải nộp", "Đúng hạn", "Muộn"]
    headers += ["Trước thời gian nhận"] * early + ["Chưa nộp", "Hồ sơ khen thưởng"]
    rows = []
    for i, u in enumerate(facts.unit_submissions, 1):
        row = [str(i), u.unit.name, str(u.expected), str(u.on_time), str(u.late)]
        row += [str(u.early)] * early + [str(u.missing + u.pending), str(u.nominations)]
        rows.append(tuple(row))
    return Table(tuple(headers), tuple(rows), numeric=(0, *range(2, len(headers))))


def _goal(t: TargetFacts) -> str:
    return percent(t.target.goal) if t.is_ratio else number(t.target.goal)


def _targets(facts: CampaignFacts) -> list[Block]:
    blocks: list[Block] = [Heading(3, "c) Kết quả thực hiện các chỉ tiêu")]
    for t in facts.targets:
        when = f" năm {t.year}" if t.year else ""
        lead = f"Chỉ tiêu “{t.target.description}”{when} (mục tiêu: {_goal(t)})"
        if not t.figures:
            blocks.append(Paragraph(f"{lead}: chưa có đơn vị báo cáo số liệu."))
            continue
        reported = f"{len(t.figures)}/{t.expected_units} đơn vị báo cáo số liệu"
        if t.is_ratio:
            verdict = {True: "đạt", False: "chưa đạt", None: "chưa đủ số liệu để đánh giá"}
            total = (
                f"tổng hợp {number(t.total_value)}/{number(t.total_base)}, "
                f"đạt tỉ lệ {percent(t.rate)} ({verdict[t.attained]} mục tiêu)"
            )
        else:
            total = f"tổng cộng {number(t.total_value)}"
        blocks.append(
            Paragraph(
                f"{lead}: {reported}; {total}; {t.units_attained}/{len(t.figures)} đơn vị đạt "
                "chỉ tiêu."
            )
        )
        if t.is_ratio:
            headers = (
                "Cơ quan, đơn vị",
                t.target.numerator,
                t.target.denominator or "",
                "Tỉ lệ",
                "Đạt",
            )
            rows = tuple(
                (
                    f.unit.name,
                    number(f.value),
                    number(f.base) if f.base is not None else "-",
                    percent(f.rate),
                    _mark(f.attained),
                )
                for f in t.figures
            )
            blocks.append(Table(headers, rows, numeric=(1, 2, 3)))
        else:
            rows = tuple((f.unit.name, number(f.value), _mark(f.attained)) for f in t.figures)
            blocks.append(Table(("Cơ quan, đơn vị", t.target.numerator, "Đạt"), rows, numeric=(1,)))
    return blocks


def _mark(attained: bool | None) -> str:
    return {True: "Đạt", False: "Chưa đạt", None: "-"}[attained]


_KINDS = [k.value for k in NomineeKind]


def _awards(facts: CampaignFacts, word: str) -> list[Block]:
    n = facts.nominations
    blocks: list[Block] = [Heading(2, f"5. Công tác khen thưởng trong {word} thi đua")]
    if not n.total:
        blocks.append(Paragraph("Chưa nhận được hồ sơ đề nghị khen thưởng nào."))
    else:
        kinds = _count_phrase(
            [(NomineeKind(k).label, sum(a.by_kind[k] for a in n.by_award)) for k in _KINDS]
        )
        withdrawn = f"; {n.withdrawn} hồ sơ đã được đơn vị rút" if n.withdrawn else ""
        blocks.append(
            Paragraph(
                f"Cơ quan thường trực đã nhận {n.total} hồ sơ đề nghị khen thưởng của "
                f"{len(n.by_unit)} cơ quan, đơn vị ({kinds}){withdrawn}."
            )
        )
        rows = [(a.award, *(str(a.by_kind[k]) for k in _KINDS), str(a.total)) for a in n.by_award]
        rows.append(
            (
                "Tổng cộng",
                *(str(sum(a.by_kind[k] for a in n.by_award)) for k in _KINDS),
                str(n.total),
            )
        )
        blocks.append(
            Table(
                ("Hình thức khen thưởng", "Tập thể", "Cá nhân", "Hộ gia đình", "Tổng số"),
                tuple(rows),
                numeric=(1, 2, 3, 4),
            )
        )
        statuses = [s for s in NOMINATION_STATUS_LABELS if s != "withdrawn" and n.by_status[s]]
        blocks.append(
            Paragraph(
                "Tình trạng hồ sơ: "
                + "; ".join(
                    f"{n.by_status[s]} hồ sơ {NOMINATION_STATUS_LABELS[s].lower()}"
                    for s in statuses
                )
                + "."
            )
        )
        rows = [
            (u.unit.name, *(str(u.by_status[s]) for s in statuses), str(u.total)) for u in n.by_unit
        ]
        blocks.append(
            Table(
                ("Cơ quan, đơn vị", *(NOMINATION_STATUS_LABELS[s] for s in statuses), "Tổng số"),
                tuple(rows),
                numeric=tuple(range(1, len(statuses) + 2)),
            )
        )
    blocks.append(Placeholder("khen thưởng theo thẩm quyền của các cơ quan, đơn vị, địa phương"))
    return blocks


def _shortcomings(facts: CampaignFacts) -> list[Block]:
    due = [o for o in facts.occurrences if o.due < facts.today]
    late = sum(o.late for o in due)
    missing = sum(o.missing for o in due)
    parts = []
    if late or missing:
        parts.append(
            f"{number(late)} lượt nộp muộn, {number(missing)} lượt chưa nộp kế hoạch, báo cáo, "
            "hồ sơ"
        )
    if facts.failed:
        parts.append(f"{number(facts.failed)} lượt thông báo không gửi được đến đơn vị")
    if not parts:
        return []
    return [Paragraph("Theo số liệu tổng hợp, có " + "; ".join(parts) + ".")]


def _proposals(facts: CampaignFacts, word: str) -> list[Block]:
    n = facts.nominations
    blocks: list[Block] = []
    if n.proposals:
        by_award: dict[str, list] = {}
        for p in n.proposals:
            by_award.setdefault(p.award, []).append(p)
        for award, items in by_award.items():
            counts = [(k, sum(p.nominee_kind == k for p in items)) for k in _kind_labels()]
            blocks.append(
                Paragraph(
                    f"Đề nghị cấp có thẩm quyền xem xét, tặng {award} cho {_count_phrase(counts)} "
                    f"có thành tích tiêu biểu xuất sắc trong {word} thi đua (danh sách dưới đây)."
                )
            )
        rows = tuple(
            (
                str(i),
                p.nominee_name,
                p.nominee_kind.capitalize(),
                ", ".join(x for x in (p.position, p.workplace) if x) or "-",
                p.unit,
                p.award,
            )
            for i, p in enumerate(n.proposals, 1)
        )
        blocks.append(
            Table(
                (
                    "STT",
                    "Tập thể, cá nhân",
                    "Loại",
                    "Chức vụ, đơn vị công tác",
                    "Đơn vị đề nghị",
                    "Hình thức khen thưởng",
                ),
                rows,
                numeric=(0,),
            )
        )
    else:
        blocks.append(
            Paragraph("Chưa có hồ sơ đề nghị khen thưởng nào được thẩm định đủ điều kiện.")
        )
    if n.awaiting:
        blocks.append(Paragraph(f"Còn {n.awaiting} hồ sơ đề nghị khen thưởng đang chờ thẩm định."))
    return blocks


def _kind_labels() -> list[str]:
    return [NomineeKind(k).label for k in _KINDS]


# --- files ---------------------------------------------------------------------------


def make_report(
    spec: Campaign,
    registry: Registry,
    *,
    kind: ReportKind,
    today: date,
    ky: str | None = None,
    period: Period | None = None,
    issued_by: IssuedBy = "to-chuc",
) -> tuple[Report, CampaignFacts]:
    """The report (and its facts) of a campaign, read from the configured store."""
    from thidua.campaign.plan import compile_plan
    from thidua.config import get_settings
    from thidua.documents.facts import default_period, gather_facts, parse_period
    from thidua.store.db import session_scope

    settings = get_settings()
    plan = compile_plan(spec, registry, notice_time=settings.notice_time)
    if period is None:
        period = parse_period(ky, spec) if ky else default_period(spec, plan, kind, today)
    with session_scope() as session:
        facts = gather_facts(
            session,
            spec=spec,
            registry=registry,
            kind=kind,
            period=period,
            today=today,
            plan=plan,
            timezone=settings.timezone,
        )
    return build_report(facts, issued_by=issued_by), facts


def write_report_files(report: Report, out: Path, *, formats: str = "both") -> list[Path]:
    """Write the Markdown and/or DOCX of `report` into `out`; the paths written."""
    from thidua.errors import ThiduaError

    if out.exists() and not out.is_dir():
        raise ThiduaError(f"thư mục ghi báo cáo (--out) “{out}” là một tệp, không phải thư mục")
    try:
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        if formats in ("md", "both"):
            md = out / f"{report.file_stem}.md"
            md.write_text(to_markdown(report), encoding="utf-8")
            paths.append(md)
        if formats in ("docx", "both"):
            from thidua.documents.docx import write_docx

            paths.append(write_docx(report, out / f"{report.file_stem}.docx"))
    except OSError as exc:
        raise ThiduaError(
            f"không ghi được báo cáo vào thư mục (--out) “{out}”: {exc.strerror or exc}"
        ) from None
    return paths
