"""The sign-in rate limit: failed attempts per user name and per client address, in memory.

One process's memory is enough for one ``dronefab serve``; several behind a balancer would need
a shared limiter (the store, or the proxy's own).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable


class LoginLimiter:
    """At most ``failures`` failed sign-ins per key within ``window`` seconds.

    Parameters
    ----------
    failures
        Failed attempts allowed in the window; the next one is refused until the oldest ages out.
    window
        The window, in seconds.
    clock
        Seconds, monotonic (tests pass their own).
    """

    def __init__(
        self, failures: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures = failures
        self.window = window
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> int | None:
        """Seconds to wait before another attempt under any of ``keys`` (None: go ahead)."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._recent(key, now)
                if len(times) >= self.failures:
                    wait = max(wait, times[0] + self.window - now)
        return max(1, math.ceil(wait)) if wait > 0 else None

    def failed(self, *keys: str) -> None:
        """Count a failed attempt under each of ``keys``."""
        now = self.clock()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def succeeded(self, key: str) -> None:
        """Forget ``key``'s failures (a user who signs in; never a client address)."""
        with self._lock:
            self._seen.pop(key, None)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._seen.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times and len(self._seen) > 100_000:  # bounded memory under a spray of names
            self._seen.clear()
            times = self._seen.setdefault(key, deque())
        return times
