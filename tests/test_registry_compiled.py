"""A registry read from its compiled cache (`thidua.registry.compiled`): the same registry as
the validated one, answering audiences from its profiles without building units, building
a unit when asked for and keeping only the last few, and reading its own file even after
the cache was compiled again or cleaned."""

from __future__ import annotations

from pathlib import Path

import pytest

from thidua.campaign.audience import expand, reminded
from thidua.campaign.kinds import Requirement
from thidua.config import get_settings
from thidua.registry import Registry, UnitKind, compiled, load_registry, wants_digest
from thidua.registry.models import Profile, UnitTable
from thidua.registry.unit_names import UnitNames

REGISTRY = """\
groups:
  - {code: K, name: Khối một, kind: khoi, head: A}
  - {code: W, name: Nhóm bản tin, digest: weekly}
units:
  - {code: A, name: Sở A, kind: so_nganh, groups: [K], headcount: 5, contacts: ['outbox://a']}
  - {code: B, name: Sở B, kind: so_nganh, groups: [K], supervisor: A, contacts: ['outbox://b']}
  - {code: C, name: UBND xã C, kind: xa, groups: [K, W], supervisor: A}
  - {code: D, name: UBND xã D, kind: xa, groups: [W], supervisor: B, digest: none}
  - {code: E, name: UBND xã E, kind: xa, supervisor: B, phone: '0206 3852 111'}
"""


def _loaded(tmp_path: Path) -> tuple[Registry, Registry]:
    path = tmp_path / "units.yaml"
    path.write_text(REGISTRY, encoding="utf-8")
    return load_registry(path), load_registry(path)  # validated, then from the cache


def _compiled_files() -> list[Path]:
    return list((get_settings().cache_dir / "registries").glob("*.jsonl"))


def test_a_compiled_registry_is_the_validated_one_unit_by_unit(tmp_path: Path) -> None:
    first, again = _loaded(tmp_path)
    assert isinstance(first.units, dict) and isinstance(again.units, UnitTable)
    assert again == first and len(again) == len(first) == 5
    assert [u.code for u in again] == [u.code for u in first] == list(again.codes())
    assert dict(again.units.items()) == first.units
    for code in "ABCDE":
        assert again.unit(code.lower()) == first.unit(code)
        assert again.profile(code) == first.profile(code) == Profile.of(first.unit(code))
        assert again.supervisor(code) == first.supervisor(code)
        assert again.group_heads(code) == first.group_heads(code)
        assert wants_digest(again, code) == wants_digest(first, code)
    assert "c" in again and "Z" not in again and 3 not in again
    assert again.member_codes("k") == first.member_codes("K") == ["A", "B", "C"]
    assert again.members("W") == first.members("W")
    assert again.codes_of_kind("xa") == ["C", "D", "E"]
    assert again.of_kind("UBND xã", "so_nganh") == first.of_kind("xa", "so_nganh")
    assert [wants_digest(again, c) for c in "ABCDE"] == [False, False, True, False, False]
    with pytest.raises(KeyError):
        again.unit("Z")
    with pytest.raises(KeyError):
        again.profile("Z")


def test_audiences_of_a_compiled_registry_build_no_unit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, again = _loaded(tmp_path)

    def refuse(*args: object) -> None:
        raise AssertionError("a unit was built")

    monkeypatch.setattr(compiled.CompiledUnits, "_build", refuse)
    assert expand(["W", "e", "A"], again) == ("C", "D", "E", "A")
    assert again.codes_of_kind(UnitKind.XA) == ["C", "D", "E"]
    milestone = type("M", (), {"requirement": Requirement.REPORT})()
    assert reminded(milestone, again, list(again.codes())) == ("A", "B", "D", "E")  # type: ignore[arg-type]
    assert len(UnitNames(["A", "B"], again)) == 2  # names are read when iterated only


def test_units_are_built_on_demand_and_only_the_last_few_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compiled, "CACHED_UNITS", 2)
    first, again = _loaded(tmp_path)
    a = again.unit("A")
    assert again.unit("A") is a  # asked twice in a row (contacts, then the notice): built once
    again.unit("B"), again.unit("C")
    assert again.unit("A") is not a and again.unit("A") == a == first.unit("A")
    assert list(UnitNames(["C", "A"], again)) == ["UBND xã C", "Sở A"]
    assert UnitNames(["E", "D"], again)[0:1] == ["UBND xã E"]


def test_a_compiled_registry_reads_its_own_file_after_the_cache_changed(tmp_path: Path) -> None:
    first, again = _loaded(tmp_path)
    [path] = _compiled_files()
    # Compiled again (a rename over it) with other contents, then cleaned away: the open
    # registry still reads the file it indexed.
    other = tmp_path / "other.jsonl"
    other.write_text(path.read_text("utf-8").replace("Sở B", "Sở Bê"), encoding="utf-8")
    other.replace(path)
    assert again.unit("B").name == "Sở B"
    path.unlink()
    assert [u.name for u in again] == [u.name for u in first]
    assert again.unit("E") == first.unit("E")


def test_a_compiled_registry_changed_in_place_is_refused_not_misread(tmp_path: Path) -> None:
    _, again = _loaded(tmp_path)
    [path] = _compiled_files()
    text = path.read_text("utf-8")
    path.write_text(text.replace('["A"', '["X"', 1), encoding="utf-8")  # same length
    with pytest.raises(RuntimeError, match="changed"):
        again.unit("A")
