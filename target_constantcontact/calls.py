"""Every API call the target makes goes through here: JSON in and out, the dry-run guard, retries
fitted to writes, and the calls of the run by purpose.

The client's `Usage` counts every HTTP exchange once (retries and 401 resends included). Only
the target knows what a call was for (a read, an activity poll, a bulk write, ...), so each
call's share of `Usage` is attributed to its purpose: the per-purpose counts add up to the
client's total, and the run summary cannot disagree with the client's usage line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from constantcontact_client.client import ConstantContactClient
from constantcontact_client.errors import (
    ConflictError,
    QueueFullError,
    RetriableError,
    ThrottledError,
)

WRITE_CATEGORIES = ("bulk", "single", "unsubscribe", "definition")


class DryRunWriteError(RuntimeError):
    """A write was attempted during a dry run (a bug: the planner must not get here)."""


class ResentConflictError(ConflictError):
    """A 409 answering the resend of a write whose earlier attempt failed with a 5xx or a lost
    connection: that attempt may have been applied, so the conflict may be with our own write."""


class _QueueStillFull(Exception):
    """Carries a `QueueFullError` past the client's retries: `ActivityRunner` waits those out."""

    def __init__(self, error: QueueFullError) -> None:
        super().__init__(str(error))
        self.error = error


class CallCounter:
    """The target's calls, by purpose ("read", "poll", "write.<category>"); guards dry runs."""

    def __init__(self, *, dry_run: bool = False) -> None:
        self.dry_run = dry_run
        self.counts: Counter[str] = Counter()

    @contextmanager
    def _attributed(self, client: Any, purpose: str) -> Iterator[None]:
        """Attribute the exchanges `client.usage` counts inside the block to `purpose`."""
        before = client.usage.calls_total
        try:
            yield
        finally:
            self.counts[purpose] += client.usage.calls_total - before

    def get(self, client: Any, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        with self._attributed(client, "read"):
            return _json(client.request("GET", path, params=params))

    def poll(self, client: Any, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        with self._attributed(client, "poll"):
            return _json(client.request("GET", path, params=params))

    def pages(
        self, client: Any, path: str, params: dict[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """The body of each page (the client follows the next links and guards against loops)."""
        bodies = client.pages(path, params=params or None)
        try:
            while True:
                with self._attributed(client, "read"):
                    body = next(bodies, None)
                if body is None:
                    return
                yield body
        finally:
            bodies.close()

    def paginate(
        self, client: Any, path: str, params: dict[str, Any], records_key: str
    ) -> Iterator[dict[str, Any]]:
        """Every record across the pages."""
        for body in self.pages(client, path, params):
            yield from body.get(records_key) or []

    def write(
        self,
        client: Any,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        category: str,
    ) -> dict[str, Any]:
        """Send a write with the client's retries, except for a full activity queue: that
        `QueueFullError` is raised at once for `ActivityRunner` to wait out (one retry layer,
        bounded by `activity_timeout`). A 409 after a resend is a `ResentConflictError`."""
        if self.dry_run:
            msg = f"dry run: refusing to send {method} {path}"
            raise DryRunWriteError(msg)
        uncertain = False

        def attempt() -> requests.Response:
            nonlocal uncertain
            try:
                return client.request(method, path, json=body, retry=False)
            except QueueFullError as exc:
                raise _QueueStillFull(exc) from None
            except ConflictError as exc:
                if not uncertain:
                    raise
                raise ResentConflictError(
                    str(exc),
                    endpoint=exc.endpoint,
                    status=exc.status,
                    error_key=exc.error_key,
                    details=exc.details,
                    response=exc.response,
                ) from exc
            except RetriableError as exc:
                # a throttled call was refused unread; a 5xx or a lost answer may have landed
                uncertain = uncertain or not isinstance(exc, ThrottledError)
                raise

        with self._attributed(client, f"write.{category}"):
            try:
                response = client.retrying(attempt)()
            except _QueueStillFull as still_full:
                raise still_full.error from None
        return _json(response)

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


def _json(response: requests.Response) -> Any:
    """The decoded body (msgspec, as the client's pages); `{}` for none (204)."""
    body = ConstantContactClient.json_body(response)
    return {} if body is None else body
