"""The sections of the report that state results: I.3 (submissions, targets), I.5 (awards)
and the award proposals of IV. Assembled by `thidua.documents.report.build_report`.
"""

from __future__ import annotations

from thidua.campaign.kinds import NomineeKind
from thidua.campaign.plan import occurrence_label
from thidua.dates.written import format_short
from thidua.documents.layout import (
    Annexes,
    Block,
    Bullets,
    Heading,
    Paragraph,
    Placeholder,
    Table,
    count_phrase,
    number,
    percent,
)
from thidua.documents.tallies import (
    NOMINATION_STATUS_LABELS,
    CampaignFacts,
    NominationLine,
    TargetFacts,
)


def results(facts: CampaignFacts, word: str, annexes: Annexes) -> list[Block]:
    """Section I.3: the contents of the plan, what units handed in, the targets."""
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
        registered = (
            f"; {len(t.registered)}/{t.expected_units} đơn vị đăng ký thi đua chỉ tiêu này"
            if t.registered
            else ""
        )
        if not t.figures:
            blocks.append(Paragraph(f"{lead}: chưa có đơn vị báo cáo số liệu{registered}."))
            continue
        reported = f"{len(t.figures)}/{t.expected_units} đơn vị báo cáo số liệu{registered}"
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
            rows: tuple[tuple[str, ...], ...] = tuple(
                (
                    f.unit.name,
                    number(f.value),
                    number(f.base) if f.base is not None else "-",
                    percent(f.rate),
                    _mark(f.attained),
                )
                for f in t.figures
            )
            blocks.append(_with_registered(t, Table(headers, rows, numeric=(1, 2, 3))))
        else:
            rows = tuple((f.unit.name, number(f.value), _mark(f.attained)) for f in t.figures)
            table = Table(("Cơ quan, đơn vị", t.target.numerator, "Đạt"), rows, numeric=(1,))
            blocks.append(_with_registered(t, table))
    return blocks


def _with_registered(t: TargetFacts, table: Table) -> Table:
    """The table with a column of what each unit registered, when any unit did."""
    if not t.registered:
        return table
    shown = [t.registered.get(f.unit.code) for f in t.figures]
    cells = ["-" if g is None else percent(g) if t.is_ratio else number(g) for g in shown]
    rows = tuple((*row[:-1], cell, row[-1]) for row, cell in zip(table.rows, cells, strict=True))
    headers = (*table.headers[:-1], "Đăng ký", table.headers[-1])
    return Table(headers, rows, numeric=(*table.numeric, len(headers) - 2))


def _mark(attained: bool | None) -> str:
    return {True: "Đạt", False: "Chưa đạt", None: "-"}[attained]


_KINDS = [k.value for k in NomineeKind]


def awards(facts: CampaignFacts, word: str) -> list[Block]:
    """Section I.5: the nominations and awards of the period."""
    n = facts.nominations
    blocks: list[Block] = [Heading(2, f"5. Công tác khen thưởng trong {word} thi đua")]
    if not n.total:
        blocks.append(Paragraph("Chưa nhận được hồ sơ đề nghị khen thưởng nào."))
    else:
        kinds = count_phrase(
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


def proposals(facts: CampaignFacts, word: str) -> list[Block]:
    """Section IV: the awards proposed to the higher level."""
    n = facts.nominations
    blocks: list[Block] = []
    if n.proposals:
        by_award: dict[str, list[NominationLine]] = {}
        for p in n.proposals:
            by_award.setdefault(p.award, []).append(p)
        for award, items in by_award.items():
            counts = [(k, sum(p.nominee_kind == k for p in items)) for k in _kind_labels()]
            blocks.append(
                Paragraph(
                    f"Đề nghị cấp có thẩm quyền xem xét, tặng {award} cho {count_phrase(counts)} "
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
