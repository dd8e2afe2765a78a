"""Invisible characters and length caps in names and titles (issue 11 point 8).

A unit name with a right-to-left override (U+202E) or a zero-width space used to
be accepted and sent. Every name and title now goes through `thidua.text.names`: one
validator, reused by the campaign spec and the registry; a structural test below
finds the next text field that forgets it.
"""

from __future__ import annotations

import re
import types
import typing
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, Union

import pytest

from thidua.campaign import spec
from thidua.campaign.loading import load_campaign
from thidua.errors import CampaignFileError, RegistryError
from thidua.registry import parse_registry
from thidua.text.names import MAX_NAME, MAX_TITLE

INVISIBLE = [
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",  # bidi embeddings and overrides
    "\u2066", "\u2067", "\u2068", "\u2069",  # bidi isolates
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f",  # zero-width, LRM, RLM
    "\u2060", "\ufeff",  # word joiner, BOM
    "\x00", "\x07", "\x1b", "\x7f", "\x9b",  # C0 and C1 controls
]  # fmt: skip


def _unit(name: str, **extra: Any) -> dict[str, Any]:
    return {"code": "SO-A", "name": name, "kind": "so_nganh", "contacts": ["outbox://so-a"]} | extra


@pytest.mark.parametrize("char", INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_unit_names_with_invisible_characters_are_refused(char: str) -> None:
    with pytest.raises(RegistryError) as info:
        parse_registry({"units": [_unit(f"Sở Ngoại{char} vụ")]})
    [problem] = info.value.errors
    assert problem.path == "units[SO-A].name"
    assert f"U+{ord(char):04X}" in problem.message and "tên đơn vị" in problem.message
    assert char not in problem.render()  # shown escaped, never raw


def test_group_names_and_heads_are_checked_by_the_same_rule() -> None:
    data = {
        "groups": [{"code": "KHOI-A", "name": "Khối\u202e A", "kind": "khoi"}],
        "units": [_unit("Sở A", groups=["KHOI-A"], head="Nguyễn\u200b Văn A")],
    }
    with pytest.raises(RegistryError) as info:
        parse_registry(data)
    found = {p.path: p.message for p in info.value.errors}
    assert "U+202E" in found["groups[KHOI-A].name"]
    assert "U+200B" in found["units[SO-A].head"]


def test_line_breaks_in_a_name_become_one_space() -> None:
    """A name wrapped in a spreadsheet cell is one line again, not a refused name."""
    name = "Sở Ngoại\r\nvụ\u2028tỉnh\x85Cao\tBằng"
    assert parse_registry({"units": [_unit(name)]}).unit("SO-A").name == "Sở Ngoại vụ tỉnh Cao Bằng"


def test_names_are_capped_at_200_characters() -> None:
    assert parse_registry({"units": [_unit("S" * MAX_NAME)]}).unit("SO-A").name == "S" * 200
    with pytest.raises(RegistryError) as info:
        parse_registry({"units": [_unit("S" * (MAX_NAME + 1))]})
    assert "201 ký tự, quá giới hạn 200 ký tự" in info.value.errors[0].message


def test_vietnamese_with_combining_marks_is_accepted_and_normalized() -> None:
    decomposed = unicodedata.normalize("NFD", "Sở Ngoại vụ tỉnh Cao Bằng")
    assert decomposed != "Sở Ngoại vụ tỉnh Cao Bằng"
    unit = parse_registry({"units": [_unit(decomposed)]}).unit("SO-A")
    assert unit.name == "Sở Ngoại vụ tỉnh Cao Bằng"


# --- campaign files ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "field"),
    [
        ('title="Đợt thi đua', "title"),
        ('issuer="UBND', "issuer"),
    ],
)
def test_campaign_title_and_issuer_refuse_a_bidi_override(
    write_campaign: Callable[..., Path], where: str, field: str
) -> None:
    path = write_campaign()
    path.write_text(
        path.read_text(encoding="utf-8").replace(where, where + "\u202e"), encoding="utf-8"
    )
    with pytest.raises(CampaignFileError) as info:
        load_campaign(path)
    [problem] = info.value.errors
    assert problem.path == field and "U+202E" in problem.message
    assert "\u202e" not in problem.render()


@pytest.mark.parametrize(
    ("snippet", "extra", "path"),
    [
        ('Milestone(kind="báo cáo", id="bc", when="ngày 10/5/2026", title="Báo\u200b cáo"),', "",
         "milestones[bc].title"),
        ("", 'awards=[Award(name="Bằng\u2060 khen", quota=Quota(per_unit=1))],', "awards[0].name"),
        ("", 'signer="Nguyễn\ufeff Văn A",', "signer"),
        ("", 'targets=[Target(code="t", description="Sáng\u200f kiến", numerator="x", goal=1)],',
         "targets[t].description"),
        ("", 'awards=[Award(name="Bằng khen", dossier=["Tờ\u202d trình"])],',
         "awards[0].dossier[0]"),
        ("", 'contents=["Nội\u2067 dung"],', "contents[0]"),
    ],
)  # fmt: skip
def test_every_name_and_title_of_a_campaign_refuses_invisible_characters(
    write_campaign: Callable[..., Path], snippet: str, extra: str, path: str
) -> None:
    file = write_campaign(snippet, extra=extra)
    with pytest.raises(CampaignFileError) as info:
        load_campaign(file)
    found = {p.path: p for p in info.value.errors}
    assert path in found, info.value.render()
    assert "U+" in found[path].message and "hãy gõ lại" in found[path].message


def test_titles_are_capped_at_300_characters(write_campaign: Callable[..., Path]) -> None:
    ok = 'Milestone(kind="báo cáo", id="bc", when="ngày 10/5/2026", title="{}"),'
    assert load_campaign(write_campaign(ok.format("T" * MAX_TITLE))).spec.milestones[1].title
    with pytest.raises(CampaignFileError) as info:
        load_campaign(write_campaign(ok.format("T" * (MAX_TITLE + 1))))
    [problem] = info.value.errors
    assert problem.path == "milestones[bc].title"
    assert "301 ký tự, quá giới hạn 300 ký tự" in problem.message


def test_a_decomposed_campaign_title_is_normalized(write_campaign: Callable[..., Path]) -> None:
    path = write_campaign()
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "Đợt thi đua thử nghiệm", unicodedata.normalize("NFD", "Đợt thi đua thử nghiệm")
        ),
        encoding="utf-8",
    )
    assert load_campaign(path).spec.title == "Đợt thi đua thử nghiệm"


# --- the next text field cannot forget the rule ------------------------------------


def _str_leaves(tp: Any, meta: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    """The metadata attached to every plain `str` inside a type annotation."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        base, *more = typing.get_args(tp)
        yield from _str_leaves(base, meta + tuple(more))
    elif origin in (list, dict, tuple, Union, types.UnionType):
        for arg in typing.get_args(tp):
            yield from _str_leaves(arg, ())
    elif tp is str:
        yield meta


def _guarded(meta: tuple[Any, ...]) -> bool:
    """A str is fine when a names or code validator guards it, or a pattern that
    cannot match an invisible character (“\\S+” can: it lets U+202E through)."""
    for m in meta:
        func = getattr(m, "func", None)
        if func is not None and getattr(func, "__module__", "") in ("thidua.text.names", "thidua.campaign.spec"):
            return True
        for item in (m, *getattr(m, "metadata", ())):
            pattern = getattr(item, "pattern", None)
            if pattern and not any(
                re.search(pattern, sample) for sample in ("A\u202eB/C", "a\u202eb", "1\u200b")
            ):
                return True
    return False


def test_every_text_field_of_the_spec_goes_through_the_names_validator() -> None:
    models = [
        obj
        for obj in vars(spec).values()
        if isinstance(obj, type) and issubclass(obj, spec.Spec) and obj is not spec.Spec
    ]
    unguarded = []
    for model in models:
        for name, field in model.model_fields.items():
            for meta in _str_leaves(field.annotation, tuple(field.metadata)):
                if not _guarded(meta):
                    unguarded.append(f"{model.__name__}.{name}")
    assert not unguarded, f"text fields without thidua.text.names validation: {unguarded}"
