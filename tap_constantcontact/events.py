"""Change events: one normalized CREATED / UPDATED / DELETED event per detected change.

SAP Open Connectors' polling model, as plain functions the streams share:

- DELETED when the record says it is deleted (contacts `_sdc_deleted_at`, campaigns
  `Removed`, lists `deleted_at`, a poll resource's `deleted_date_field`), dated then;
- CREATED when its creation and last-change times agree within the tolerance
  (`created_check_tolerance_seconds`, SAP's `createdCheckTolerance`), dated at creation;
- UPDATED otherwise, dated at the last change.

`event_id` is a UUID (version 5) of the object type, object id, event type and event date,
so reading the same change again (the lookback overlap, a rerun) gives the same id, and a
target that upserts on it keeps one row per change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import typing as t
import uuid
from dataclasses import dataclass

from constantcontact_client.timestamps import format_datetime

CREATED, UPDATED, DELETED = "CREATED", "UPDATED", "DELETED"
EVENT_TYPES = (CREATED, UPDATED, DELETED)
# A fixed namespace: event ids are the same on every machine and in every version.
EVENT_NAMESPACE = uuid.UUID("4f2c8e5a-1b7d-5c3e-9a60-7d1e2b3c4d5e")


@dataclass(frozen=True, slots=True)
class Change:
    """What a source record says about its own history."""

    object_id: str
    created_at: dt.datetime | None
    changed_at: dt.datetime | None  # the latest change the record shows
    deleted_at: dt.datetime | None = None


def classify(change: Change, tolerance: dt.timedelta) -> tuple[str, dt.datetime] | None:
    """The event type and date of a change; None when the record carries no date at all."""
    if change.deleted_at is not None:
        return DELETED, change.deleted_at
    created, changed = change.created_at, change.changed_at
    if changed is None:
        return (CREATED, created) if created is not None else None
    if created is not None and abs(changed - created) <= tolerance:
        return CREATED, created
    return UPDATED, changed


def stable_uuid(namespace: uuid.UUID, name: str) -> str:
    """`uuid.uuid5`, also for names no UTF-8 codec accepts (lone surrogates in API data)."""
    data = namespace.bytes + name.encode("utf-8", "surrogatepass")
    digest = hashlib.sha1(data, usedforsecurity=False).digest()  # UUID v5 is SHA-1 by definition
    return str(uuid.UUID(bytes=digest[:16], version=5))


def event_id(object_type: str, object_id: str, event_type: str, event_date: str) -> str:
    """The stable id of one event."""
    name = "\x1f".join((object_type, object_id, event_type, event_date))
    return stable_uuid(EVENT_NAMESPACE, name)


def build_event(
    object_type: str,
    change: Change,
    record: dict[str, t.Any],
    *,
    tolerance: dt.timedelta,
    detected_at: str,
) -> dict[str, t.Any] | None:
    """The `change_events` record of one change, or None if it cannot be placed in time."""
    classified = classify(change, tolerance)
    if classified is None:
        return None
    event_type, moment = classified
    event_date = format_datetime(moment)
    return {
        "event_id": event_id(object_type, change.object_id, event_type, event_date),
        "object_type": object_type,
        "object_id": change.object_id,
        "event_type": event_type,
        "event_date": event_date,
        "detected_at": detected_at,
        "record": record,
    }


def latest(*moments: dt.datetime | None) -> dt.datetime | None:
    """The latest of the given times, ignoring missing ones."""
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else None
