"""The sơ kết / tổng kết report, following the đề cương of seed 003, from a campaign's facts.

The content is built once as a list of blocks (headings, paragraphs, tables,
placeholders) with its letterhead; `to_markdown` renders it for the Prefect artifact
and `thidua.docx_report` renders the same blocks as an editable DOCX. What only a
person can judge (strengths, shortcomings, lessons) is a clearly marked placeholder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from thidua.facts import (
    NOMINATION_STATUS_LABELS,
    CampaignFacts,
    OccurrenceFacts,
    Period,
    ReportKind,
    TargetFacts,
)
from thidua.registry import Registry, Unit
from thidua.registry import fold as fold_name
from thidua.spec import Campaign, CampaignKind, NomineeKind
from thidua.vnformat import format_long, format_short, format_span

NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
PLACEHOLDER_PREFIX = "Phần này do cơ quan tổng hợp viết"
NAME_PLACEHOLDER = "[Họ và tên]"
NUMBER_BLANK = "\u2003\u2003"  # the number is given at registration (văn thư); keep room for it

IssuedBy = Literal["to-chuc", "ban-hanh"]


# --- blocks -------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    """A section heading: level 1 “I. …”, level 2 “1. …”, level 3 “a) …”."""

    level: int
    text: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Placeholder:
    """A part only a person can write; rendered “[Phần này do cơ quan tổng hợp viết: …]”."""

    what: str

    @property
    def text(self) -> str:
        return f"[{PLACEHOLDER_PREFIX}: {self.what}]"


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: numeric columns, right-aligned in the DOCX
    numeric: tuple[int, ...] = ()


Block = Heading | Paragraph | Placeholder | Bullets | Table


@dataclass(frozen=True)
class Signature:
    """The signature block: authority lines (“TM. ỦY BAN NHÂN DÂN”, “CHỦ TỊCH”) and the name."""

    authority: tuple[str, ...]
    name: str


@dataclass(frozen=True)
class Letterhead:
    """What NĐ 30/2020 puts above the title: issuing body, number, place and date."""

    parent: str | None  # cơ quan chủ quản, already upper case
    body: str  # cơ quan ban hành, upper case
    number: str  # “Số:   /BC-BTDKT”
    place_date: str  # “Cao Bằng, ngày … tháng 11 năm 2026”


@dataclass
class Report:
    """A whole report, ready to be rendered."""

    kind: ReportKind
    letterhead: Letterhead
    subject: str  # trích yếu: “Tổng kết phong trào thi đua …”
    recipient: str | None  # “Kính gửi” line, for a report sent up to a superior
    blocks: list[Block]
    distribution: list[str]  # Nơi nhận entries, with their “;” / “.” endings
    signature: Signature
    file_stem: str
    title: str = "BÁO CÁO"
    description: str = field(default="")  # one line, e.g. the Prefect artifact description


# --- wording helpers ---------------------------------------------------------------


def number(x: float) -> str:
    """A figure as Vietnamese write it: 12, 12,5 (decimal comma), 1.250 (thousands dot)."""
    if float(x).is_integer():
        return f"{int(x):,}".replace(",", ".")
    whole, _, frac = f"{x:,.2f}".rstrip("0").partition(".")
    return whole.replace(",", ".") + "," + frac


def percent(rate: float | None) -> str:
    """A rate as “87,5%”; “-” when there is nothing to divide by."""
    if rate is None:
        return "-"
    return f"{number(round(rate * 100, 1))}%"


def slug(text: str) -> str:
    """Lowercase ASCII with dashes, for file names and artifact keys."""
    return re.sub(r"[^a-z0-9]+", "-", fold_name(text)).strip("-")


def campaign_subject(spec: Campaign) -> str:
    """What the campaign is, as a noun phrase: “phong trào thi đua lập thành tích …”."""
    text = re.sub(r"^\s*phát động\s+", "", spec.title, flags=re.IGNORECASE).strip()
    text = text[:1].lower() + text[1:]
    if text.startswith("thi đua"):
        text = "phong trào " + text
    return text


def _word(spec: Campaign) -> str:
    """“phong trào” for a regular campaign, “đợt” for a batch one (the đề cương's word)."""
    return "phong trào" if spec.kind is CampaignKind.REGULAR else "đợt"


def _place(spec: Campaign) -> str:
    m = re.search(r"(?:tỉnh|thành phố)\s+(.+?)\s*$", spec.issuer, flags=re.IGNORECASE)
    return m.group(1) if m else "[Địa danh]"


def _place_date(spec: Campaign, today: date) -> str:
    # The day is written in when the report is signed; month and year are known now.
    month = f"{today.month:02d}" if today.month <= 2 else str(today.month)
    return f"{_place(spec)}, ngày … tháng {month} năm {today.year}"


def _split_signer(signer: str) -> tuple[str, str | None]:
    """“Chủ tịch Hoàng Xuân Ánh” → (“Chủ tịch”, “Hoàng Xuân Ánh”); a name is capitalized words."""
    words = signer.split()
    i = len(words)
    while (
        i > 0
        and words[i - 1][:1].isupper()
        and not (len(words[i - 1]) > 1 and words[i - 1].isupper())
    ):
        i -= 1
    if i == 0 or i == len(words):
        return signer, None
    return " ".join(words[:i]), " ".join(words[i:])


def _head(unit: Unit | None) -> tuple[str, str | None]:
    """A registry head (“Trưởng ban”, “Chủ tịch … (Hoàng Xuân Ánh)”) as (title, name)."""
    if unit is None or not unit.head:
        return "Thủ trưởng đơn vị", None
    m = re.fullmatch(r"\s*(.+?)\s*\(([^)]+)\)\s*", unit.head)
    return (m.group(1), m.group(2)) if m else (unit.head, None)


def _without_parent(name: str, parent: str | None) -> str:
    """“Ban Thi đua - Khen thưởng tỉnh (Sở Nội vụ)” under Sở Nội vụ: drop the repeated parent."""
    m = re.fullmatch(r"\s*(.+?)\s*\(([^)]+)\)\s*", name)
    if m and parent and fold_name(m.group(2)) == fold_name(parent):
        return m.group(1)
    return name


def _find_by_name(registry: Registry, name: str) -> Unit | None:
    wanted = fold_name(name)
    return next((u for u in registry if fold_name(u.name) == wanted), None)


def _is_people_committee(name: str) -> bool:
    return fold_name(name).startswith("uy ban nhan dan")


# --- letterhead, signature, distribution ------------------------------------------


@dataclass(frozen=True)
class Issuer:
    """Who issues the report, and so who signs it and where it goes."""

    letterhead: Letterhead
    name: str  # the body's name in a sentence
    recipient: str | None
    distribution: list[str]
    signature: Signature


def issuer(spec: Campaign, registry: Registry, issued_by: IssuedBy, today: date) -> Issuer:
    """The issuing body of the report, from the registry and the spec.

    "to-chuc": the organizer office compiles the report and sends it up to the body
    that issued the plan (seed 003: Sở Nội vụ … tổng hợp, báo cáo Chủ tịch UBND tỉnh);
    its head signs. "ban-hanh": the plan's issuer reports, signed by the plan's signer.
    """
    organizer = registry.unit(spec.organizer) if spec.organizer in registry else None
    organizer_name = organizer.name if organizer else spec.organizer
    if issued_by == "to-chuc":
        parent_unit = registry.supervisor(organizer.code) if organizer else None
        parent = parent_unit.name if parent_unit else None
        name = _without_parent(organizer_name, parent)
        title, person = _head(organizer)
        return Issuer(
            letterhead=Letterhead(
                parent=parent.upper() if parent else None,
                body=name.upper(),
                number=f"Số: {NUMBER_BLANK}/BC-{spec.organizer}",
                place_date=_place_date(spec, today),
            ),
            name=name,
            recipient=spec.issuer,
            distribution=["Như trên;", f"Lưu: VT, {spec.organizer}."],
            signature=Signature((title.upper(),), person or NAME_PLACEHOLDER),
        )
    unit = _find_by_name(registry, spec.issuer)
    parent_unit = registry.supervisor(unit.code) if unit else None
    committee = _is_people_committee(spec.issuer)
    symbol = "UBND" if committee else (unit.code if unit else "…")
    if spec.signer:
        title, person = _split_signer(spec.signer)
    else:
        title, person = _head(unit)
    authority = ("TM. ỦY BAN NHÂN DÂN", title.upper()) if committee else (title.upper(),)
    return Issuer(
        letterhead=Letterhead(
            parent=parent_unit.name.upper() if parent_unit else None,
            body=spec.issuer.upper(),
            number=f"Số: {NUMBER_BLANK}/BC-{symbol}",
            place_date=_place_date(spec, today),
        ),
        name=spec.issuer,
        recipient=None,
        distribution=[
            f"{organizer_name};",
            f"Các cơ quan, đơn vị tham gia {_word(spec)} thi đua;",
            f"Lưu: VT, {spec.organizer}.",
        ],
        signature=Signature(authority, person or NAME_PLACEHOLDER),
    )


# --- the report ---------------------------------------------------------------------


def build_report(facts: CampaignFacts, *, issued_by: IssuedBy = "to-chuc") -> Report:
    """The report of `facts`, following the đề cương: I. results, II. assessment, III, IV."""
    spec = facts.spec
    who = issuer(spec, facts.registry, issued_by, facts.today)
    subject = campaign_subject(spec)
    label = facts.period.label
    trich_yeu = f"{facts.kind.label.capitalize()} {subject}" + (f" ({label})" if label else "")
    word = _word(spec)
    blocks: list[Block] = [
        Paragraph(
            f"Thực hiện Kế hoạch số {spec.code} {format_long(spec.issued.start, weekday=False)} "
            f"của {spec.issuer} về {subject}, {who.name} báo cáo {facts.kind.label} "
            f"{word} thi đua" + (f" ({label})" if label else "") + " như sau:"
        ),
        Heading(1, f"I. KẾT QUẢ THỰC HIỆN {word.upper()} THI ĐUA"),
        *_direction(facts, word),
        Heading(2, f"2. Công tác tuyên truyền triển khai {word} thi đua"),
        Placeholder(
            "hình thức tuyên truyền, hội nghị quán triệt, số tin, bài, phóng sự về "
            f"{word} thi đua và các điển hình tiên tiến"
        ),
        *_results(facts, word),
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
    )


def _short_subject(subject: str) -> str:
    """The subject without its leading “phong trào thi đua”/“đợt thi đua” (said just before)."""
    return re.sub(r"^(?:phong trào|đợt)\s+thi đua\s*", "", subject)


def _lower_first(text: str) -> str:
    """“Sở, ban, ngành” → “sở, ban, ngành” inside a sentence; “UBND …” stays."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _count_phrase(counts: list[tuple[str, int]]) -> str:
    return "; ".join(f"{n} {label}" for label, n in counts if n)


def _direction(facts: CampaignFacts, word: str) -> list[Block]:
    spec = facts.spec
    blocks: list[Block] = [
        Heading(
            2,
            f"1. Công tác lãnh đạo, chỉ đạo triển khai {word} thi đua của cấp ủy, chính quyền, "
            "Hội đồng thi đua, khen thưởng cơ quan, đơn vị, địa phương",
        ),
        Paragraph(
            f"{format_long(spec.issued.start, weekday=False).capitalize()}, {spec.issuer} ban hành "
            f"Kế hoạch số {spec.code} về {campaign_subject(spec)}; thời gian thực hiện "
            f"{format_span(spec.period, named=True)}."
        ),
        Paragraph(
            f"Tham gia {word} thi đua có {len(facts.units)} cơ quan, đơn vị, địa phương, gồm: "
            f"{_count_phrase([(_lower_first(k), n) for k, n in facts.units_by_kind])}."
        ),
    ]
    if facts.deliveries:
        d = facts.deliveries
        failed_p = sum(x.failed_permanent for x in d)
        failed_t = sum(x.failed_transient for x in d)
        blocks.append(
            Paragraph(
                f"Việc thông báo, nhắc hạn, đôn đốc các đơn vị được thực hiện qua hệ thống: "
                f"{facts.sent} lượt gửi thành công, {facts.failed} lượt không gửi được "
                f"({failed_p} lượt lỗi không gửi lại, {failed_t} lượt lỗi tạm thời)."
            )
        )
        rows = [
            (x.label, number(x.sent), number(x.failed_permanent), number(x.failed_transient))
            for x in d
        ]
        rows.append(("Tổng cộng", number(facts.sent), number(failed_p), number(failed_t)))
        blocks.append(
            Table(
                ("Loại thông báo", "Gửi thành công", "Lỗi, không gửi lại", "Lỗi tạm thời"),
                tuple(rows),
                numeric=(1, 2, 3),
            )
        )
    else:
        blocks.append(Paragraph("Hệ thống chưa ghi nhận lượt gửi thông báo nào trong kỳ."))
    a = facts.actions
    if a.total:
        done = a.by_status.get("done", 0)
        failed = a.by_status.get("failed", 0)
        blocks.append(
            Paragraph(
                f"Trong kỳ có {a.total} hoạt động theo lịch của kế hoạch: {done} đã thực hiện, "
                f"{failed} bị lỗi, {a.total - done - failed} ở trạng thái khác."
            )
        )
        if a.failed:
            blocks.append(Bullets(tuple(f"{t}: {e}" if e else t for t, e in a.failed)))
    blocks.append(
        Placeholder(
            "công tác lãnh đạo, chỉ đạo, ban hành văn bản hướng dẫn, kiểm tra, đôn đốc của cấp ủy, "
            "chính quyền, Hội đồng thi đua, khen thưởng"
        )
    )
    return blocks


def _results(facts: CampaignFacts, word: str) -> list[Block]:
    spec = facts.spec
    blocks: list[Block] = [Heading(2, f"3. Kết quả thực hiện các nội dung của {word} thi đua")]
    if spec.contents:
        blocks += [Paragraph("Các nội dung thi đua theo Kế hoạch:"), Bullets(tuple(spec.contents))]
    blocks.append(Placeholder("kết quả cụ thể của từng nội dung thi đua"))
    blocks += _submissions(facts)
    if spec.targets:
        blocks += _targets(facts)
    return blocks


def _submissions(facts: CampaignFacts) -> list[Block]:
    occs = facts.occurrences
    blocks: list[Block] = [Heading(3, "a) Việc gửi kế hoạch, báo cáo, hồ sơ theo Kế hoạch")]
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
                f"Đối với {len(due)} mốc nộp đã đến hạn ({expected} lượt đơn vị phải nộp), có "
                f"{on_time} lượt nộp đúng hạn (tỉ lệ {percent(rate)}), "
                f"{sum(o.late for o in due)} lượt nộp muộn, "
                f"{sum(o.early for o in due)} lượt nộp trước thời gian tiếp nhận, "
                f"{sum(o.missing for o in due)} lượt chưa nộp."
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
    blocks.append(Table(tuple(headers), tuple(rows), numeric=tuple(range(1, len(headers)))))
    names = {u.unit.code: u.unit.name for u in facts.unit_submissions}
    for o in occs:
        blocks += _who(o, names)
    blocks += [Heading(3, "b) Kết quả của từng cơ quan, đơn vị"), _unit_table(facts, early)]
    return blocks


def _who(o: OccurrenceFacts, names: dict[str, str]) -> list[Block]:
    out: list[Block] = []
    if o.missing_units:
        listed = ", ".join(names.get(c, c) for c in o.missing_units)
        out.append(Paragraph(f"Đơn vị chưa nộp ({o.title}): {listed}."))
    if o.late_units:
        listed = ", ".join(names.get(c, c) for c in o.late_units)
        out.append(Paragraph(f"Đơn vị nộp muộn ({o.title}): {listed}."))
    return out


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
                    f"{NOMINATION_STATUS_LABELS[s].lower()}: {n.by_status[s]}" for s in statuses
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
        parts.append(f"{late} lượt nộp muộn, {missing} lượt chưa nộp kế hoạch, báo cáo, hồ sơ")
    if facts.failed:
        parts.append(f"{facts.failed} lượt thông báo không gửi được")
    if not parts:
        return []
    return [Paragraph("Số liệu hệ thống ghi nhận: " + "; ".join(parts) + ".")]


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
    from thidua.config import get_settings
    from thidua.db import session_scope
    from thidua.facts import default_period, gather_facts, parse_period
    from thidua.plan import compile_plan

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
            from thidua.docx_report import write_docx

            paths.append(write_docx(report, out / f"{report.file_stem}.docx"))
    except OSError as exc:
        raise ThiduaError(
            f"không ghi được báo cáo vào thư mục (--out) “{out}”: {exc.strerror or exc}"
        ) from None
    return paths


# --- Markdown -------------------------------------------------------------------------


def _md_escape_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: Report) -> str:
    """The report as Markdown (GitHub flavour, as Prefect renders artifacts)."""
    lh = report.letterhead
    lines: list[str] = []
    if lh.parent:
        lines.append(f"{lh.parent}  ")
    lines += [f"**{lh.body}**  ", lh.number.replace(NUMBER_BLANK, "…"), ""]
    lines += [f"**{NATIONAL_TITLE}**  ", f"**{MOTTO}**  ", f"*{lh.place_date}*", ""]
    lines += [f"# {report.title}", "", f"**{report.subject}**", ""]
    if report.recipient:
        lines += [f"Kính gửi: {report.recipient}.", ""]
    for block in report.blocks:
        lines += _md_block(block)
        lines.append("")
    lines += ["**_Nơi nhận:_**  "]
    lines += [f"- {entry}" for entry in report.distribution]
    lines.append("")
    lines += [f"**{line}**  " for line in report.signature.authority]
    lines += ["", "*(Ký, ghi rõ họ tên, đóng dấu)*", "", f"**{report.signature.name}**", ""]
    return "\n".join(lines)


def _md_block(block: Block) -> list[str]:
    if isinstance(block, Heading):
        return [f"{'#' * (block.level + 1)} {block.text}"]
    if isinstance(block, Placeholder):
        return [f"*{block.text}*"]
    if isinstance(block, Paragraph):
        return [block.text]
    if isinstance(block, Bullets):
        return [f"- {item}" for item in block.items]
    header = "| " + " | ".join(_md_escape_cell(h) for h in block.headers) + " |"
    rule = (
        "|"
        + "|".join("---:" if i in block.numeric else "---" for i in range(len(block.headers)))
        + "|"
    )
    rows = ["| " + " | ".join(_md_escape_cell(c) for c in row) + " |" for row in block.rows]
    return [header, rule, *rows]
