"""Bulk activities: submit (waiting while the account's queue is full), poll to the end state.

A full queue (HTTP 429, over 1,000 queued activities) is waited out here and only here: the
call itself is not retried on it (see `CallCounter.write`), so `activity_timeout` bounds the
wait and each resubmission is one POST.

Polling backs off from `activity_poll_interval` to 30 s. While several activities are in
flight, one `GET /activities` (newest first, with each one's state and errors) checks them all
in a single call; an activity missing from that page, or the last one left, is polled by id.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from constantcontact_client.errors import QueueFullError
from target_constantcontact.calls import CallCounter

logger = logging.getLogger(__name__)

TERMINAL_STATES = frozenset({"completed", "failed", "cancelled", "timed_out", "time_out"})
MAX_POLL_INTERVAL = 30.0
MAX_QUEUE_WAIT_INTERVAL = 60.0
LIST_PAGE_MIN = 50
LIST_PAGE_MAX = 500
_EMAIL_IN_TEXT = re.compile(r"[^\s(),<>\"':;\[\]]+@[^\s(),<>\"':;\[\]]+\.[A-Za-z]{2,63}")
_UUID_IN_TEXT = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


class ActivityTimeoutError(Exception):
    """An activity was not accepted, or did not end, within `activity_timeout`."""

    error_key = "activity_timeout"


@dataclass(slots=True)
class Activity:
    kind: str
    path: str
    activity_id: str | None = None
    state: str | None = None
    body: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    status: dict[str, Any] = field(default_factory=dict)

    @property
    def ended(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def succeeded(self) -> bool:
        return self.state == "completed"

    def update(self, resource: dict[str, Any]) -> None:
        self.activity_id = resource.get("activity_id") or self.activity_id
        self.state = resource.get("state") or self.state
        self.status = resource.get("status") or {}
        self.errors = [
            error if isinstance(error, str) else str((error or {}).get("message", error))
            for error in resource.get("activity_errors") or []
        ]


def emails_in(text: str) -> set[str]:
    return {match.lower() for match in _EMAIL_IN_TEXT.findall(text)}


def ids_in(text: str) -> set[str]:
    return {match.lower() for match in _UUID_IN_TEXT.findall(text)}


class ActivityRunner:
    def __init__(
        self,
        client: Any,
        calls: CallCounter,
        *,
        poll_interval: float,
        timeout: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._calls = calls
        self.poll_interval = poll_interval
        self.timeout = timeout
        self._sleep = sleep
        self._clock = clock

    def submit(self, kind: str, path: str, body: dict[str, Any]) -> Activity:
        """POST the activity; while the account's queue is full, wait and resubmit."""
        activity = Activity(kind=kind, path=path)
        deadline = self._clock() + self.timeout
        wait = max(self.poll_interval, 1.0)
        while True:
            try:
                resource = self._calls.write(self._client, "POST", path, body, "bulk")
                break
            except QueueFullError as exc:
                pause = min(exc.retry_after or wait, MAX_QUEUE_WAIT_INTERVAL)
                if self._clock() + pause > deadline:
                    msg = (
                        f"{kind} activity not accepted: the account's queue of bulk activities "
                        f"stayed full for {self.timeout:.0f} s (activity_timeout)"
                    )
                    raise ActivityTimeoutError(msg) from exc
                logger.info("Activity queue is full; waiting %.0f s before resubmitting", pause)
                self._sleep(pause)
                wait = min(wait * 2, MAX_QUEUE_WAIT_INTERVAL)
        activity.update(resource)
        logger.debug("Submitted %s activity %s", kind, activity.activity_id)
        return activity

    def wait(self, activities: list[Activity]) -> None:
        """Poll every activity to its end state."""
        pending = [activity for activity in activities if not activity.ended]
        deadline = self._clock() + self.timeout
        interval = self.poll_interval
        while pending:
            if self._clock() + interval > deadline:
                activity = pending[0]
                msg = (
                    f"{activity.kind} activity {activity.activity_id} was still "
                    f"{activity.state} after {self.timeout:.0f} s (activity_timeout)"
                )
                raise ActivityTimeoutError(msg)
            self._sleep(interval)
            unseen = pending
            if len(pending) > 1:
                unseen = self._poll_list(pending)
            for activity in unseen:
                activity.update(
                    self._calls.poll(self._client, f"/activities/{activity.activity_id}")
                )
            pending = [activity for activity in pending if not activity.ended]
            interval = min(interval * 1.5, MAX_POLL_INTERVAL)
        for activity in activities:
            if not activity.succeeded or activity.errors:
                logger.warning(
                    "%s activity %s ended %s with %d error(s)",
                    activity.kind,
                    activity.activity_id,
                    activity.state,
                    len(activity.errors),
                )

    def _poll_list(self, pending: list[Activity]) -> list[Activity]:
        """One call for all: returns the activities the newest-first page did not show."""
        limit = min(LIST_PAGE_MAX, max(LIST_PAGE_MIN, 2 * len(pending)))
        body = self._calls.poll(self._client, "/activities", {"limit": limit})
        seen = {item.get("activity_id"): item for item in body.get("activities") or []}
        unseen = []
        for activity in pending:
            item = seen.get(activity.activity_id)
            if item is None:
                unseen.append(activity)
            else:
                activity.update(item)
        return unseen
