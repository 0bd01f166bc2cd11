"""Timestamp formats and ISO-8601 parsing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from constantcontact_emulator import timefmt

MOMENT = datetime(2024, 10, 30, 18, 56, 35, 108000, tzinfo=UTC).timestamp()


def test_formats() -> None:
    assert timefmt.iso_seconds(MOMENT) == "2024-10-30T18:56:35Z"
    assert timefmt.iso_millis(MOMENT) == "2024-10-30T18:56:35.108Z"
    assert timefmt.iso_millis(1.9996) == "1970-01-01T00:00:02.000Z"
    assert timefmt.iso_date(MOMENT) == "2024-10-30"


@pytest.mark.parametrize(
    "text",
    [
        "2024-10-30T18:56:35.108Z",
        "2024-10-30T14:56:35.108-04:00",
        "2024-10-30T18:56:35.108+00:00",
        "2024-10-30 18:56:35.108Z",
        "2024-10-30T18:56:35.108",
    ],
)
def test_parse_forms(text: str) -> None:
    assert timefmt.parse_datetime(text) == pytest.approx(MOMENT)


def test_plain_date_is_midnight_utc() -> None:
    assert timefmt.parse_datetime("2024-10-30") == datetime(2024, 10, 30, tzinfo=UTC).timestamp()


@pytest.mark.parametrize("text", ["", "yesterday", "2024", "2024-13-01T00:00:00Z", "30/10/2024"])
def test_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r".+"):
        timefmt.parse_datetime(text)


@given(st.integers(min_value=0, max_value=4_000_000_000))
def test_seconds_round_trip(seconds: int) -> None:
    assert timefmt.parse_datetime(timefmt.iso_seconds(seconds)) == seconds
    assert timefmt.parse_datetime(timefmt.iso_millis(seconds + 0.25)) == pytest.approx(
        seconds + 0.25
    )
