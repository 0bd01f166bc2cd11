"""Count the API calls of a run, by endpoint template and status."""

from __future__ import annotations

import threading
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from constantcontact_client.ratelimit import RateLimiter

CONNECTION_ERROR = "connection_error"  # status recorded when no HTTP response arrived


class Usage:
    """Calls sent in this run; every HTTP exchange with the API counts once.

    Statuses are strings ("200", "429", "connection_error") so they compare directly with the
    emulator's `/_emulator/stats`.
    """

    def __init__(self, limiter: RateLimiter | None = None) -> None:
        self._limiter = limiter
        self._lock = threading.Lock()
        self._by_endpoint: Counter[str] = Counter()
        self._by_status: Counter[str] = Counter()
        self._by_endpoint_status: dict[str, Counter[str]] = {}
        self.token_refreshes = 0
        self.retries = 0

    def record(self, endpoint: str, status: int | str) -> None:
        status_text = str(status)
        with self._lock:
            self._by_endpoint[endpoint] += 1
            self._by_status[status_text] += 1
            self._by_endpoint_status.setdefault(endpoint, Counter())[status_text] += 1

    def record_token_refresh(self) -> None:
        with self._lock:
            self.token_refreshes += 1

    def record_retry(self) -> None:
        with self._lock:
            self.retries += 1

    @property
    def calls_by_endpoint(self) -> dict[str, int]:
        with self._lock:
            return dict(self._by_endpoint)

    @property
    def calls_by_status(self) -> dict[str, int]:
        with self._lock:
            return dict(self._by_status)

    @property
    def calls_by_endpoint_status(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {name: dict(counts) for name, counts in self._by_endpoint_status.items()}

    @property
    def calls_total(self) -> int:
        with self._lock:
            return sum(self._by_endpoint.values())

    def summary(self) -> str:
        """One log line: totals, the busiest endpoints, 429s, refreshes and budget left."""
        with self._lock:
            total = sum(self._by_endpoint.values())
            busiest = ", ".join(
                f"{name} x{count}" for name, count in self._by_endpoint.most_common(8)
            )
            more = len(self._by_endpoint) - 8
            throttled = self._by_status.get("429", 0)
            failed = sum(n for status, n in self._by_status.items() if not status.startswith("2"))
            refreshes = self.token_refreshes
            retries = self.retries
        head = f"Constant Contact API calls: {total}"
        if busiest:
            head += f" ({busiest}{f', +{more} more endpoints' if more > 0 else ''})"
        parts = [head]
        parts.append(f"non-2xx: {failed}, of which 429: {throttled}; retries: {retries}")
        parts.append(f"token refreshes: {refreshes}")
        if self._limiter is not None:
            parts.append(
                f"daily budget left: {self._limiter.daily_remaining()} of "
                f"{self._limiter.daily_request_limit}"
            )
            run_left = self._limiter.run_remaining()
            if run_left is not None:
                parts.append(f"run budget left: {run_left}")
        return "; ".join(parts)
