"""Requests per minute, per unit link and per client address: a sliding window in memory.

One portal process keeps its own counts (`thidua serve` runs one); several processes
behind a proxy would each allow the rate, which still bounds a guessing attack per
process. The clock is injected, so tests never sleep.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """At most `per_minute` hits per key in any 60-second window."""

    WINDOW = 60.0

    def __init__(self, per_minute: int, clock: Callable[[], float]) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> float:
        """0.0 if `key` may go on (and counts the hit), else the seconds until it may."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.WINDOW:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return max(hits[0] + self.WINDOW - now, 0.001)
            hits.append(now)
            if len(self._hits) > 100_000:  # forget idle keys rather than grow without bound
                for idle in [
                    k for k, v in self._hits.items() if not v or v[-1] <= now - self.WINDOW
                ]:
                    del self._hits[idle]
            return 0.0
