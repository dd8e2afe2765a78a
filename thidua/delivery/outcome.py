"""What happened to one message of a batch: the delivery's status and who recorded it.

An outcome's status is the store's `DeliveryStatus`, the one vocabulary of delivery
states. What the old string statuses said besides it is carried explicitly:
`earlier` marks a record this batch did not make (sent by another run, or by an
earlier attempt of another process), and a "pending"/"sending" status seen from
outside its batch means another run holds the claim (`in_flight`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import overload

from thidua.ledger.statuses import DeliveryStatus

#: Statuses that mean the unit got the notice on that channel, or was rightly not sent it.
REACHED = frozenset({DeliveryStatus.SENT, DeliveryStatus.SKIPPED})
#: Failures: the relay refused the message, now or for good.
FAILED = frozenset({DeliveryStatus.FAILED_TRANSIENT, DeliveryStatus.FAILED_PERMANENT})
#: A claim still held by its sender.
HELD = frozenset({DeliveryStatus.PENDING, DeliveryStatus.SENDING})

#: How a failure reads in the store, the run's artifacts and the organizer's report.
FAILURE_KINDS = {
    DeliveryStatus.FAILED_PERMANENT: "Lỗi vĩnh viễn (không gửi lại)",
    DeliveryStatus.FAILED_TRANSIENT: "Lỗi tạm thời",
    DeliveryStatus.UNCERTAIN: (
        "Chưa rõ kết quả (không tự gửi lại; gửi lại bằng lệnh thidua resend)"
    ),
}

#: What an outcome adds to its stored status's label (thidua.ledger.statuses): the store
#: says it went out before, or another run holds it.
SENT_EARLIER = "đã gửi trước đó"
IN_FLIGHT = "đang được gửi ở lượt chạy khác"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The result for one unit and one of its contacts."""

    unit: str
    channel: str
    status: DeliveryStatus
    error: str | None = None
    #: The store's record was made by another run (or an earlier process), not this batch.
    earlier: bool = False

    @property
    def sent_now(self) -> bool:
        """This batch (or an earlier attempt of its own run) delivered it."""
        return self.status is DeliveryStatus.SENT and not self.earlier

    @property
    def reached(self) -> bool:
        return self.status in REACHED

    @property
    def failed(self) -> bool:
        return self.status in FAILED

    @property
    def in_flight(self) -> bool:
        """Claimed by another run that has not finished it (alive, or within its lease)."""
        return self.status in HELD

    @property
    def label(self) -> str:
        """The outcome in Vietnamese, as operators read it."""
        if self.in_flight:
            return IN_FLIGHT
        if self.status is DeliveryStatus.SENT and self.earlier:
            return SENT_EARLIER
        if self.status is DeliveryStatus.FAILED_TRANSIENT:
            return f"{self.status.label} (đã thử lại)"  # outcomes come after the retries
        return DeliveryStatus.label_of(self.status)


def labelled(status: DeliveryStatus, error: str | None) -> str | None:
    """`error` prefixed with its kind, so every reader can tell a bad address from a busy server."""
    kind = FAILURE_KINDS.get(status)
    return f"{kind}: {error or 'không rõ nguyên nhân'}" if kind else error


@dataclass(frozen=True)
class Unfinished:
    """What keeps a batch from being done: worth another attempt of the whole batch.

    Transient failures may succeed on a retry; deliveries another live run holds must
    be looked at again later rather than reported as done.
    """

    transient: int = 0
    in_flight: int = 0

    def __bool__(self) -> bool:
        return bool(self.transient or self.in_flight)

    @property
    def reason(self) -> str:
        """In Vietnamese, for the run's state and the organizer."""
        if self.transient:
            return f"{self.transient} lượt gửi tạm thời không thành công"
        return f"{self.in_flight} lượt gửi đang dở ở lượt chạy khác"

    @property
    def log_line(self) -> str:
        """In English, for the run's logs."""
        if self.transient:
            return f"{self.transient} deliveries failed transiently; retrying"
        return f"{self.in_flight} deliveries are being sent by another run"


def unfinished(outcomes: Iterable[Outcome]) -> Unfinished:
    """How many outcomes of a batch are worth another attempt (falsy: none)."""
    transient = in_flight = 0
    for o in outcomes:
        transient += o.status is DeliveryStatus.FAILED_TRANSIENT
        in_flight += o.in_flight
    return Unfinished(transient=transient, in_flight=in_flight)


_STATUSES = list(DeliveryStatus)
_EARLIER = 0x80  # the flag bit next to a status's index


class Outcomes(Sequence[Outcome]):
    """A batch's outcomes, in order, at ~17 bytes each instead of an object each.

    A fan-out to 100,000 units would otherwise hold 100,000 `Outcome`s (and their
    channel strings) until the run's artifacts are written. Here a unit is a reference
    to its code (already held by the registry), a channel a reference to one shared
    string, the status and `earlier` one byte; only errors are kept as text. Reading
    an item builds its `Outcome`.
    """

    def __init__(self, outcomes: Iterable[Outcome] = ()) -> None:
        self._units: list[str] = []
        self._channels: list[str] = []
        self._codes = bytearray()
        self._errors: dict[int, str] = {}
        self._shared: dict[str, str] = {}
        self.extend(outcomes)

    def append(self, outcome: Outcome) -> None:
        channel = self._shared.setdefault(outcome.channel, outcome.channel)
        if outcome.error is not None:
            self._errors[len(self._codes)] = outcome.error
        self._units.append(outcome.unit)
        self._channels.append(channel)
        code = _STATUSES.index(outcome.status) | (_EARLIER if outcome.earlier else 0)
        self._codes.append(code)

    def extend(self, outcomes: Iterable[Outcome]) -> None:
        for outcome in outcomes:
            self.append(outcome)

    def _at(self, i: int) -> Outcome:
        code = self._codes[i]
        return Outcome(
            self._units[i],
            self._channels[i],
            _STATUSES[code & ~_EARLIER],
            self._errors.get(i),
            earlier=bool(code & _EARLIER),
        )

    @overload
    def __getitem__(self, index: int) -> Outcome: ...
    @overload
    def __getitem__(self, index: slice) -> Outcomes: ...
    def __getitem__(self, index: int | slice) -> Outcome | Outcomes:
        if isinstance(index, slice):
            return Outcomes(self._at(i) for i in range(*index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return self._at(index)

    def __iter__(self) -> Iterator[Outcome]:
        return (self._at(i) for i in range(len(self._codes)))

    def __len__(self) -> int:
        return len(self._codes)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        return f"Outcomes({list(self)!r})"
