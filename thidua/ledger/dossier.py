"""A nomination's dossier: which award it asks for, for whom, and which document is which.

Matching is forgiving (a number, a name or a unique prefix; case and diacritics
ignored); every refusal lists what the award's dossier holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from thidua.campaign.kinds import MilestoneKind, NomineeKind
from thidua.campaign.spec import Award, Campaign
from thidua.errors import NominationError, quote
from thidua.ledger.files import FileBatch, FileCheckError, check_file
from thidua.text.fold import fold


class IncompleteDossier(NominationError):
    """The dossier lacks documents the award requires; the message lists them, numbered."""


class DocumentRefused(FileCheckError, NominationError):
    """A dossier document's file is missing or not what it claims; names the dossier item."""

    def __init__(self, item: str, error: FileCheckError) -> None:
        super().__init__(error.path, error.reason)
        self.item = item
        self.field = "documents"
        self.value = str(error.path)
        self.args = (f"tài liệu “{item}”: {self}",)


_SPACES = re.compile(r"[\s\-]+")


def name_key(text: str) -> str:
    """How a name is compared and stored as a key: “Nguyễn Văn An” → "nguyen_van_an".

    Stored keys (a nominee, an achievement, an award without a code) must stay what
    earlier versions wrote, so punctuation is kept: only spaces and hyphens join words.
    """
    return _SPACES.sub("_", fold(text))


def one_line(value: str | None) -> str | None:
    """Text as typed with its whitespace collapsed; None when nothing is left."""
    value = re.sub(r"\s+", " ", value or "").strip()
    return value or None


def award_key(award: Award) -> str:
    """How a nomination names its award in the store: the code, or the folded name."""
    return award.code or name_key(award.name)


def award_for_key(spec: Campaign, key: str) -> Award | None:
    """The campaign's award stored as `key`, or None when the file no longer has it."""
    return next((a for a in spec.awards if award_key(a) == key), None)


def _numbered(items: Iterable[str]) -> str:
    return "; ".join(f"{i}. {item}" for i, item in enumerate(items, 1))


def find_award(spec: Campaign, text: str) -> Award:
    """The award named by code, name or a unique prefix of its name (case, diacritics ignored)."""
    if not spec.awards:
        raise NominationError(
            f"đợt thi đua {spec.code} không có hình thức khen thưởng nào (awards) "
            "nên không nhận hồ sơ đề nghị"
        )
    key = name_key(text)
    for award in spec.awards:
        if key and (key == name_key(award.name) or (award.code and key == name_key(award.code))):
            return award
    prefixed = [a for a in spec.awards if key and name_key(a.name).startswith(key)]
    if len(prefixed) == 1:
        return prefixed[0]
    names = _numbered(a.name + (f" (mã {a.code})" if a.code else "") for a in spec.awards)
    what = "khớp với nhiều hình thức" if prefixed else "không có"
    raise NominationError(
        f"hình thức khen thưởng {quote(text)} {what} trong đợt thi đua {spec.code}; "
        f"các hình thức của đợt: {names}",
        field="award",
        value=text,
    )


def parse_kind(text: str, award: Award) -> NomineeKind:
    """The nominee kind (tập thể / cá nhân / hộ gia đình), which the award must allow."""
    try:
        # `parse` is typed for any input; given a str it returns a member or raises.
        kind: NomineeKind = NomineeKind.parse(text)
    except ValueError as exc:
        raise NominationError(
            f"loại đối tượng {quote(text)}: {exc}", field="nominee_kind", value=text
        ) from None
    if kind not in award.nominees:
        allowed = ", ".join(k.label for k in award.nominees)
        raise NominationError(
            f"loại đối tượng {quote(text)}: hình thức “{award.name}” không dành cho "
            f"{kind.label}; chỉ dành cho: {allowed}",
            field="nominee_kind",
            value=text,
        )
    return kind


def parse_document_arg(text: str) -> tuple[str, str]:
    """Split a document given as "MỤC=ĐƯỜNG-DẪN" (the CLI's form) into (item as typed, path)."""
    item, sep, path = text.partition("=")
    if not sep or not item.strip() or not path.strip():
        raise NominationError(
            f"tài liệu {quote(text)} phải có dạng MỤC=ĐƯỜNG-DẪN, "
            "ví dụ “Tờ trình đề nghị khen thưởng=to_trinh.pdf” hoặc “1=to_trinh.pdf”",
            field="documents",
            value=text,
        )
    return item.strip(), path.strip()


def match_item(award: Award, given: str) -> str:
    """The dossier item of `award` that `given` names: its number, its name, or a unique prefix."""
    dossier = award.dossier
    if not dossier:
        return given  # no list to match against: the item is named as the unit names it
    listing = _numbered(dossier)
    if given.isdigit():
        number = int(given)
        if 1 <= number <= len(dossier):
            return dossier[number - 1]
        raise NominationError(
            f"tài liệu số {given} không có: hồ sơ “{award.name}” gồm {len(dossier)} tài liệu: "
            f"{listing}",
            field="documents",
            value=given,
        )
    key = name_key(given)
    exact = [item for item in dossier if name_key(item) == key]
    if exact:
        return exact[0]
    prefixed = [item for item in dossier if name_key(item).startswith(key)]
    if len(prefixed) == 1:
        return prefixed[0]
    what = "khớp với nhiều tài liệu" if prefixed else "không có"
    raise NominationError(
        f"tài liệu {quote(given)} {what} trong hồ sơ “{award.name}”; hồ sơ gồm: {listing}",
        field="documents",
        value=given,
    )


def match_documents(
    award: Award, pairs: Sequence[tuple[str, str]], *, complete: bool = True
) -> list[tuple[str, Path]]:
    """Pair each given file with its dossier item; refuse duplicates and (if `complete`) gaps."""
    chosen: dict[str, Path] = {}
    for given, path in pairs:
        item = match_item(award, given)
        if item in chosen:
            raise NominationError(
                f"tài liệu “{item}” được nộp hai lần ({chosen[item]} và {path})",
                field="documents",
                value=given,
            )
        chosen[item] = Path(path)
    if complete:
        missing = [(i, item) for i, item in enumerate(award.dossier, 1) if item not in chosen]
        if missing:
            lines = "\n".join(f"  {i}. {item}" for i, item in missing)
            raise IncompleteDossier(
                f"hồ sơ đề nghị “{award.name}” chưa đủ, còn thiếu {len(missing)} tài liệu:\n"
                f"{lines}",
                field="documents",
            )
    order = {item: i for i, item in enumerate(award.dossier)}
    return sorted(chosen.items(), key=lambda kv: order.get(kv[0], len(order)))


def check_documents(documents: Sequence[tuple[str, Path]]) -> None:
    """Each file is what it claims; a refusal names the dossier item it was given for."""
    for item, path in documents:
        try:
            check_file(path)
        except FileCheckError as exc:
            raise DocumentRefused(item, exc) from None


def store_documents(
    batch: FileBatch, documents: Sequence[tuple[str, Path]], **where: Any
) -> list[dict[str, Any]]:
    """Copy the documents into the store's folder through `batch` (undone if one fails)."""
    # A campaign without a nomination milestone still needs a folder for its dossiers.
    where["milestone"] = where["milestone"] or MilestoneKind.NOMINATION.value
    try:
        return [{"document": item, **batch.store(path, **where)} for item, path in documents]
    except BaseException:
        batch.undo()
        raise


def in_dossier_order(award: Award, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored documents in the order the award lists its dossier (others last)."""
    order = {item: i for i, item in enumerate(award.dossier)}
    return sorted(documents, key=lambda d: order.get(d["document"], len(order)))
