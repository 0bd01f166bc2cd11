"""The polling window: lookback, start_date, frozen upper bound."""

from __future__ import annotations

import datetime as dt

from tap_constantcontact.window import SyncWindow, run_start_from

RUN_START = dt.datetime(2026, 11, 23, 12, 0, 0, tzinfo=dt.UTC)


def test_full_sync_has_no_lower_bound() -> None:
    window = SyncWindow.for_run(run_start=RUN_START)
    assert window.is_full
    assert window.params("updated_after", "updated_before") == {
        "updated_before": "2026-11-23T12:00:00.000Z"
    }


def test_bookmark_minus_lookback() -> None:
    window = SyncWindow.for_run(
        run_start=RUN_START,
        bookmark=dt.datetime(2026, 11, 23, 11, 0, 30, 500000, tzinfo=dt.UTC),
        lookback=dt.timedelta(minutes=10),
    )
    assert window.lower == dt.datetime(2026, 11, 23, 10, 50, 30, tzinfo=dt.UTC)
    assert window.params("optout_after", "optout_before") == {
        "optout_after": "2026-11-23T10:50:30.000Z",
        "optout_before": "2026-11-23T12:00:00.000Z",
    }


def test_lookback_never_reaches_before_start_date() -> None:
    start = dt.datetime(2026, 11, 23, 10, 55, tzinfo=dt.UTC)
    window = SyncWindow.for_run(
        run_start=RUN_START,
        bookmark=dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC),
        start_date=start,
        lookback=dt.timedelta(minutes=10),
    )
    assert window.lower == start


def test_start_date_alone_bounds_the_first_run() -> None:
    start = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    window = SyncWindow.for_run(
        run_start=RUN_START, start_date=start, lookback=dt.timedelta(minutes=10)
    )
    assert window.lower == start


def test_bookmark_in_the_future_gives_an_empty_window_not_an_inverted_one() -> None:
    window = SyncWindow.for_run(
        run_start=RUN_START,
        bookmark=RUN_START + dt.timedelta(hours=2),
        lookback=dt.timedelta(minutes=10),
    )
    assert window.lower == RUN_START


def test_run_start_is_utc_milliseconds() -> None:
    now = dt.datetime(2026, 11, 23, 7, 0, 0, 999999, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    run_start = run_start_from(now)
    assert run_start == RUN_START.replace(microsecond=999000)
    assert SyncWindow.for_run(run_start=run_start).upper == run_start
    assert SyncWindow.for_run(run_start=run_start).params("a", "b") == {
        "b": "2026-11-23T12:00:00.999Z"
    }
