"""Pacing, daily budget and run cap, on a fake clock (no timed assertions)."""

from __future__ import annotations

import datetime as dt
import math
import sys
import uuid
from pathlib import Path

import pytest

from constantcontact_client import (
    ClientSettings,
    ConfigError,
    QuotaExceededError,
    RunBudgetExceededError,
)
from constantcontact_client.ratelimit import PACING_MARGIN_MS, RateLimiter


class FakeClock:
    """Epoch milliseconds that only move when the code under test sleeps."""

    def __init__(self, start: dt.datetime) -> None:
        self.ms = int(start.timestamp() * 1000)
        self.sleeps: list[float] = []

    def now(self) -> int:
        return self.ms

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.ms += math.ceil(seconds * 1000)


def settings(tmp_path: Path, **overrides: object) -> ClientSettings:
    # A fresh client_id per test: in-memory buckets are shared per application and process.
    config = {
        "client_id": f"rl-{uuid.uuid4()}",
        "refresh_token": "rt-1",
        "token_store_path": str(tmp_path / "store.json"),
    }
    return ClientSettings.from_config(config | overrides)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC))


def max_in_window(timestamps: list[int], window_ms: int) -> int:
    """The most timestamps inside any half-open window [t, t + window_ms)."""
    ordered = sorted(timestamps)
    best = 0
    for i, start in enumerate(ordered):
        best = max(best, sum(1 for t in ordered[i:] if t < start + window_ms))
    return best


@pytest.mark.parametrize("rps", [1, 4, 10])
def test_pacing_never_exceeds_the_rate_in_any_window(
    tmp_path: Path, clock: FakeClock, rps: int
) -> None:
    limiter = RateLimiter.from_settings(
        settings(tmp_path, requests_per_second=rps), clock=clock.now, sleep=clock.sleep
    )
    admitted = []
    waited = 0.0
    for _ in range(5 * rps):
        waited += limiter.acquire()
        admitted.append(clock.now())
    # No server-side second can see more than `rps` calls, even with 100 ms of jitter.
    assert max_in_window(admitted, 1000 + PACING_MARGIN_MS) == rps
    # And the limiter is not needlessly slow: a burst of rps, then one batch per window.
    assert admitted[-1] - admitted[0] <= 4 * (1000 + PACING_MARGIN_MS + 1)
    assert waited == pytest.approx(sum(clock.sleeps))  # acquire() reports its own waiting


def test_first_burst_is_not_delayed(tmp_path: Path, clock: FakeClock) -> None:
    limiter = RateLimiter.from_settings(settings(tmp_path), clock=clock.now, sleep=clock.sleep)
    for _ in range(4):
        assert limiter.acquire() == 0
    assert clock.sleeps == []
    assert limiter.acquire() > 1.0


def test_clients_of_one_application_share_the_memory_buckets(
    tmp_path: Path, clock: FakeClock
) -> None:
    shared = settings(tmp_path)
    first = RateLimiter.from_settings(shared, clock=clock.now, sleep=clock.sleep)
    second = RateLimiter.from_settings(shared, clock=clock.now, sleep=clock.sleep)
    admitted = []
    for limiter in [first, second] * 6:
        limiter.acquire()
        admitted.append(clock.now())
    assert max_in_window(admitted, 1000 + PACING_MARGIN_MS) == 4
    assert first.daily_used() == second.daily_used() == 12


def test_daily_budget_refuses_locally_and_resets_at_utc_midnight(tmp_path: Path) -> None:
    clock = FakeClock(dt.datetime(2024, 5, 1, 23, 59, 50, tzinfo=dt.UTC))
    limiter = RateLimiter.from_settings(
        settings(tmp_path, daily_request_limit=3), clock=clock.now, sleep=clock.sleep
    )
    for _ in range(3):
        limiter.acquire()
    assert limiter.daily_remaining() == 0
    with pytest.raises(QuotaExceededError) as info:
        limiter.acquire()
    message = str(info.value)
    assert "daily_request_limit" in message
    assert "00:00 UTC" in message
    assert "in 1 min" in message
    assert info.value.resets_at == dt.datetime(2024, 5, 2, tzinfo=dt.UTC)
    clock.ms = int(dt.datetime(2024, 5, 2, 0, 0, 1, tzinfo=dt.UTC).timestamp() * 1000)
    limiter.acquire()
    assert limiter.daily_used() == 1
    assert limiter.daily_remaining() == 2


def test_run_cap(tmp_path: Path, clock: FakeClock) -> None:
    limiter = RateLimiter.from_settings(
        settings(tmp_path, max_requests_per_run=2), clock=clock.now, sleep=clock.sleep
    )
    limiter.acquire()
    limiter.acquire()
    assert limiter.run_remaining() == 0
    with pytest.raises(RunBudgetExceededError, match=r"max_requests_per_run \(2\) reached"):
        limiter.acquire()
    assert limiter.daily_used() == 2  # the refused call was not counted


def test_sqlite_backend_is_shared_between_limiters(tmp_path: Path, clock: FakeClock) -> None:
    backend = f"sqlite:///{tmp_path}/limits.db"
    shared = settings(tmp_path, rate_limit_backend=backend, daily_request_limit=100)
    first = RateLimiter.from_settings(shared, clock=clock.now, sleep=clock.sleep)
    second = RateLimiter.from_settings(shared, clock=clock.now, sleep=clock.sleep)
    try:
        admitted = []
        for limiter in [first, second] * 5:
            limiter.acquire()
            admitted.append(clock.now())
        assert max_in_window(admitted, 1000 + PACING_MARGIN_MS) == 4
        assert first.daily_used() == second.daily_used() == 10
        other_app = RateLimiter.from_settings(
            settings(tmp_path, rate_limit_backend=backend), clock=clock.now, sleep=clock.sleep
        )
        assert other_app.daily_used() == 0  # keyed by client_id
        other_app.close()
    finally:
        first.close()
        second.close()
    assert (tmp_path / "limits.db").exists()


def test_redis_backend_without_its_package_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)  # `import redis` fails as if not installed
    with pytest.raises(ConfigError, match="a redis:// backend needs the redis package") as info:
        RateLimiter.from_settings(settings(tmp_path, rate_limit_backend="redis://localhost:1/0"))
    assert info.value.setting == "rate_limit_backend"


def test_unreachable_postgres_is_a_config_error_without_the_password(tmp_path: Path) -> None:
    pytest.importorskip("psycopg_pool")
    backend = "postgresql://cc:hunter2@127.0.0.1:1/cc?connect_timeout=1"
    with pytest.raises(ConfigError, match="cannot use PostgreSQL") as info:
        RateLimiter.from_settings(settings(tmp_path, rate_limit_backend=backend))
    assert "hunter2" not in str(info.value)


def test_redis_backend_is_shared_between_limiters(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    fakeredis = pytest.importorskip("fakeredis")
    pytest.importorskip("lupa")  # the bucket's Lua script
    import redis  # noqa: PLC0415

    server = fakeredis.FakeServer()
    monkeypatch.setattr(
        redis.Redis,
        "from_url",
        classmethod(lambda cls, url, **kw: fakeredis.FakeRedis(server=server)),
    )
    shared = settings(tmp_path, rate_limit_backend="redis://cache:6379/0", daily_request_limit=9)
    first = RateLimiter.from_settings(shared, clock=clock.now, sleep=clock.sleep)
    second = RateLimiter.from_settings(shared, clock=clock.now, sleep=clock.sleep)
    admitted = []
    for limiter in [first, second] * 4:
        limiter.acquire()
        admitted.append(clock.now())
    assert max_in_window(admitted, 1000 + PACING_MARGIN_MS) == 4
    assert first.daily_used() == second.daily_used() == 8
    first.acquire()
    with pytest.raises(QuotaExceededError):
        second.acquire()
