"""The sender threads of a batch, each claiming its next message while it sends one.

A sender used to wait for two group commits per message in turn: its claim, then the
"sending" mark. Now, right before its "sending" mark is queued, a sender takes the
next job too and queues that job's claim ahead of the mark, so both land in the same
group commit and the next message starts from a committed claim: one waited commit a
message. The protocol does not change: a claim is committed before its message is
prepared (the sender waits for it), "sending" before DATA, and a sender holds at most
one claim ahead, never in "sending": after a crash it is a plain "pending" claim of a
dead holder, handed out again, and still at most one message per sender is in doubt.

A sender takes a job ahead only when more jobs wait than there are idle senders, so
claims ahead never keep a job from a free thread of this batch, nor hold a chunk's
units away from a second worker of the same action (`tests/test_multiworker.py`).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from thidua.delivery.recorder import Pending, Recorder, bound

#: A worker's job: something `take` hands out with the future of its result.
Item = tuple[Any, "Future[Any]"]


class Queue:
    """Jobs waiting for a sender, and how many senders wait for a job."""

    def __init__(self, senders: int) -> None:
        self._items: deque[Item] = deque()
        self._ready = threading.Condition()
        self._idle = senders  # a sender not yet started waits for its first job too
        self._closed = False

    def put(self, job: Any) -> Future[Any]:
        """Queue `job`; the future of its result (cancel it to call the job off)."""
        future: Future[Any] = Future()
        with self._ready:
            self._items.append((job, future))
            self._ready.notify()
        return future

    def close(self) -> None:
        """No more jobs: senders finish what is queued (not called off) and stop."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def take(self, *, was_busy: bool) -> Item | None:
        """The next job for an idle sender, waiting for one; None once closed and empty."""
        with self._ready:
            if was_busy:
                self._idle += 1
            while True:
                item = self._pop()
                if item is not None:
                    self._idle -= 1
                    return item
                if self._closed:
                    return None
                self._ready.wait()

    def take_ahead(self) -> Item | None:
        """A job for a busy sender, only if an idle sender would not take it anyway."""
        with self._ready:
            if len(self._items) <= self._idle:
                return None
            return self._pop()

    def _pop(self) -> Item | None:
        while self._items:
            job, future = self._items.popleft()
            if future.set_running_or_notify_cancel():  # a called-off job is skipped
                return job, future
        return None


#: Runs one claimed job: (job, its queued claim, the hook to take the next job ahead).
Run = Callable[[Any, Pending, Callable[[], None]], Any]


def sender(queue: Queue, recorder: Recorder, claim: Callable[[Any], Pending], run: Run) -> None:
    """One sender thread's loop: claim, send, and claim the next job while sending one."""
    ahead: tuple[Any, Future[Any], Pending] | None = None
    busy = False
    with bound(recorder):
        while True:
            if ahead is None:
                item = queue.take(was_busy=busy)
                if item is None:
                    return
                job, future = item
                try:
                    claimed = claim(job)
                except BaseException as exc:
                    future.set_exception(exc)
                    busy = True
                    continue
            else:
                job, future, claimed = ahead
                ahead = None
            busy = True

            def take_next() -> None:
                nonlocal ahead
                if ahead is not None:
                    return
                item = queue.take_ahead()
                if item is not None:
                    try:
                        ahead = (item[0], item[1], claim(item[0]))
                    except BaseException as exc:
                        item[1].set_exception(exc)

            try:
                future.set_result(run(job, claimed, take_next))
            except BaseException as exc:
                future.set_exception(exc)
