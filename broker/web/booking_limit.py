"""A brake on booking attempts per client address: a token bucket, in bounded memory.

Each address has a bucket of `burst` attempts that refills at `per_minute`. A family
booking three people (two posts each: check, then confirm) spends six and is never
slowed; a bot posting without pause empties its bucket and is answered 429 with the
seconds until its next attempt. Only posts count (booking, cancelling, moving, looking a
code up): reading the pages costs nothing.

The address is the TCP peer's (`request.remote_addr`): the console runs without a
reverse proxy and uvicorn is told not to believe X-Forwarded-For (`broker.web.serve`),
so a client cannot pick its own address by sending that header.
"""

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    # When `tokens` was last brought up to date (the clock's seconds).
    at: float


class AttemptLimiter:
    """Token buckets by address; `max_keys` bounds the table (the oldest are forgotten,
    which only ever gives a forgotten address a full bucket back)."""

    def __init__(
        self,
        burst: int = 12,
        per_minute: float = 6.0,
        *,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if burst < 1 or per_minute <= 0:
            raise ValueError("the booking limit needs a burst of 1 or more and a refill above 0")
        self.burst = burst
        self.per_second = per_minute / 60
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def attempt(self, address: str) -> float:
        """Spends one attempt of `address`: 0.0 when allowed, else the seconds to wait
        before the next one is (nothing is spent then)."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(address)
            if bucket is None:
                bucket = _Bucket(float(self.burst), now)
                self._buckets[address] = bucket
            else:
                elapsed = max(0.0, now - bucket.at)
                bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.per_second)
                bucket.at = now
            self._buckets.move_to_end(address)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self.per_second

    def __len__(self) -> int:
        return len(self._buckets)
