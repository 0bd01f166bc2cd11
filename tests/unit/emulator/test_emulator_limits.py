"""The sliding-window limiter and the daily quota, with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime

from constantcontact_emulator.limits import DailyQuota, SlidingWindowLimiter


def test_four_per_second_then_throttled_until_the_window_slides() -> None:
    limiter = SlidingWindowLimiter(rps=4)
    assert [limiter.try_acquire("app", t) for t in (0.0, 0.1, 0.2, 0.3)] == [True] * 4
    assert limiter.try_acquire("app", 0.9) is False
    assert limiter.try_acquire("app", 0.99) is False  # refused requests take no slot
    assert limiter.try_acquire("app", 1.05) is True  # the request at 0.0 left the window
    assert limiter.try_acquire("app", 1.06) is False


def test_windows_are_per_application() -> None:
    limiter = SlidingWindowLimiter(rps=1)
    assert limiter.try_acquire("a", 0.0)
    assert limiter.try_acquire("b", 0.0)
    assert not limiter.try_acquire("a", 0.5)


def test_fractional_rate_and_off() -> None:
    slow = SlidingWindowLimiter(rps=0.5)  # one request per two seconds
    assert slow.try_acquire("a", 0.0)
    assert not slow.try_acquire("a", 1.5)
    assert slow.try_acquire("a", 2.01)
    off = SlidingWindowLimiter(rps=0)
    assert all(off.try_acquire("a", 0.0) for _ in range(100))


def test_daily_quota_resets_at_utc_midnight() -> None:
    quota = DailyQuota(limit=2)
    evening = datetime(2026, 3, 1, 23, 59, 58, tzinfo=UTC).timestamp()
    assert quota.try_consume("app", evening)
    assert quota.try_consume("app", evening + 1)
    assert not quota.try_consume("app", evening + 1.5)
    assert quota.used_today("app", evening) == 2
    after_midnight = datetime(2026, 3, 2, 0, 0, 0, tzinfo=UTC).timestamp()
    assert quota.try_consume("app", after_midnight)
    assert quota.used_today("app", after_midnight) == 1


def test_quota_is_per_application_and_settable() -> None:
    quota = DailyQuota(limit=3)
    now = 1_700_000_000.0
    quota.set_used_today("a", 3, now)
    assert not quota.try_consume("a", now)
    assert quota.try_consume("b", now)
    assert quota.used_today(None, now) == 4
    unlimited = DailyQuota(limit=0)
    assert all(unlimited.try_consume("a", now) for _ in range(50))
