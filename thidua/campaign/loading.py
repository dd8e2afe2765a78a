"""Load a campaign file: run it, validate its declarations, cross-check it.

A campaign file is Python written by an admin. Whatever goes wrong in it (a
syntax error, a typo'd field, an impossible date, an exception) becomes a
`CampaignFileError` listing every problem with its file, line and field path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thidua.campaign.dsl import Declaration, Loc
from thidua.campaign.field_errors import duplicate_milestones, positional, pydantic_problems
from thidua.campaign.locate import Locator, clean_loc, field_path, item_label, milestone_key
from thidua.campaign.salvage import Salvaged, salvage
from thidua.config import get_settings
from thidua.errors import CampaignFileError, Problem, RegistryError, ValidationFailed

if TYPE_CHECKING:
    from collections.abc import Iterable

    from thidua.campaign.sandbox import Executed
    from thidua.campaign.spec import Campaign
    from thidua.registry import Registry


@dataclass
class LoadedCampaign:
    """A valid campaign with the registry it was checked against."""

    spec: Campaign
    registry: Registry
    path: Path
    warnings: list[Problem] = field(default_factory=list)

    @property
    def code(self) -> str:
        return self.spec.code


Specs = dict[Path, tuple["Campaign | None", list[Problem]]]


def load_campaign(
    path: str | Path,
    *,
    registry: str | Path | Registry | None = None,
    parents: bool = True,
    specs: Specs | None = None,
) -> LoadedCampaign:
    """Load, validate and cross-check one campaign file; raise CampaignFileError.

    `specs` holds files already read by `read_specs` (the file itself, its parent
    candidates): they are not run again.
    """
    path = Path(path)
    known = specs or {}
    if path in known:
        read = _Read(*known[path])
    else:
        # A child campaign's parent is read in the same child process as the file.
        declared = _declared_parent(path) if parents else None
        extra = _parent_candidates(declared, path) if declared else []
        reads = _read_all([path, *extra])
        known = {**known, **_specs(reads)}
        read = reads[path]
    return _load(path, read, registry=registry, parents=parents, known=known)


def _declared_parent(path: Path) -> str | None:
    """The `parent="…"` a file's text declares, found without running it (a hint only)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    m = re.search(r"""\bparent\s*=\s*["']([^"'\n]+)["']""", text)
    return m.group(1) if m else None


def load_campaigns(
    paths: Iterable[str | Path], *, registry: str | Path | Registry | None = None
) -> list[LoadedCampaign | ValidationFailed]:
    """`load_campaign` for each of `paths`, in order, running them all in one child process.

    A file that fails is returned as its error (a CampaignFileError), so the caller reports
    every file; the parents of child campaigns are read from the same batch.
    """
    files = [Path(p) for p in paths]
    parents = [_parent_candidates(code, f) for f in files if (code := _declared_parent(f))]
    reads = _read_all(files + [c for found in parents for c in found])
    specs = _specs(reads)
    out: list[LoadedCampaign | ValidationFailed] = []
    for path in files:
        try:
            out.append(_load(path, reads[path], registry=registry, parents=True, known=specs))
        except ValidationFailed as exc:
            out.append(exc)
    return out


@dataclass
class _Read:
    """A file as read and validated: its campaign, or what could be saved of it."""

    spec: Campaign | None
    problems: list[Problem]
    salvaged: Salvaged | None = None
    data: Any = None
    where: dict[Loc, Declaration] = field(default_factory=dict)


def _specs(reads: dict[Path, _Read]) -> Specs:
    return {path: (r.spec, r.problems) for path, r in reads.items()}


def _load(
    path: Path,
    read: _Read,
    *,
    registry: str | Path | Registry | None,
    parents: bool,
    known: Specs,
) -> LoadedCampaign:
    source = str(path)
    problems = list(read.problems)
    # An invalid file is cross-checked too, as far as its valid part allows: every
    # problem of a file is reported in one pass.
    spec = read.spec or (read.salvaged.campaign if read.salvaged else None)
    if spec is None:
        raise CampaignFileError(source, _in_order(problems, source))

    from thidua.campaign.checks import check_campaign

    broken = read.salvaged.broken if read.spec is None and read.salvaged else frozenset()
    if "registry" in broken:
        raise CampaignFileError(
            source, _in_order(problems, source)
        )  # another registry would mislead the checks
    reg, reg_problems = _registry_for(spec, path, registry)
    problems = problems + [_place(p, read, source) for p in reg_problems]
    if reg is None:
        raise CampaignFileError(source, _in_order(problems, source))
    parent = find_parent(spec, path, known) if parents and spec.parent else None
    try:
        checked = check_campaign(spec, reg, parent=parent, base_dir=path.parent, broken=broken)
    except Exception:
        if read.spec is not None:
            raise
        # A partial campaign (some parts cut away) the checks could not read: its field
        # errors stand on their own.
        raise CampaignFileError(source, _in_order(problems, source)) from None
    problems += [_place(p, read, source) for p in checked]
    if spec.parent and parents and parent is None and "parent" not in broken:
        problems.append(
            Problem(
                "parent",
                f"không tìm thấy kế hoạch cấp trên trong {path.parent}; "
                "bỏ qua việc đối chiếu hạn với kế hoạch cấp trên",
                spec.parent,
                _place(Problem("parent", ""), read, source).source,
                "warning",
            )
        )
    if read.spec is None or any(p.severity == "error" for p in problems):
        raise CampaignFileError(source, _in_order(problems, source))
    return LoadedCampaign(spec, reg, path, problems)


def _in_order(problems: list[Problem], source: str) -> list[Problem]:
    """The file's problems by line, so that an admin fixes it top to bottom; then the rest."""

    def key(p: Problem) -> tuple[int, str, int]:
        file, _, line = (p.source or "").rpartition(":")
        if not line.isdigit():
            file, line = p.source or "", "0"
        return (0 if file == source else 1, file, int(line))

    return sorted(problems, key=key)


def _place(problem: Problem, read: _Read, source: str) -> Problem:
    """A cross-check's problem with the path and line of what the file wrote."""
    if problem.source:
        return problem
    pruned = read.salvaged.pruned if read.spec is None and read.salvaged else read.data
    loc = problem.loc or _parse_path(problem.path, pruned)
    if read.spec is None and read.salvaged:
        loc = read.salvaged.original(loc)
    path = field_path(loc, read.data) if loc and read.data is not None else problem.path
    line = Locator(read.where).source(loc) if read.where else None
    shown = {"value": problem.value} if problem.has_value else {}
    return Problem(
        path, problem.message, source=line or source, severity=problem.severity, loc=loc, **shown
    )


_PATH_PART = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_]*)|\[([^\]]*)\]")


def _parse_path(path: str, data: Any) -> Loc:
    """The location a path names in `data` (`milestones[bao-cao].when`, `awards[0]`)."""
    loc: Loc = ()
    node = data
    for m in _PATH_PART.finditer(path):
        part: str | int = m.group(1) if m.group(1) is not None else m.group(2)
        if m.group(2) is not None and isinstance(node, list):
            part = _list_index(loc, node, m.group(2))
            if part == -1:
                break
        loc = (*loc, part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return loc


def _list_index(loc: Loc, items: list[Any], label: str) -> int:
    if label.isdigit():
        return int(label)
    for i, item in enumerate(items):
        if label in (
            item_label(loc, items, i),
            milestone_key(item) if loc == ("milestones",) else None,
        ):
            return i
        if isinstance(item, dict) and label in (item.get("id"), item.get("code")):
            return i
    return -1


def read_spec(path: Path) -> tuple[Campaign | None, list[Problem]]:
    """Run the file (in a child process) and validate its `campaign`; no registry, no cross-checks."""
    return read_specs([path])[Path(path)]


def read_specs(paths: Iterable[Path]) -> dict[Path, tuple[Campaign | None, list[Problem]]]:
    """`read_spec` for several files, run in one child process (retried per file if it dies)."""
    return _specs(_read_all(paths))


def _read_all(paths: Iterable[Path]) -> dict[Path, _Read]:
    from thidua.campaign.sandbox import execute

    def prepare() -> None:
        # What this process needs next anyway, loaded before a fork so the child
        # shares it: campaign files run `from thidua import *`, which imports every
        # lazily exported module (plan, checks, …); the child must not pay for them.
        import thidua.campaign.checks
        import thidua.campaign.plan  # noqa: F401
        from thidua.campaign import spec

        spec.Campaign.model_rebuild(force=True)

    ran = execute([Path(p) for p in paths], meanwhile=prepare)
    return {path: _validate(executed) for path, executed in ran.items()}


def _validate(executed: Executed) -> _Read:
    """pydantic validation of what a file declared, in this process."""
    if executed.problems:
        return _Read(None, executed.problems)
    from pydantic import ValidationError

    from thidua.campaign import spec
    from thidua.campaign.vocabulary import normalize

    data, where = executed.data, executed.where
    normalize(data, where)
    problems = (
        [] if executed.model else [positional(loc, d, data) for loc, d in where.items() if d.args]
    )
    problems += duplicate_milestones(data, where)
    try:
        campaign = spec.Campaign.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        try:
            saved = salvage(data, where, errors)
        except Exception:  # best effort: the field errors are reported whatever happens here
            saved = Salvaged(None)
        # A field “missing” from a declaration given positional arguments is the one
        # written without its name: the positional problem already says so.
        positional_at = {loc for loc, d in where.items() if d.args}
        shown = [
            e
            for e in errors + saved.hidden
            if not (e["type"] == "missing" and clean_loc(e["loc"])[:-1] in positional_at)
        ]
        problems += pydantic_problems(shown, data, where)
        return _Read(None, problems, saved, data, where)
    if problems:
        return _Read(None, problems, Salvaged(campaign, data), data, where)
    return _Read(campaign, problems, None, data, where)


# --- registry and parent -------------------------------------------------------


def _registry_for(
    spec: Campaign, path: Path, given: str | Path | Registry | None
) -> tuple[Registry | None, list[Problem]]:
    from thidua.registry import Registry, load_registry

    if isinstance(given, Registry):
        return given, list(given.warnings)
    if given is not None:
        reg_path, field_name, written = Path(given), "--registry", str(given)
    elif spec.registry:
        reg_path, field_name, written = path.parent / spec.registry, "registry", spec.registry
    else:
        reg_path = get_settings().registry
        field_name, written = "THIDUA_REGISTRY", str(reg_path)
    if not reg_path.is_file():
        # Named by the field that chose it: the admin fixes the campaign, not a registry.
        what = (
            "là một thư mục, không phải tệp"
            if reg_path.is_dir()
            else "không phải tệp thường"
            if reg_path.exists()
            else "không tìm thấy tệp"
        )
        return None, [
            Problem(
                field_name,
                f"danh mục đơn vị {reg_path}: {what}; cần một tệp .yaml, .csv hoặc .xlsx",
                written,
                # the campaign's own field is located at its line by the caller
                None if field_name == "registry" else str(path),
            )
        ]
    try:
        reg = load_registry(reg_path)
    except RegistryError as exc:
        return None, exc.problems
    return reg, list(reg.warnings)


_CODE_RE = r"""code\s*=\s*["']{code}["']"""


def find_parent(spec: Campaign, path: Path, known: Specs | None = None) -> Campaign | None:
    """The parent campaign of `spec` among the campaign files next to it, if valid.

    Candidates are found by their text; those not already in `known` (a batch read
    together) are run in one child process.
    """
    assert spec.parent
    known = known if known is not None else {}
    candidates = _parent_candidates(spec.parent, path)
    missing = [c for c in candidates if c not in known]
    specs = {**known, **(read_specs(missing) if missing else {})}
    for candidate in candidates:
        parent, _ = specs[candidate]
        if parent is not None and parent.code == spec.parent:
            return parent
    return None


def _parent_candidates(code: str, path: Path) -> list[Path]:
    """Campaign files next to `path` whose text names campaign `code`."""
    pattern = re.compile(_CODE_RE.format(code=re.escape(code)))
    candidates = []
    for candidate in sorted(path.parent.glob("*.py")):
        if candidate.resolve() == path.resolve():
            continue
        try:
            text = candidate.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if pattern.search(text):
            candidates.append(candidate)
    return candidates
