"""Request counters for `GET /_emulator/stats`: by method + path template and by status."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Stats:
    requests: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    by_endpoint_status: defaultdict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    token_requests: int = 0
    oauth: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    throttled: int = 0
    quota_exceeded: int = 0
    dropped: int = 0

    def record_api(self, endpoint: str, status: int | None) -> None:
        self.requests[endpoint] += 1
        key = "dropped" if status is None else str(status)
        self.by_status[key] += 1
        self.by_endpoint_status[endpoint][key] += 1
        if status is None:
            self.dropped += 1

    def record_oauth(self, endpoint: str, status: int | None) -> None:
        if endpoint.endswith("/token"):
            self.token_requests += 1
        self.oauth[endpoint]["dropped" if status is None else str(status)] += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "by_status": dict(self.by_status),
            "by_endpoint_status": {k: dict(v) for k, v in self.by_endpoint_status.items()},
            "token_requests": self.token_requests,
            "oauth": {k: dict(v) for k, v in self.oauth.items()},
            "throttled": self.throttled,
            "quota_exceeded": self.quota_exceeded,
            "dropped": self.dropped,
        }
