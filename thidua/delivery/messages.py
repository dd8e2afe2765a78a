"""Messages rendered one at a time, as the delivery engine takes them, never all at once.

A notice to 100,000 units is ~3 KB each once rendered (text, HTML, attachment paths):
holding the whole audience's messages would take ~300 MB before the first one is sent.
`Rendered` is a read-only mapping of unit code → message that renders a message when
it is asked for and keeps none, so a batch holds only the messages its worker threads
are sending (`thidua.delivery.engine.deliver` takes jobs in bounded chunks).
"""

from __future__ import annotations

from collections.abc import Callable, ItemsView, Iterator, Mapping, Sequence
from typing import Any


class RenderFailed(RuntimeError):
    """A unit's message could not be rendered: a template or data bug, not worth a retry."""

    def __init__(self, unit: str, exc: Exception) -> None:
        # Operators read it in the run's state and `thidua simulate`: the original error
        # first, then which unit's notice it stopped.
        super().__init__(f"{type(exc).__name__}: {exc} (khi soạn thông báo cho {unit})")
        self.unit = unit


class Rendered(Mapping[str, Any]):
    """`codes` → `render(code)`, rendered on each lookup (in the order of `codes`).

    Iterating `.items()` renders each message once; nothing is cached, so memory
    stays that of the codes whatever the audience's size.
    """

    def __init__(self, codes: Sequence[str], render: Callable[[str], Any]) -> None:
        self._codes = codes
        self._index = {code: i for i, code in enumerate(codes)} if len(codes) < 64 else None
        self._render = render

    def __getitem__(self, code: str) -> Any:
        if code not in self:
            raise KeyError(code)
        return self.render(code)

    def render(self, code: str) -> Any:
        """The message of `code` (one of the codes), freshly rendered."""
        try:
            return self._render(code)
        except Exception as exc:
            raise RenderFailed(code, exc) from exc

    def items(self) -> ItemsView[str, Any]:
        return _Items(self)

    def __contains__(self, code: object) -> bool:
        if self._index is not None:
            return code in self._index
        return code in self._members()

    def _members(self) -> frozenset[str]:
        # Built on the first membership test of a big audience only (the engine never asks).
        members = getattr(self, "_set", None)
        if members is None:
            members = self._set = frozenset(self._codes)
        return members

    def __iter__(self) -> Iterator[str]:
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)


class _Items(ItemsView[str, Any]):
    """(code, message) pairs, each message rendered as the pair is reached."""

    _mapping: Rendered

    def __iter__(self) -> Iterator[tuple[str, Any]]:
        for code in self._mapping:
            yield code, self._mapping.render(code)
