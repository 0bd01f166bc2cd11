"""Date formats of poll_resources: ISO-8601, epoch, strftime and Java/SAP patterns."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tap_constantcontact.date_formats import (
    DateFormat,
    DateFormatError,
    format_upper_bound,
    java_to_strftime,
)

UTC = dt.UTC


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("yyyy-MM-dd'T'HH:mm:ss'Z'", "%Y-%m-%dT%H:%M:%SZ"),
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "%Y-%m-%dT%H:%M:%S.%f%z"),
        ("MM/dd/yyyy hh:mm a", "%m/%d/%Y %I:%M %p"),
        ("EEE, d MMM yyyy HH:mm:ss Z", "%a, %d %b %Y %H:%M:%S %z"),
        ("yyyy'%'MM", "%Y%%%m"),
        ("yyyy''MM", "%Y'%m"),
    ],
)
def test_java_patterns_become_strftime(pattern: str, expected: str) -> None:
    assert java_to_strftime(pattern) == expected


@pytest.mark.parametrize(
    ("spec", "timezone", "value", "expected"),
    [
        (None, None, "2024-03-01T10:00:00Z", dt.datetime(2024, 3, 1, 10, tzinfo=UTC)),
        (None, None, "2024-03-01T10:00:00-05:00", dt.datetime(2024, 3, 1, 15, tzinfo=UTC)),
        (None, "Europe/Paris", "2024-07-01T10:00:00", dt.datetime(2024, 7, 1, 8, tzinfo=UTC)),
        (None, None, "2024-03-01", dt.datetime(2024, 3, 1, tzinfo=UTC)),
        (
            "yyyy-MM-dd'T'HH:mm:ss'Z'",
            None,
            "2024-03-01T10:00:05Z",
            dt.datetime(2024, 3, 1, 10, 0, 5, tzinfo=UTC),
        ),
        (
            "yyyy-MM-dd HH:mm:ss.SSS",
            "America/New_York",
            "2024-01-15 09:30:00.250",
            dt.datetime(2024, 1, 15, 14, 30, 0, 250000, tzinfo=UTC),
        ),
        ("%d/%m/%Y %H:%M", None, "02/03/2024 07:08", dt.datetime(2024, 3, 2, 7, 8, tzinfo=UTC)),
        ("epoch_seconds", None, 1700000000, dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        (
            "epoch_milliseconds",
            None,
            "1700000000500",
            dt.datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC),
        ),
    ],
)
def test_values_parse_to_aware_utc(
    spec: str | None, timezone: str | None, value: object, expected: dt.datetime
) -> None:
    assert DateFormat.of(spec, timezone).parse(value) == expected


def test_null_and_empty_values_are_none() -> None:
    assert DateFormat.of(None).parse(None) is None
    assert DateFormat.of("yyyy-MM-dd").parse("") is None


@pytest.mark.parametrize(
    ("spec", "value"),
    [(None, "yesterday"), ("yyyy-MM-dd", "2024/01/02"), ("epoch_seconds", True)],
)
def test_a_value_that_does_not_match_is_an_error(spec: str | None, value: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        DateFormat.of(spec).parse(value)


@pytest.mark.parametrize(
    ("spec", "timezone", "message"),
    [
        ("yyyy-QQ", None, "pattern letter 'QQ' is not supported"),
        ("yyyy-MM-dd'T", None, "unbalanced quote"),
        ("HH:mm", None, "has no year or day"),
        (None, "Mars/Olympus", "not an IANA time zone name"),
    ],
)
def test_unusable_formats_and_zones_say_why(
    spec: str | None, timezone: str | None, message: str
) -> None:
    with pytest.raises(DateFormatError, match=message):
        DateFormat.of(spec, timezone)


def test_filter_values_are_written_in_the_format_and_zone() -> None:
    moment = dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert DateFormat.of(None).format(moment) == "2024-01-02T03:04:05.678Z"
    assert (
        DateFormat.of("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").format(moment) == "2024-01-02T03:04:05.678Z"
    )
    assert DateFormat.of("yyyy-MM-dd HH:mm", "Europe/Paris").format(moment) == "2024-01-02 04:04"
    assert DateFormat.of("epoch_milliseconds").format(moment) == "1704164645678"


def test_upper_bounds_round_up_to_the_format_precision() -> None:
    moment = dt.datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=UTC)
    assert format_upper_bound(DateFormat.of("yyyy-MM-dd'T'HH:mm:ss'Z'"), moment) == (
        "2024-01-02T03:04:06Z"
    )
    assert format_upper_bound(DateFormat.of("yyyy-MM-dd"), moment) == "2024-01-03"
    assert format_upper_bound(DateFormat.of(None), moment) == "2024-01-02T03:04:05.500Z"
    exact = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert format_upper_bound(DateFormat.of("yyyy-MM-dd'T'HH:mm:ss'Z'"), exact) == (
        "2024-01-02T03:04:05Z"
    )


@given(
    st.datetimes(
        min_value=dt.datetime(1971, 1, 1),
        max_value=dt.datetime(2200, 1, 1),
        timezones=st.just(UTC),
    ),
    st.sampled_from(["yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "%Y-%m-%d %H:%M:%S.%f%z", "iso8601"]),
    st.sampled_from(["UTC", "Asia/Kolkata", "America/Sao_Paulo"]),
)
def test_format_then_parse_round_trips_to_the_millisecond(
    moment: dt.datetime, spec: str, timezone: str
) -> None:
    date_format = DateFormat.of(spec, timezone)
    parsed = date_format.parse(date_format.format(moment))
    assert parsed is not None
    assert abs(parsed - moment) < dt.timedelta(milliseconds=1)
