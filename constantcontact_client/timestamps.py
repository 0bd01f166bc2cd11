"""Timestamp normalization: every date-time the tap emits, and the target compares or
sends, is UTC RFC 3339.

The API mixes `2024-10-30T18:56:35Z`, `2016-01-23T13:48:44.108Z`,
`2016-03-03T10:56:29-05:00` and plain dates (`deleted_at`). The tap emits one fixed-width
form, `YYYY-MM-DDTHH:MM:SS.mmmZ`: fixed width matters because the SDK compares bookmark
values as strings, so lexical order must equal time order.
"""

from __future__ import annotations

import datetime as dt

UTC = dt.UTC
_MIDNIGHT = dt.time()

# `2024-10-30T18:56:35Z` and `2024-10-30T18:56:35.108Z`: the forms the API sends most.
_SECONDS_Z_LENGTH = 20
_MILLIS_Z_LENGTH = 24


def parse_datetime(value: str, timezone: dt.tzinfo = UTC) -> dt.datetime:
    """Parse any ISO-8601 date or date-time into an aware UTC datetime.

    A plain date is midnight, and a date-time without an offset is local time, in
    `timezone` (UTC unless given).

    Raises:
        ValueError: the value is not ISO-8601.
    """
    text = value.strip()
    if len(text) == 10:  # a date only (`deleted_at`)
        parsed = dt.datetime.combine(dt.date.fromisoformat(text), _MIDNIGHT)
    else:
        parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone)
    return parsed.astimezone(UTC)


def parse_optional(value: str | None) -> dt.datetime | None:
    """`parse_datetime` for a value the tap normalized itself; None stays None."""
    return parse_datetime(value) if value else None


def format_datetime(value: dt.datetime) -> str:
    """Format an aware (or UTC-naive) datetime as `YYYY-MM-DDTHH:MM:SS.mmmZ`."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"


def normalize_datetime(value: str | None) -> str | None:
    """Normalize an API date-time string; None stays None.

    Raises:
        ValueError: the value is not ISO-8601.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO-8601 string, got {type(value).__name__}")
    # Fast paths for the API's usual UTC forms: validated, but no reformatting needed.
    if value.endswith("Z") and value[10:11] == "T":
        if len(value) == _SECONDS_Z_LENGTH:
            dt.datetime.fromisoformat(value[:19])
            return f"{value[:19]}.000Z"
        if len(value) == _MILLIS_Z_LENGTH and value[19] == "." and value[20:23].isdigit():
            dt.datetime.fromisoformat(value[:19])
            return value
    return format_datetime(parse_datetime(value))


def normalize_date(value: str | None) -> str | None:
    """Normalize an API date (or date-time) to `YYYY-MM-DD` in UTC.

    Raises:
        ValueError: the value is not ISO-8601.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected an ISO-8601 string, got {type(value).__name__}")
    if len(value) == 10:
        return dt.date.fromisoformat(value).isoformat()
    return parse_datetime(value).date().isoformat()


def deleted_at_timestamp(deleted_at: str, updated_at: str | None) -> str:
    """Derive a date-time for `_sdc_deleted_at` from the API's `deleted_at` date.

    `deleted_at` is a date only. When the contact's `updated_at` falls on that same UTC
    day, the delete most likely moved it, so it is the best available deletion time.
    Otherwise the delete left `updated_at` alone and midnight UTC of `deleted_at` is
    used. The API does not document the time zone of `deleted_at`; it is taken as UTC.
    """
    deleted_day = normalize_date(deleted_at)
    if updated_at is not None:
        updated = normalize_datetime(updated_at)
        if updated is not None and updated[:10] == deleted_day:
            return updated
    return f"{deleted_day}T00:00:00.000Z"
