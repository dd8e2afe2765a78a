"""The sơ kết / tổng kết report, following the đề cương of seed 003, from a campaign's facts.

The content is built once as a list of blocks (headings, paragraphs, tables,
placeholders) with its letterhead and its annex tables (`thidua.documents.layout`);
`to_markdown` renders it for the Prefect artifact and `thidua.documents.docx` renders the
same blocks as an editable DOCX. What only a person can judge (strengths,
shortcomings, lessons) is a clearly marked placeholder. The wording is an office's:
no internal key, status code or “the system recorded” reaches the text
(tests/test_report_wording.py reads every shipped campaign's report for them).

Section I.3 (results: submissions, targets), I.5 (awards) and IV (proposals) are built in
`thidua.documents.report_results`; reading the facts from the store and writing the files
is `thidua.documents.report_files`.
"""

from __future__ import annotations

import re

from thidua.dates.written import format_long, format_span
from thidua.documents.issuer import IssuedBy, campaign_subject, issuer
from thidua.documents.issuer import word as campaign_word
from thidua.documents.layout import (
    Annexes,
    Block,
    Heading,
    Paragraph,
    Placeholder,
    Report,
    Table,
    count_phrase,
    number,
    slug,
)
from thidua.documents.report_results import awards, proposals, results
from thidua.documents.tallies import ACTION_STATUS_LABELS, CampaignFacts

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
        *results(facts, word, annexes),
        Heading(
            2,
            f"4. Tác động của {word} thi đua đối với kết quả thực hiện nhiệm vụ "
            "của cơ quan, đơn vị, địa phương",
        ),
        Placeholder(f"tác động của {word} thi đua đối với việc thực hiện nhiệm vụ chính trị"),
        *awards(facts, word),
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
        *proposals(facts, word),
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
            f"{count_phrase([(_lower_first(k), n) for k, n in facts.units_by_kind])}."
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
