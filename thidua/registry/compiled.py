"""Compiled registries: JSON lines written once, read back as a `UnitTable` of byte offsets.

A header (name, groups, warnings, how many units), then one array of field values per
unit. Reading one builds no `Unit`: it keeps each unit's code, where its line starts and
its `Profile` (kind, groups, supervisor, digest: what audiences are resolved from, shared
by the many units that have the same), ~160 bytes a unit instead of the ~930 of a pydantic
`Unit`. A unit is built from its line when it is asked for, and the last few hundred are
kept (a notice asks for its unit two or three times in a row).

The file stays open for as long as the table lives: a registry compiled again replaces
the file by a rename (`write_atomic`), and a cache cleaned meanwhile unlinks it, but
neither changes what the open file reads.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import weakref
from array import array
from collections import OrderedDict
from collections.abc import ItemsView, Iterator, ValuesView
from pathlib import Path
from typing import Any

from thidua.errors import Problem
from thidua.registry.models import Group, Profile, Registry, Unit, UnitTable
from thidua.registry.vocabulary import Digest, UnitKind
from thidua.store.cache import write_atomic

FORMAT = "3"
#: a unit's fields, in the order of a compiled line
FIELDS = tuple(Unit.model_fields)
#: every Unit loaded from a compiled cache marks all its fields as set; one set shared by
#: all of them (pydantic copies it before changing it: `model_copy`) saves ~730 bytes a unit
_ALL_SET = set(FIELDS)
_KIND, _GROUPS, _SUPERVISOR, _DIGEST = (
    FIELDS.index(f) for f in ("kind", "groups", "supervisor", "digest")
)
#: units built from their lines and kept, most recently asked for last. A province's
#: registry (hundreds of units, a thousand or two) stays whole in it, so `thidua status`
#: and the board, which ask for every unit several times, build each once (with 512,
#: a 1,000-unit board rebuilt ~5,000 units: +70 ms); at 100k units it is ~2 MB.
CACHED_UNITS = 2048
#: lines read at a time when every unit is walked in order
_WALK_LINES = 1024


def write(path: Path, registry: Registry) -> None:
    """The compiled registry, best effort (a read-only or full disk only costs a fresh check)."""
    header = {
        "format": FORMAT,
        "name": registry.name,
        "count": len(registry.units),
        "groups": [g.model_dump() for g in registry.groups.values()],
        "warnings": [
            {"path": w.path, "message": w.message, "source": w.source, "severity": w.severity}
            | ({"value": w.value} if w.has_value else {})
            for w in registry.warnings
        ],
    }
    lines = [json.dumps(header, ensure_ascii=False)]
    for unit in registry.units.values():
        values = unit.model_dump(mode="json")
        lines.append(json.dumps([values[f] for f in FIELDS], ensure_ascii=False))
    with contextlib.suppress(OSError):
        write_atomic(path, "\n".join(lines).encode("utf-8"))


def _digest(value: Any) -> Digest | None:
    return Digest(value) if value else None


def read(path: Path, source: str) -> Registry | None:
    """The registry compiled in `path`, or None when there is none or it is unreadable.

    Every line is read and checked once here, so a damaged file is compiled again
    rather than failing a run half way.
    """
    try:
        file = path.open("rb", buffering=0)
    except OSError:
        return None
    try:
        with contextlib.ExitStack() as on_error:
            on_error.callback(file.close)
            table, header = _index(file)
            groups = [
                Group.model_construct(**{**g, "digest": _digest(g.get("digest"))})
                for g in header["groups"]
            ]
            warnings = [Problem(**w) for w in header["warnings"]]
            if len(table) != header["count"]:
                return None
            on_error.pop_all()
    except (OSError, KeyError, TypeError, ValueError):
        return None
    return Registry(
        source=source,
        name=header.get("name"),
        units=table,
        groups={g.code: g for g in groups},
        warnings=warnings,
    )


def _index(file: Any) -> tuple[CompiledUnits, dict[str, Any]]:
    """The table of the open compiled file, and its header; ValueError when it is not one."""
    index = _Indexer()
    # Read in blocks and split into lines: no more than a block of the file held at once.
    tail = b""
    for block in iter(lambda: file.read(1 << 20), b""):
        lines = (tail + block).split(b"\n")
        tail = lines.pop()
        for line in lines:
            index.add(line)
    if tail:
        index.add(tail)
    if index.header is None:
        raise ValueError("empty compiled registry")
    index.offsets.append(index.offset)
    profiles = list(index.profiles)
    return CompiledUnits(file, index.positions, index.offsets, index.which, profiles), index.header


class _Indexer:
    """Where each line starts, and each unit's profile, as the lines are read."""

    def __init__(self) -> None:
        self.header: dict[str, Any] | None = None
        self.offset = 0
        self.positions: dict[str, int] = {}
        self.offsets = array("q")
        self.which = array("I")
        self.profiles: dict[Profile, int] = {}
        # Values many units repeat (their groups, supervisor) are kept once.
        self.shared: dict[Any, Any] = {}

    def add(self, line: bytes) -> None:
        start, self.offset = self.offset, self.offset + len(line) + 1
        if self.header is None:
            header = json.loads(line)
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                raise ValueError("not a compiled registry of this format")
            self.header = header
            return
        values = json.loads(line)
        if len(values) != len(FIELDS) or not isinstance(values[0], str):
            raise ValueError("not a unit's line")
        if values[0] in self.positions:
            raise ValueError("a unit's code twice")
        groups = tuple(values[_GROUPS])
        supervisor = values[_SUPERVISOR]
        profile = Profile(
            UnitKind(values[_KIND]),
            self.shared.setdefault(groups, groups),
            self.shared.setdefault(supervisor, supervisor),
            _digest(values[_DIGEST]),
        )
        self.positions[values[0]] = len(self.offsets)
        self.offsets.append(start)
        self.which.append(self.profiles.setdefault(profile, len(self.profiles)))


class CompiledUnits(UnitTable):
    """The units of a compiled file: code → position, line offsets, shared profiles."""

    def __init__(
        self,
        file: Any,
        positions: dict[str, int],
        offsets: array[int],
        which: array[int],
        profiles: list[Profile],
    ) -> None:
        self._file = file
        self._fd: int = file.fileno()
        self._positions = positions
        self._offsets = offsets
        self._which = which
        self._profiles = profiles
        self._cache: OrderedDict[str, Unit] = OrderedDict()
        # Worker threads may ask for units (a unit's contacts, its name in a log line).
        self._lock = threading.Lock()
        weakref.finalize(self, file.close)

    def __len__(self) -> int:
        return len(self._positions)

    def __iter__(self) -> Iterator[str]:
        return iter(self._positions)

    def __contains__(self, code: object) -> bool:
        return code in self._positions

    def __getitem__(self, code: str) -> Unit:
        with self._lock:
            unit = self._cache.get(code)
            if unit is not None:
                self._cache.move_to_end(code)
                return unit
        position = self._positions[code]
        start, end = self._offsets[position], self._offsets[position + 1]
        unit = self._build(code, position, os.pread(self._fd, end - start, start))
        with self._lock:
            self._cache[code] = unit
            if len(self._cache) > CACHED_UNITS:
                self._cache.popitem(last=False)
        return unit

    def profile(self, code: str) -> Profile:
        return self._profiles[self._which[self._positions[code]]]

    def profiles(self) -> Iterator[tuple[str, Profile]]:
        profiles, which = self._profiles, self._which
        for code, position in self._positions.items():
            yield code, profiles[which[position]]

    def values(self) -> ValuesView[Unit]:
        return _Values(self)

    def items(self) -> ItemsView[str, Unit]:
        return _Items(self)

    def walk(self) -> Iterator[tuple[str, Unit]]:
        """Every unit in registry order, read a block of lines at a time and not kept."""
        codes = iter(self._positions)
        count = len(self._positions)
        for first in range(0, count, _WALK_LINES):
            last = min(first + _WALK_LINES, count)
            start = self._offsets[first]
            block = os.pread(self._fd, self._offsets[last] - start, start)
            for position in range(first, last):
                begin = self._offsets[position] - start
                line = block[begin : self._offsets[position + 1] - start]
                code = next(codes)
                yield code, self._build(code, position, line)

    def _build(self, code: str, position: int, line: bytes) -> Unit:
        values = dict(zip(FIELDS, json.loads(line), strict=True))
        if values["code"] != code:  # the file is not the one indexed: never a wrong unit
            raise RuntimeError(f"compiled registry changed under its reader at unit {code}")
        profile = self._profiles[self._which[position]]
        values["code"] = code
        values["kind"] = profile.kind
        values["groups"] = profile.groups
        values["supervisor"] = profile.supervisor
        values["contacts"] = tuple(values["contacts"])
        values["digest"] = profile.digest
        return Unit.model_construct(_fields_set=_ALL_SET, **values)


class _Values(ValuesView[Unit]):
    _mapping: CompiledUnits

    def __iter__(self) -> Iterator[Unit]:
        for _, unit in self._mapping.walk():
            yield unit


class _Items(ItemsView[str, Unit]):
    _mapping: CompiledUnits

    def __iter__(self) -> Iterator[tuple[str, Unit]]:
        return self._mapping.walk()
