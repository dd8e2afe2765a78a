"""Who issues a report: letterhead, place line, signature and Nơi nhận, from the registry.

The place line (“Cao Bằng, ngày … tháng … năm …”) names the province, whatever the
issuer is called: it is read from the first of the issuer's name, the registry's name
(“Tỉnh Cao Bằng (2026)”), the organizer's name and the other units' names that says
“tỉnh X” (else “thành phố X”, a city under the central government); the registry's
`name` is where an admin states it when nothing else does.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from thidua.campaign.doctype import infer_issuer_kind
from thidua.campaign.kinds import CampaignKind
from thidua.campaign.spec import Campaign
from thidua.documents.layout import NAME_PLACEHOLDER, NUMBER_BLANK, Letterhead, Signature
from thidua.registry import Registry, Unit
from thidua.text.fold import fold
from thidua.text.fold import fold_words as fold_name

IssuedBy = Literal["to-chuc", "ban-hanh"]
PLACE_PLACEHOLDER = "[Địa danh]"


def campaign_subject(spec: Campaign) -> str:
    """What the campaign is, as a noun phrase: “phong trào thi đua lập thành tích …”."""
    text = re.sub(r"^\s*phát động\s+", "", spec.title, flags=re.IGNORECASE).strip()
    text = text[:1].lower() + text[1:]
    if text.startswith("thi đua"):
        text = "phong trào " + text
    return text


def word(spec: Campaign) -> str:
    """“phong trào” for a regular campaign, “đợt” for a batch one (the đề cương's word)."""
    return "phong trào" if spec.kind is CampaignKind.REGULAR else "đợt"


def _named_after(text: str, level: str) -> str | None:
    """“Cao Bằng” in “Sở Ngoại vụ tỉnh Cao Bằng”: the capitalized words after `level`.

    “Tỉnh ủy”, “Công an tỉnh” name no province: a lowercase word or nothing follows.
    """
    words = re.findall(r"[^\s(),;.]+|[(),;.]", text)
    size = len(level.split())
    for i in range(len(words) - size):
        if " ".join(words[i : i + size]).lower() != level:
            continue
        name = []
        for word in words[i + size :]:
            if not word[:1].isupper():
                break
            name.append(word)
        if name:
            return " ".join(name)
    return None


def _sources(spec: Campaign, registry: Registry) -> Iterable[list[str]]:
    """Texts that may name the province, most telling first; units' names by majority."""
    yield [spec.issuer]
    if registry.name:
        yield [registry.name]
    if spec.organizer in registry:
        yield [registry.unit(spec.organizer).name]
    yield [unit.name for unit in registry]


def province(spec: Campaign, registry: Registry) -> str | None:
    """The province (or centrally-run city) the campaign belongs to, if any text names it."""
    for level in ("tỉnh", "thành phố"):
        for texts in _sources(spec, registry):
            found = [name for text in texts if (name := _named_after(text, level))]
            if found:
                return Counter(found).most_common(1)[0][0]
    return None


def place_date(spec: Campaign, registry: Registry, today: date) -> str:
    """“Cao Bằng, ngày … tháng 11 năm 2026”: the day is written in when the report is signed."""
    month = f"{today.month:02d}" if today.month <= 2 else str(today.month)
    place = province(spec, registry) or PLACE_PLACEHOLDER
    return f"{place}, ngày … tháng {month} năm {today.year}"


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
    if issued_by == "to-chuc" and infer_issuer_kind("", organizer_name) == "dang":
        return _party_office(spec, registry, organizer, organizer_name, today)
    if issued_by == "ban-hanh" and spec.is_party:
        return _party_committee(spec, registry, organizer_name, today)
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
                place_date=place_date(spec, registry, today),
            ),
            name=name,
            recipient=spec.issuer,
            distribution=["Như trên;", f"Lưu: VT, {spec.organizer}."],
            signature=Signature((title.upper(),), person or NAME_PLACEHOLDER),
        )
    unit = _find_by_name(registry, spec.issuer)
    parent_unit = registry.supervisor(unit.code) if unit else None
    body = spec.issuer
    if fold(body).startswith("chu tich uy ban nhan dan"):
        # A Chỉ thị of the Chủ tịch: the committee's letterhead, the Chủ tịch's own signature.
        body = body.split(None, 2)[2]
        title, person = _split_signer(spec.signer) if spec.signer else ("Chủ tịch", None)
        return Issuer(
            letterhead=Letterhead(
                parent=None,
                body=body.upper(),
                number=f"Số: {NUMBER_BLANK}/BC-UBND",
                place_date=place_date(spec, registry, today),
            ),
            name=body,
            recipient=None,
            distribution=_state_distribution(spec, organizer_name),
            signature=Signature((title.upper(),), person or NAME_PLACEHOLDER),
        )
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
            place_date=place_date(spec, registry, today),
        ),
        name=spec.issuer,
        recipient=None,
        distribution=_state_distribution(spec, organizer_name),
        signature=Signature(authority, person or NAME_PLACEHOLDER),
    )


def _state_distribution(spec: Campaign, organizer_name: str) -> list[str]:
    return [
        f"{organizer_name};",
        f"Các cơ quan, đơn vị tham gia {word(spec)} thi đua;",
        f"Lưu: VT, {spec.organizer}.",
    ]


# --- the Party's documents (Hướng dẫn 36-HD/VPTW) -------------------------------------

_COMMITTEE_WORDS = re.compile(r"\s+(?:Tỉnh|Thành|Huyện|Đảng)\s+ủy\b.*$")


def committee_name(spec: Campaign, registry: Registry) -> str:
    """The Party committee a plan belongs to: “Tỉnh ủy Cao Bằng”, “Đảng ủy …”."""
    issuer_name = spec.issuer
    folded = fold(issuer_name)
    place = province(spec, registry) or PLACE_PLACEHOLDER
    if "dang uy" in folded:
        start = folded.index("dang uy")
        return issuer_name[start:].strip()
    if "thanh uy" in folded:
        return f"Thành ủy {place}"
    return f"Tỉnh ủy {place}"


def _party_symbol(spec: Campaign) -> str:
    """“TU” in “25-KH/TU”: whose number series the report continues."""
    _, slash, after = spec.code.partition("/")
    return after.strip() if slash and after.strip() else "TU"


def _party_authority(issuer_name: str) -> tuple[str, ...]:
    """“T/M BAN THƯỜNG VỤ” for a plan of the Ban Thường vụ; “T/M TỈNH ỦY” for the committee."""
    folded = fold(issuer_name)
    for prefix, line in (
        ("ban thuong vu", "T/M BAN THƯỜNG VỤ"),
        ("thuong truc", "T/M THƯỜNG TRỰC"),
        ("ban chap hanh", "T/M BAN CHẤP HÀNH"),
        ("dang uy", "T/M ĐẢNG ỦY"),
        ("thanh uy", "T/M THÀNH ỦY"),
        ("tinh uy", "T/M TỈNH ỦY"),
    ):
        if folded.startswith(prefix):
            return (line,)
    return ()


def _party_committee(
    spec: Campaign, registry: Registry, organizer_name: str, today: date
) -> Issuer:
    """The plan's issuer reports: the committee's letterhead, signed on its behalf."""
    committee = committee_name(spec, registry)
    if spec.signer:
        title, person = _split_signer(spec.signer)
    else:
        title, person = "Bí thư", None
    title = _COMMITTEE_WORDS.sub("", title).strip() or title
    return Issuer(
        letterhead=Letterhead(
            parent=None,
            body=committee.upper(),
            number=f"Số {NUMBER_BLANK}-BC/{_party_symbol(spec)}",
            place_date=place_date(spec, registry, today),
            party=True,
        ),
        name=spec.issuer,
        recipient=None,
        distribution=[
            f"{organizer_name},",
            f"Các cơ quan, đơn vị tham gia {word(spec)} thi đua,",
            f"Lưu Văn phòng {committee}.",
        ],
        signature=Signature(
            (*_party_authority(spec.issuer), title.upper()), person or NAME_PLACEHOLDER
        ),
    )


def _party_office(
    spec: Campaign, registry: Registry, organizer: Unit | None, name: str, today: date
) -> Issuer:
    """A Party body (Ban Tuyên giáo và Dân vận Tỉnh ủy) compiles the report for its committee."""
    committee = committee_name(spec, registry)
    body = _COMMITTEE_WORDS.sub("", name).strip() or name
    code = organizer.code if organizer else spec.organizer
    title, person = _head(organizer)
    return Issuer(
        letterhead=Letterhead(
            parent=committee.upper(),
            body=body.upper(),
            number=f"Số {NUMBER_BLANK}-BC/{code.replace('-', '')}",
            place_date=place_date(spec, registry, today),
            party=True,
        ),
        name=name,
        recipient=spec.issuer,
        distribution=["Như trên,", f"Lưu {name}."],
        signature=Signature((title.upper(),), person or NAME_PLACEHOLDER),
    )
