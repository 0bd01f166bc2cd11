"""Timestamps as the real API writes them, and parsing of the ISO-8601 forms clients send.

Internally every timestamp is a float of seconds since the epoch (UTC). The API mixes formats:
contacts use second precision with `Z`, lists/tags/custom fields milliseconds with `Z`, and a
contact's `deleted_at` is a plain date.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

_SECONDS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def now() -> float:
    return time.time()


def iso_seconds(ts: float) -> str:
    """`2024-10-30T18:56:35Z`: contacts and their sub-resources."""
    return time.strftime(_SECONDS_FORMAT, time.gmtime(ts))


def iso_millis(ts: float) -> str:
    """`2024-10-30T18:56:35.108Z`: lists, tags, custom fields, activities."""
    whole, millis = divmod(round(ts * 1000), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


def iso_date(ts: float) -> str:
    """`2016-07-08`: a contact's `deleted_at`."""
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


def parse_datetime(value: str) -> float:
    """Parse the ISO-8601 forms the API accepts; a date alone means midnight UTC.

    Raises ValueError for anything else.
    """
    text = value.strip()
    if not text:
        raise ValueError("empty date-time")
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
    if "T" not in text and " " not in text:
        raise ValueError(f"not an ISO-8601 date-time: {value!r}")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def utc_day(ts: float) -> str:
    """The UTC calendar day a timestamp falls on; the daily quota resets when it changes."""
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


def seconds_until_utc_midnight(ts: float) -> float:
    return 86400 - (ts % 86400)
