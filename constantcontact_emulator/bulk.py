"""Bulk activities: the job model, its lifecycle, the queue limit and the API body.

Every `POST /v3/activities/...` creates a `BulkActivity` in state `initialized`; nothing changes
in the account then. The account runs its queue one activity at a time, in the order they were
created (so an import followed by a delete of the same contact ends deleted, as submitted):

    initialized --(head of the queue)--> processing --(duration)--> completed | failed

A ticker (run before every request, see `state.tickers`) moves activities along in virtual
time: an activity starts when the one before it ended and takes
`activity_seconds * min(5, 0.1 + items / 10,000)` seconds (`--activity-seconds`, changeable at
run time through `POST /_emulator/faults`; 0 makes every job end at the next request). The
duration is read from the current setting at each tick, so lowering it drains the queue. The
job's changes are applied when it completes, through the same domain functions the REST routes
use (contacts.py, definitions.py), stamped with the time they become visible. `started_at` and
`completed_at` are the virtual times.

Activities are kept 10 days, as the API documents. More than `max_queued_activities` (1,000)
queued activities answer 429; 0 turns the limit off.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec

from constantcontact_emulator import errors
from constantcontact_emulator.state import EmulatorState
from constantcontact_emulator.timefmt import iso_millis

EXTENSION_KEY = "bulk"
RETENTION_SECONDS = 10 * 86400
MAX_DURATION_FACTOR = 5.0
TERMINAL_STATES = ("completed", "failed", "cancelled", "timed_out")
QUEUED_STATES = ("initialized", "processing")
# The GET /activities `state` filter (the spec's enum, plus `initialized`).
STATE_FILTERS = ("initialized", "processing", "completed", "cancelled", "failed", "timed_out")


class ActivityFailedError(Exception):
    """Raised by a job that cannot run at all; the activity ends `failed`, nothing changed."""


@dataclass(slots=True)
class BulkActivity:
    activity_id: str
    kind: str
    seq: int
    created_at: float
    updated_at: float
    # The validated request (plain JSON); dropped when the job ends.
    payload: dict[str, Any]
    # Items the job works on: sizes its duration and is `items_total_count` until it runs.
    size: int
    # `status` counters of the API body; which keys depends on the kind.
    status: dict[str, int]
    state: str = "initialized"
    started_at: float | None = None
    completed_at: float | None = None
    errors: list[str] = field(default_factory=list)
    source_file_name: str | None = None
    # Set at creation when a fault is injected (`activity_fail_next`).
    forced_failure: str | None = None
    # contact_exports: the CSV is downloadable once the job completed.
    has_results: bool = False


# kind -> job: applies the activity's changes (or raises ActivityFailedError before changing
# anything), filling `activity.status` counters and `activity.errors`.
Job = Callable[[EmulatorState, BulkActivity, float], None]


@dataclass
class BulkRuntime:
    jobs: Mapping[str, Job]
    # activity ids not yet ended, oldest first
    queue: deque[str] = field(default_factory=deque)
    # virtual end time of the last job that ended; the next one cannot start earlier
    last_finished_at: float = 0.0
    next_seq: int = 0


@dataclass(frozen=True)
class JobRequest:
    """A validated POST: what `submit` needs to queue a new activity."""

    kind: str
    payload: dict[str, Any]
    size: int
    status: dict[str, int]
    source_file_name: str | None = None


def runtime(state: EmulatorState) -> BulkRuntime:
    return state.extension_data[EXTENSION_KEY]


def install(state: EmulatorState, jobs: Mapping[str, Job]) -> None:
    """`on_state` hook: the ticker, the recorder for the core's list/tag DELETE activities."""
    bulk = BulkRuntime(jobs=jobs)
    for activity in sorted(state.bulk_activities.values(), key=lambda a: a.seq):
        if activity.state in QUEUED_STATES:
            bulk.queue.append(activity.activity_id)
        if activity.completed_at is not None:
            bulk.last_finished_at = max(bulk.last_finished_at, activity.completed_at)
        bulk.next_seq = max(bulk.next_seq, activity.seq + 1)
    state.extension_data[EXTENSION_KEY] = bulk
    state.tickers.append(advance)
    state.activity_recorder = record_completed


def duration(activity: BulkActivity, activity_seconds: float) -> float:
    return activity_seconds * min(MAX_DURATION_FACTOR, 0.1 + activity.size / 10_000)


# --- creating ----------------------------------------------------------------------------------


def queue_full_error(limit: int) -> errors.ApiError:
    return errors.ApiError(
        429,
        "too_many_requests",
        f"Too many requests. You exceeded {limit:,} queued activities for this user account.",
        single_object=True,
    )


def submit(
    state: EmulatorState, request: JobRequest, now: float, *, forced_failure: str | None = None
) -> BulkActivity:
    """Queue a new activity (429 past the queued-activities limit)."""
    limit = state.config.max_queued_activities
    if limit and state.queued_activity_count() >= limit:
        raise queue_full_error(limit)
    bulk = runtime(state)
    activity = BulkActivity(
        activity_id=state.new_id(),
        kind=request.kind,
        seq=bulk.next_seq,
        created_at=now,
        updated_at=now,
        payload=request.payload,
        size=request.size,
        status=dict(request.status),
        source_file_name=request.source_file_name,
        forced_failure=forced_failure,
    )
    bulk.next_seq += 1
    state.bulk_activities[activity.activity_id] = activity
    bulk.queue.append(activity.activity_id)
    return activity


def record_completed(state: EmulatorState, kind: str, details: dict[str, Any]) -> dict[str, Any]:
    """`state.activity_recorder`: list and tag DELETE apply their change at once and answer
    202 with an activity that is already complete."""
    now = float(details["now"])
    items = int(details["items"])
    bulk = runtime(state)
    status = {"items_total_count": items, "items_completed_count": items}
    if kind == "list_delete":
        status["list_count"] = 1
    activity = BulkActivity(
        activity_id=state.new_id(),
        kind=kind,
        seq=bulk.next_seq,
        created_at=now,
        updated_at=now,
        payload={},
        size=items,
        status=status,
        state="completed",
        started_at=now,
        completed_at=now,
    )
    bulk.next_seq += 1
    state.bulk_activities[activity.activity_id] = activity
    return body(activity, now, state.config.activity_seconds)


# --- the lifecycle -----------------------------------------------------------------------------


def advance(state: EmulatorState, now: float) -> None:
    """Ticker: start and finish every job whose (virtual) time has come; expire old ones."""
    bulk = state.extension_data.get(EXTENSION_KEY)
    if bulk is None:
        return
    seconds = state.config.activity_seconds
    while bulk.queue:
        activity = state.bulk_activities.get(bulk.queue[0])
        if activity is None:  # expired while queued (only after 10 days)
            bulk.queue.popleft()
            continue
        started = activity.started_at
        if started is None:
            started = max(activity.created_at, bulk.last_finished_at)
            if started > now:
                break
            activity.state = "processing"
            activity.started_at = activity.updated_at = started
        end = started + duration(activity, seconds)
        if end > now:
            break
        _finish(state, bulk, activity, end, now)
        bulk.queue.popleft()
        bulk.last_finished_at = end
    _expire(state, now)


def _finish(
    state: EmulatorState, bulk: BulkRuntime, activity: BulkActivity, end: float, now: float
) -> None:
    try:
        _run_job(state, bulk, activity, now)
    except ActivityFailedError as exc:
        activity.state = "failed"
        activity.errors = [str(exc)]
        if "items_completed_count" in activity.status:
            activity.status["items_completed_count"] = 0
    else:
        activity.state = "completed"
        if "items_completed_count" in activity.status:
            activity.status["items_completed_count"] = activity.status.get(
                "items_total_count", activity.size
            )
    activity.completed_at = activity.updated_at = end
    activity.payload = {}


def _run_job(state: EmulatorState, bulk: BulkRuntime, activity: BulkActivity, now: float) -> None:
    if activity.forced_failure is not None:
        raise ActivityFailedError(activity.forced_failure)
    bulk.jobs[activity.kind](state, activity, now)


def _expire(state: EmulatorState, now: float) -> None:
    cutoff = now - RETENTION_SECONDS
    activities = state.bulk_activities
    while activities:
        activity_id, activity = next(iter(activities.items()))
        if activity.created_at >= cutoff:
            return
        del activities[activity_id]
        state.contact_exports.pop(activity_id, None)


# --- the API body ------------------------------------------------------------------------------


def body(activity: BulkActivity, now: float, activity_seconds: float) -> dict[str, Any]:
    """The activity as the API shows it (keys in the spec's order, absent ones omitted)."""
    out: dict[str, Any] = {"activity_id": activity.activity_id, "state": activity.state}
    if activity.started_at is not None:
        out["started_at"] = iso_millis(activity.started_at)
    if activity.completed_at is not None:
        out["completed_at"] = iso_millis(activity.completed_at)
    out["created_at"] = iso_millis(activity.created_at)
    out["updated_at"] = iso_millis(activity.updated_at)
    if activity.source_file_name is not None:
        out["source_file_name"] = activity.source_file_name
    fraction = _progress(activity, now, activity_seconds)
    out["percent_done"] = math.floor(fraction * 100)
    out["activity_errors"] = list(activity.errors)
    status = dict(activity.status)
    if activity.state == "processing" and "items_completed_count" in status:
        status["items_completed_count"] = math.floor(status.get("items_total_count", 0) * fraction)
    out["status"] = status
    links: dict[str, Any] = {"self": {"href": f"/v3/activities/{activity.activity_id}"}}
    if activity.has_results:
        links["results"] = {"href": f"/v3/contact_exports/{activity.activity_id}"}
    out["_links"] = links
    return out


def _progress(activity: BulkActivity, now: float, activity_seconds: float) -> float:
    if activity.state in TERMINAL_STATES:
        return 1.0
    if activity.state != "processing" or activity.started_at is None:
        return 0.0
    total = duration(activity, activity_seconds)
    if total <= 0:
        return 0.99
    return min(0.99, max(0.0, (now - activity.started_at) / total))


# --- listing, state files, admin export ---------------------------------------------------------


def newest_first(state: EmulatorState, wanted_state: str | None) -> list[BulkActivity]:
    activities = [a for a in state.bulk_activities.values() if wanted_state in (None, a.state)]
    activities.sort(key=lambda a: a.seq, reverse=True)
    return activities


def dump(state: EmulatorState) -> dict[str, Any]:
    return {
        "activities": msgspec.to_builtins(list(state.bulk_activities.values())),
        "contact_exports": state.contact_exports,
    }


def load(state: EmulatorState, data: Any) -> None:
    """Before `install` runs (persistence.load calls `load` first), so the queue is rebuilt."""
    for activity in msgspec.convert(data.get("activities", []), list[BulkActivity]):
        state.bulk_activities[activity.activity_id] = activity
    state.contact_exports.update(data.get("contact_exports", {}))


def export_activities(state: EmulatorState) -> list[dict[str, Any]]:
    """`GET /_emulator/export/activities`: every kept activity, oldest first, with its kind."""
    now = time.time()
    seconds = state.config.activity_seconds
    return [
        {"kind": a.kind, **body(a, now, seconds)}
        for a in sorted(state.bulk_activities.values(), key=lambda a: a.seq)
    ]
