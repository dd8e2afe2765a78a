"""Group commit of a delivery batch's store writes (claims, "sending" marks, finishes).

One writing thread, many waiting sender threads (`thidua.delivery.engine`).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from thidua.store.db import session_scope


class Recorder:
    """The claims, "sending" marks and finishes of a batch's worker threads, several to a commit.

    One thread writes them all: it takes every write queued while the previous
    commit was under way and commits them together (group commit), so a durable
    store (SQLite at synchronous=FULL, PostgreSQL) pays one flush to disk for many
    messages, and threads never queue on SQLite's write lock. A claim is durable
    before the message is prepared and "sending" before its DATA (the caller waits
    for both: `write`); a finish is queued right after the reply (`submit`) and the
    sender moves on: writes commit in queue order, so its next claim returns only
    once that finish is committed too, and the batch waits for every finish before
    it reports. A crash leaves at most one message per worker thread in "sending"
    (uncertain, not resent blindly) and nothing else in doubt.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="thidua-recorder", daemon=True)
        self._thread.start()

    def write(self, op: Callable[[Session], Any]) -> Any:
        """Run `op(session)` in the next group transaction; its result once committed."""
        return self.submit(op).result()

    def submit(self, op: Callable[[Session], Any]) -> Pending:
        """Queue `op(session)` for the next group transaction without waiting for it.

        Writes commit in the order they were queued, so a caller's later `write` returns
        only once this one is committed too (in the same group or an earlier one).
        """
        item = Pending(op)
        self._queue.put(item)
        return item

    def close(self) -> None:
        """Finish the queued writes and stop the writing thread."""
        self._queue.put(None)
        self._thread.join()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        while (first := self._queue.get()) is not None:
            batch, stop = [first], False
            while True:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            try:
                self._commit(batch)
            except BaseException as exc:  # no worker may be left waiting for ever
                for item in batch:
                    if not item.done.is_set():
                        item.error = exc if isinstance(exc, Exception) else RuntimeError(exc)
                        item.done.set()
            if stop:
                return

    @staticmethod
    def _commit(batch: list[Pending]) -> None:
        try:
            with session_scope() as session:
                results = [item.op(session) for item in batch]
        except Exception:
            # One write failed and took the transaction with it: write each on its own,
            # so the others still get through and only the culprit sees its error.
            for item in batch:
                try:
                    with session_scope() as session:
                        item.value = item.op(session)
                except Exception as exc:
                    item.error = exc
                item.done.set()
            return
        for item, result in zip(batch, results, strict=True):
            item.value = result
            item.done.set()


@dataclass
class Pending:
    """One queued store write and, once committed, its result or error."""

    op: Callable[[Session], Any]
    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    error: Exception | None = None

    def result(self) -> Any:
        """The write's result once committed; its error raised if it failed."""
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value


_bound = threading.local()


@contextmanager
def bound(recorder: Recorder) -> Iterator[None]:
    """Within the block, `current()` on this thread is `recorder` (a batch's sender thread).

    A sink's own store writes (the outbox's rows) then join the batch's group commits
    instead of a second writer's, which would wait on SQLite's write lock for the first.
    """
    previous = getattr(_bound, "recorder", None)
    _bound.recorder = recorder
    try:
        yield
    finally:
        _bound.recorder = previous


def current() -> Recorder | None:
    """The recorder of the delivery batch this thread sends for, if any (`bound`)."""
    return getattr(_bound, "recorder", None)


def depend(write: Pending) -> None:
    """The message this thread is sending counts as sent only if `write` commits.

    A sink queues a write that records the message itself (the outbox's row) with
    `submit` instead of waiting for it; the batch then records the message's finish
    after it, in the same group commit or a later one, and records a failure instead
    of "sent" if the write failed (`depended`).
    """
    writes: list[Pending] | None = getattr(_bound, "writes", None)
    if writes is None:
        _bound.writes = writes = []
    writes.append(write)


def depended() -> list[Pending]:
    """The writes `depend` queued on this thread since the last call (then forgotten)."""
    writes: list[Pending] = getattr(_bound, "writes", None) or []
    _bound.writes = []
    return writes
