"""docs/campaign-reference.md is generated from the models and kept current."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from thidua.campaign import reference


def test_the_committed_reference_is_current() -> None:
    """Fails after a field of a model changed until `scripts/campaign-reference` is run."""
    assert reference.DOC.read_text(encoding="utf-8") == reference.render(), (
        "docs/campaign-reference.md is stale: run scripts/campaign-reference"
    )


def test_every_field_of_every_model_has_a_row() -> None:
    text = reference.DOC.read_text(encoding="utf-8")
    sections = text.split("\n### ")
    for name, model in reference.models().items():
        [section] = [s for s in sections if s.startswith(f"{name}\n")]
        for field in reference.fields_of(model):
            assert f"\n| `{field}` |" in section, (name, field)


def test_a_row_gives_type_default_vietnamese_words_and_example() -> None:
    text = reference.DOC.read_text(encoding="utf-8")
    late = next(line for line in text.splitlines() if line.startswith("| `late` |"))
    assert "“accept”" in late and "“không nhận” = refuse" in late and "`late=" in late
    kind = next(line for line in text.splitlines() if line.startswith("| `kind` | Loại mốc"))
    assert "bắt buộc" in kind and "“sơ kết” = review" in kind
    assert "| `when` |" in text and "cụm ngày tháng" in text


def test_a_new_field_appears_with_its_own_description() -> None:
    """What a helper adds to a model shows up without editing the generator."""

    class Sample(BaseModel):
        """A model of tomorrow."""

        scope: Literal["all", "some"] = Field("all", description="Phạm vi áp dụng")

    [row] = [r for r in reference._section("Sample", Sample, {}) if r.startswith("| `scope`")]
    assert "Phạm vi áp dụng" in row and "một trong: “all”, “some”" in row and "“all”" in row


def test_a_registry_model_still_a_dataclass_is_read_too() -> None:
    from dataclasses import dataclass, field

    @dataclass
    class Row:
        """A row of some registry."""

        code: str
        members: list[str] = field(default_factory=list, metadata={"description": "Thành viên"})
        note: str | None = None

    rows = reference._section("Row", Row, {})
    [code] = [r for r in rows if r.startswith("| `code`")]
    [members] = [r for r in rows if r.startswith("| `members`")]
    assert "bắt buộc" in code and "văn bản" in code
    assert "Thành viên" in members and "danh sách văn bản" in members and "trống" in members
    assert any(r.startswith("| `note`") and "không có" in r for r in rows)
