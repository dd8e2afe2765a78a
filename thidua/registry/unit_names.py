"""`UnitNames`: the names of some units, looked up as they are read."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

from thidua.registry.models import Registry


class UnitNames(Sequence[str]):
    """The names of units `codes`, looked up as they are read (a notice listing who is
    missing reads them once; a reminder not at all), never all held at once."""

    def __init__(self, codes: Sequence[str], registry: Registry) -> None:
        self._codes, self._registry = codes, registry

    def __len__(self) -> int:
        return len(self._codes)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self._registry.unit(code).name for code in self._codes[index]]
        return self._registry.unit(self._codes[index]).name

    def __iter__(self) -> Iterator[str]:
        for code in self._codes:
            yield self._registry.unit(code).name

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # equal to a list, so never hashed
