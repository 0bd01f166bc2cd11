"""Timestamp normalization: every form the API sends becomes fixed-width UTC RFC 3339."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from constantcontact_client.timestamps import (
    deleted_at_timestamp,
    format_datetime,
    normalize_date,
    normalize_datetime,
    parse_datetime,
)

_AWARE = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),
    max_value=dt.datetime(2099, 12, 31),
    timezones=st.sampled_from(
        [
            dt.UTC,
            dt.timezone(dt.timedelta(hours=-5)),
            dt.timezone(dt.timedelta(hours=5, minutes=30)),
        ]
    ),
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-10-30T18:56:35Z", "2024-10-30T18:56:35.000Z"),
        ("2016-01-23T13:48:44.108Z", "2016-01-23T13:48:44.108Z"),
        ("2016-03-03T10:56:29-05:00", "2016-03-03T15:56:29.000Z"),
        ("2016-03-03T10:56:29.5+01:00", "2016-03-03T09:56:29.500Z"),
        ("2016-03-03T10:56:29.123456Z", "2016-03-03T10:56:29.123Z"),
        ("2016-03-03T10:56:29", "2016-03-03T10:56:29.000Z"),
        ("2016-07-08", "2016-07-08T00:00:00.000Z"),
        (None, None),
    ],
)
def test_normalize_datetime_forms(value: str | None, expected: str | None) -> None:
    assert normalize_datetime(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "2016-13-01T00:00:00Z", "", "12/31/2024"])
def test_normalize_datetime_rejects_garbage(value: str) -> None:
    with pytest.raises(ValueError, match=r".+"):
        normalize_datetime(value)


def test_normalize_datetime_rejects_non_strings() -> None:
    with pytest.raises(TypeError, match="ISO-8601"):
        normalize_datetime(1700000000)  # type: ignore[arg-type]


@given(_AWARE)
def test_normalized_value_is_the_same_instant_to_the_millisecond(value: dt.datetime) -> None:
    for text in (value.isoformat(), value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")):
        normalized = normalize_datetime(text)
        assert normalized is not None
        assert len(normalized) == 24
        assert normalized.endswith("Z")
        expected = value.astimezone(dt.UTC).replace(microsecond=value.microsecond // 1000 * 1000)
        assert parse_datetime(normalized) == expected


@given(_AWARE, _AWARE)
def test_lexical_order_is_time_order(first: dt.datetime, second: dt.datetime) -> None:
    # The SDK compares bookmark values as strings.
    a, b = format_datetime(first), format_datetime(second)
    assert (a < b) == (parse_datetime(a) < parse_datetime(b))


def test_normalize_date() -> None:
    assert normalize_date("2016-07-08") == "2016-07-08"
    assert normalize_date("2016-07-08T23:30:00-05:00") == "2016-07-09"
    assert normalize_date(None) is None


def test_deleted_at_uses_updated_at_when_the_delete_moved_it_that_day() -> None:
    assert deleted_at_timestamp("2026-11-23", "2026-11-23T10:15:00Z") == "2026-11-23T10:15:00.000Z"


def test_deleted_at_is_midnight_utc_when_updated_at_is_another_day() -> None:
    assert deleted_at_timestamp("2026-11-23", "2026-10-01T10:15:00Z") == "2026-11-23T00:00:00.000Z"
    assert deleted_at_timestamp("2026-11-23", None) == "2026-11-23T00:00:00.000Z"
