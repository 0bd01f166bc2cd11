"""Every API call the target makes goes through here, counted by purpose for the summary."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

WRITE_CATEGORIES = ("bulk", "single", "unsubscribe", "definition")


class DryRunWriteError(RuntimeError):
    """A write was attempted during a dry run (a bug: the planner must not get here)."""


class CallCounter:
    """Counts reads, writes (by category) and activity polls, and guards dry runs."""

    def __init__(self, *, dry_run: bool = False) -> None:
        self.dry_run = dry_run
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _count(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self.counts[name] += amount

    def get(self, client: Any, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self._count("read")
        return client.request("GET", path, params=params).json()

    def poll(self, client: Any, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self._count("poll")
        return client.request("GET", path, params=params).json()

    def paginate(
        self, client: Any, path: str, params: dict[str, Any], records_key: str
    ) -> Iterator[dict[str, Any]]:
        """Yield records across pages (the client follows the next links), counting pages."""
        for body in client.pages(path, params=params or None):
            self._count("read")
            yield from body.get(records_key) or []

    def write(
        self,
        client: Any,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        category: str,
    ) -> dict[str, Any]:
        if self.dry_run:
            msg = f"dry run: refusing to send {method} {path}"
            raise DryRunWriteError(msg)
        self._count(f"write.{category}")
        response = client.request(method, path, json=body)
        if response.status_code == 204 or not response.content:
            return {}
        return response.json()

    @property
    def writes(self) -> int:
        return sum(self.counts[f"write.{category}"] for category in WRITE_CATEGORIES)

    def summary(self) -> dict[str, int]:
        return {
            "writes": self.writes,
            "writes_bulk": self.counts["write.bulk"],
            "writes_single": self.counts["write.single"],
            "writes_unsubscribe": self.counts["write.unsubscribe"],
            "writes_definition": self.counts["write.definition"],
            "reads": self.counts["read"],
            "activity_polls": self.counts["poll"],
        }
