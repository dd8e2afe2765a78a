"""`thidua nominate`, `thidua nominations` and `thidua nomination …`: award nominations.

The rules live in `thidua.ledger.nominations`; these commands parse arguments, open the
store and print Vietnamese results. Heavy imports stay inside the functions.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from thidua.campaign.loading import LoadedCampaign
    from thidua.ledger.quotas import Usage
    from thidua.store.models import Nomination

EXIT_OK = 0

#: `thidua nomination VERB`: target status value and help text.
_VERBS = {
    "return": ("returned", "trả lại hồ sơ cho đơn vị (cần --ly-do)"),
    "resubmit": ("resubmitted", "đơn vị nộp lại hồ sơ đã bị trả lại (có thể thay tài liệu)"),
    "accept": ("accepted", "duyệt hồ sơ (đủ điều kiện trình khen thưởng)"),
    "award": ("awarded", "ghi nhận được khen thưởng"),
    "reject": ("not_awarded", "ghi nhận không được khen thưởng"),
    "withdraw": ("withdrawn", "đơn vị rút hồ sơ"),
}


def _print(text: str = "") -> None:
    print(text, file=sys.stdout)


def _tz() -> ZoneInfo:
    from zoneinfo import ZoneInfo

    from thidua.config import get_settings

    return ZoneInfo(get_settings().timezone)


def _operator() -> str:
    """Who is acting when --by is not given: the logged-in user."""
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "quản trị"


def _document_pairs(values: list[str] | None) -> list[tuple[str, str]]:
    from thidua.ledger.dossier import parse_document_arg

    return [parse_document_arg(v) for v in values or []]


def short_award_name(loaded: LoadedCampaign, key: str) -> str:
    """ "Bằng khen" for "Bằng khen của Chủ tịch …" when that is unambiguous in the campaign."""
    from thidua.ledger.dossier import award_for_key

    award = award_for_key(loaded.spec, key)
    if award is None:
        return key
    short = award.name.split(" của ", 1)[0]
    shorts = [a.name.split(" của ", 1)[0] for a in loaded.spec.awards]
    return short if shorts.count(short) == 1 else award.name


def _usage_lines(usages: list[Usage]) -> list[str]:
    return [f"  {u.line}" + (" — VƯỢT HẠN MỨC" if u.over else "") for u in usages]


def _describe(nomination: Nomination, loaded: LoadedCampaign, tz: ZoneInfo) -> list[str]:
    from thidua.campaign.kinds import NomineeKind
    from thidua.ledger.dossier import award_for_key
    from thidua.ledger.nominations import unit_name
    from thidua.ledger.statuses import SubmissionTiming, status_label
    from thidua.ledger.timing import local_text

    award = award_for_key(loaded.spec, nomination.award)
    who = nomination.nominee_name
    extra = ", ".join(x for x in (nomination.position, nomination.workplace) if x)
    docs = "; ".join(f"{d['document']}: {d['name']}" for d in nomination.documents) or "không có"
    return [
        f"Hồ sơ số {nomination.id} ({status_label(nomination.status)}, "
        f"{SubmissionTiming(nomination.timing).label})",
        f"  {NomineeKind(nomination.nominee_kind).label.capitalize()}: {who}"
        + (f" — {extra}" if extra else ""),
        f"  Hình thức: {award.name if award else nomination.award}",
        f"  Đơn vị đề nghị: {nomination.unit_code} "
        f"({unit_name(loaded.registry, nomination.unit_code)})",
        f"  Nộp lúc: {local_text(nomination.submitted_at, tz=tz)}",
        f"  Thành tích: {nomination.achievement}",
        f"  Tài liệu: {docs}",
    ]


# --- commands -----------------------------------------------------------------------


def cmd_nominate(args: argparse.Namespace) -> int:
    from thidua.campaign.lookup import find_campaign
    from thidua.ledger.nominations import NominationInput, nominate
    from thidua.ledger.quotas import usage_of
    from thidua.ledger.timing import parse_time
    from thidua.store import nomination_rows
    from thidua.store.db import session_scope

    tz = _tz()
    loaded = find_campaign(args.code)
    request = NominationInput(
        unit=args.unit,
        award=args.award,
        kind=args.kind,
        name=args.name,
        achievement=args.achievement,
        documents=_document_pairs(args.documents),
        position=args.position,
        workplace=args.workplace,
        at=parse_time(args.at, tz=tz) if args.at else None,
        by=args.by,
    )
    with session_scope() as session:
        nomination = nominate(session, loaded, request, tz=tz)
        mine = nomination_rows.nominations_for(
            session, campaign_code=loaded.code, award=nomination.award
        )
        usages = usage_of(loaded.spec, loaded.registry, nomination, mine)
    _print(f"Đã ghi hồ sơ đề nghị khen thưởng của {nomination.unit_code}.")
    for line in _describe(nomination, loaded, tz):
        _print(line)
    if usages:
        _print("Hạn mức:")
        for line in _usage_lines(usages):
            _print(line)
    return EXIT_OK


def cmd_nominations(args: argparse.Namespace) -> int:
    from thidua.campaign.kinds import NomineeKind
    from thidua.campaign.lookup import find_campaign
    from thidua.campaign.plan_output import render_table
    from thidua.ledger.nominations import list_nominations
    from thidua.ledger.statuses import SubmissionTiming, status_label
    from thidua.ledger.timing import local_text
    from thidua.store.db import session_scope

    tz = _tz()
    loaded = find_campaign(args.code)
    with session_scope() as session:
        listing = list_nominations(session, loaded, unit=args.unit, status=args.status)
    shown, status = listing.nominations, listing.status
    if not shown:
        _print(f"{loaded.code}: chưa có hồ sơ đề nghị khen thưởng nào" + _filter_text(args))
    else:
        rows = [
            [
                str(n.id),
                n.unit_code,
                short_award_name(loaded, n.award),
                NomineeKind(n.nominee_kind).label,
                n.nominee_name,
                status_label(n.status)
                + ("" if n.timing == "on_time" else f", {SubmissionTiming(n.timing).label}"),
                local_text(n.submitted_at, tz=tz),
            ]
            for n in shown
        ]
        headers = ["Số", "Đơn vị", "Hình thức", "Đối tượng", "Tên", "Trạng thái", "Nộp lúc"]
        _print(f"{loaded.code}: {len(shown)} hồ sơ đề nghị khen thưởng" + _filter_text(args))
        _print(render_table(rows, headers))
    if listing.usages:
        _print("Hạn mức (đã dùng/tối đa; không tính hồ sơ đã rút, không được khen thưởng):")
        for line in _usage_lines(listing.usages):
            _print(line)
    if args.xlsx:
        from thidua.documents.nomination_annex import annex_nominations, write_xlsx

        # Live nominations, returned ones only when asked; or exactly the status asked for.
        exported = annex_nominations(shown, status=status, include_returned=args.include_returned)
        path = write_xlsx(args.xlsx, loaded=loaded, nominations=exported)
        _print(f"Đã xuất {len(exported)} hồ sơ ra {path}")
    return EXIT_OK


def _filter_text(args: argparse.Namespace) -> str:
    parts = []
    if args.unit:
        parts.append(f"đơn vị {args.unit.strip().upper()}")
    if args.status:
        parts.append(f"trạng thái “{args.status}”")
    return f" ({', '.join(parts)})" if parts else ""


def cmd_move(args: argparse.Namespace) -> int:
    from thidua.campaign.lookup import find_campaign
    from thidua.ledger.review import allowed_moves, get_nomination, move
    from thidua.ledger.statuses import NominationStatus, status_label
    from thidua.store.db import session_scope

    to, _ = _VERBS[args.verb]
    documents = _document_pairs(getattr(args, "documents", None))
    with session_scope() as session:
        loaded = None
        if documents:
            loaded = find_campaign(get_nomination(session, args.id).campaign_code)
        nomination = move(
            session,
            nomination_id=args.id,
            to=NominationStatus(to),
            actor=args.by or _operator(),
            reason=args.reason,
            documents=documents,
            loaded=loaded,
        )
    _print(
        f"Hồ sơ số {nomination.id} ({nomination.nominee_name}): "
        f"{status_label(nomination.status)}"
        + (f" — lý do: {args.reason.strip()}" if args.reason else "")
    )
    _print(f"Bước tiếp theo có thể: {allowed_moves(nomination.status)}")
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    from thidua.campaign.kinds import NomineeKind
    from thidua.campaign.plan_output import render_table
    from thidua.ledger.review import history
    from thidua.ledger.statuses import status_label
    from thidua.ledger.timing import local_text
    from thidua.store.db import session_scope

    tz = _tz()
    with session_scope() as session:
        nomination, events = history(session, args.id)
    _print(
        f"Hồ sơ số {nomination.id}: {nomination.nominee_name} "
        f"({NomineeKind(nomination.nominee_kind).label}), đơn vị {nomination.unit_code}, "
        f"đợt {nomination.campaign_code}; trạng thái: {status_label(nomination.status)}"
    )
    rows = [
        [
            local_text(e.at, tz=tz),
            status_label(e.from_status) if e.from_status else "—",
            status_label(e.to_status),
            e.actor,
            e.reason or "",
        ]
        for e in events
    ]
    _print(render_table(rows, ["Lúc", "Từ", "Sang", "Người thực hiện", "Lý do"]))
    for d in nomination.documents:
        _print(f"  {d['document']}: {d['name']} ({d['size']} byte, sha256 {d['sha256'][:12]}…)")
    return EXIT_OK


# --- wiring -------------------------------------------------------------------------


def _add_documents(p: argparse.ArgumentParser, help_text: str) -> None:
    p.add_argument(
        "--tai-lieu",
        "--document",
        dest="documents",
        action="append",
        metavar="MỤC=TỆP",
        help=help_text,
    )


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """Add nominate, nominations and nomination to the `thidua` parser."""
    p = sub.add_parser(
        "nominate",
        help="nộp một hồ sơ đề nghị khen thưởng (kiểm tra hồ sơ, thời hạn, hạn mức)",
        description=(
            "Ghi một hồ sơ đề nghị khen thưởng: đối tượng, hình thức, tóm tắt thành tích và "
            "đủ các tài liệu kế hoạch yêu cầu. Hồ sơ thiếu tài liệu, ngoài thời hạn, vượt hạn "
            "mức hoặc trùng đối tượng và thành tích đều bị từ chối và không ghi gì."
        ),
    )
    p.add_argument("code", metavar="SỐ-KÝ-HIỆU", help="số ký hiệu đợt thi đua, ví dụ 579/KH-SNgV")
    p.add_argument(
        "--don-vi",
        "--unit",
        dest="unit",
        required=True,
        metavar="MÃ",
        help="đơn vị đề nghị (tính vào hạn mức của đơn vị này)",
    )
    p.add_argument(
        "--hinh-thuc",
        "--award",
        dest="award",
        required=True,
        metavar="TÊN",
        help="hình thức khen thưởng: mã, tên hoặc phần đầu tên, ví dụ “Bằng khen”",
    )
    p.add_argument(
        "--loai",
        "--kind",
        dest="kind",
        required=True,
        metavar="LOẠI",
        help="tap_the (tập thể), ca_nhan (cá nhân) hoặc ho_gia_dinh (hộ gia đình)",
    )
    p.add_argument(
        "--ten",
        "--name",
        dest="name",
        required=True,
        metavar="TÊN",
        help="họ và tên cá nhân, tên tập thể hoặc chủ hộ",
    )
    p.add_argument(
        "--chuc-vu",
        "--position",
        dest="position",
        metavar="CHỨC-VỤ",
        help="chức vụ (bắt buộc với cá nhân)",
    )
    p.add_argument(
        "--noi-cong-tac",
        "--workplace",
        dest="workplace",
        metavar="ĐƠN-VỊ",
        help="đơn vị công tác hoặc địa chỉ (bắt buộc với cá nhân)",
    )
    p.add_argument(
        "--thanh-tich",
        "--achievement",
        dest="achievement",
        required=True,
        metavar="TÓM-TẮT",
        help="tóm tắt thành tích",
    )
    _add_documents(
        p,
        "một tài liệu của hồ sơ: tên (hoặc phần đầu tên, hoặc số thứ tự) = đường dẫn tệp, ví "
        "dụ “Tờ trình đề nghị khen thưởng=to_trinh.pdf” hoặc “1=to_trinh.pdf”; lặp lại cho "
        "từng tài liệu",
    )
    p.add_argument(
        "--luc",
        "--at",
        dest="at",
        metavar="THỜI-ĐIỂM",
        help="lúc nộp, ví dụ “03/7/2023 10:00” (mặc định: bây giờ)",
    )
    p.add_argument(
        "--nguoi-nop",
        "--by",
        dest="by",
        metavar="NGƯỜI",
        help="người nộp (mặc định: mã đơn vị đề nghị)",
    )
    p.set_defaults(func=cmd_nominate)

    p = sub.add_parser(
        "nominations",
        help="danh sách hồ sơ đề nghị khen thưởng và hạn mức; xuất XLSX",
    )
    p.add_argument("code", metavar="SỐ-KÝ-HIỆU", help="số ký hiệu đợt thi đua")
    p.add_argument("--don-vi", "--unit", dest="unit", metavar="MÃ", help="chỉ hồ sơ của đơn vị này")
    p.add_argument(
        "--trang-thai",
        "--status",
        dest="status",
        metavar="TRẠNG-THÁI",
        help="chỉ hồ sơ ở trạng thái này, ví dụ “trả lại” hoặc returned",
    )
    p.add_argument(
        "--xuat-xlsx",
        "--xlsx",
        dest="xlsx",
        metavar="TỆP.xlsx",
        help="xuất danh sách đề nghị khen thưởng (phụ lục Tờ trình) ra tệp Excel",
    )
    p.add_argument(
        "--ca-ho-so-tra-lai",
        "--include-returned",
        dest="include_returned",
        action="store_true",
        help="với --xlsx: kèm cả hồ sơ đã trả lại để bổ sung (mặc định: không kèm)",
    )
    p.set_defaults(func=cmd_nominations)

    p = sub.add_parser("nomination", help="xử lý một hồ sơ đề nghị: trả lại, duyệt, … , lịch sử")
    verbs = p.add_subparsers(dest="verb", metavar="VIỆC", parser_class=parser_class)
    verbs.required = True
    for verb, (_, help_text) in _VERBS.items():
        q = verbs.add_parser(verb, help=help_text)
        q.add_argument(
            "id", type=int, metavar="SỐ", help="số hồ sơ (cột Số của thidua nominations)"
        )
        q.add_argument("--ly-do", "--reason", dest="reason", metavar="LÝ-DO", help="lý do")
        q.add_argument("--nguoi-xu-ly", "--by", dest="by", metavar="NGƯỜI", help="người thực hiện")
        if verb == "resubmit":
            _add_documents(q, "tài liệu thay thế, dạng MỤC=TỆP như khi nộp; lặp lại nếu cần")
        q.set_defaults(func=cmd_move)
    q = verbs.add_parser("history", help="lịch sử xử lý hồ sơ: ai, lúc nào, vì sao")
    q.add_argument("id", type=int, metavar="SỐ", help="số hồ sơ")
    q.set_defaults(func=cmd_history)
