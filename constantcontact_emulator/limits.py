"""The API's two request limits, both counted per application (client_id).

- Per second: a sliding window. At most `rps` accepted requests in any 1-second span; a request
  over it gets 429 `throttled`. Throttled requests do not take a slot and do not use quota.
- Per day: a counter of accepted requests per UTC day; past `daily_limit` a request gets 429
  `quota_exceeded`. The counter resets at 00:00 UTC.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from constantcontact_emulator.timefmt import utc_day


@dataclass
class SlidingWindowLimiter:
    rps: float
    hits: dict[str, deque[float]] = field(default_factory=dict)

    def try_acquire(self, key: str, now: float | None = None) -> bool:
        if self.rps <= 0:
            return True
        now = time.monotonic() if now is None else now
        capacity = max(1, int(self.rps))
        window = capacity / self.rps
        window_hits = self.hits.setdefault(key, deque())
        while window_hits and window_hits[0] <= now - window:
            window_hits.popleft()
        if len(window_hits) >= capacity:
            return False
        window_hits.append(now)
        return True


@dataclass
class DailyQuota:
    limit: int
    used: dict[tuple[str, str], int] = field(default_factory=dict)

    def try_consume(self, key: str, now: float | None = None) -> bool:
        day = utc_day(time.time() if now is None else now)
        count = self.used.get((key, day), 0)
        if self.limit > 0 and count >= self.limit:
            return False
        self.used[(key, day)] = count + 1
        return True

    def used_today(self, key: str | None = None, now: float | None = None) -> int:
        day = utc_day(time.time() if now is None else now)
        return sum(n for (k, d), n in self.used.items() if d == day and (key is None or k == key))

    def set_used_today(self, key: str, used: int, now: float | None = None) -> None:
        day = utc_day(time.time() if now is None else now)
        self.used[(key, day)] = used
