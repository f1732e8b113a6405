"""Per-client rate limits of the app (token buckets)."""

from __future__ import annotations

import time


class RateLimiter:
    """Token bucket: ``rate`` events per second on average, bursts of up to ``burst``.

    Examples
    --------
    >>> bucket = RateLimiter(rate=10, burst=2)
    >>> [bucket.allow(now=0.0) for _ in range(3)], bucket.allow(now=0.1)
    ([True, True, False], True)
    """

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = float(rate)
        self.burst = float(burst if burst is not None else max(1.0, rate))
        self.tokens = self.burst
        self.last: float | None = None

    def allow(self, now: float | None = None) -> bool:
        """Take one token if there is one."""
        now = time.monotonic() if now is None else now
        if self.last is not None:
            self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False
