"""Pace API calls and keep the daily budget, on pyrate-limiter 4.x buckets.

Constant Contact allows each application (client_id) 4 requests per second and 10,000 per day,
counted across every process and machine that uses the key. Three checks run before each call:

1. the run cap (`max_requests_per_run`), counted in this process;
2. the daily budget (`daily_request_limit`), a fixed window that resets at 00:00 UTC like the
   API's quota; when spent, `QuotaExceededError` is raised locally, before the API would;
3. the per-second pacing: at most `requests_per_second` calls in any window of one second plus
   `PACING_MARGIN_MS`. The margin absorbs network jitter: requests sent 1.1 s apart cannot
   arrive inside one server-side second unless their latencies differ by more than 100 ms.

Where the counters live is `rate_limit_backend`: `memory` (shared by every client of this
process), `sqlite:///path` (processes on one machine; writes under a file lock; the default
`local` is such a file next to the token store),
`postgresql://...` (the database's clock and table lock) or `redis://...`. Buckets are keyed by
a hash of the client_id (and the API origin), so two applications sharing a backend do not
share limits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pyrate_limiter import (
    AbstractBucket,
    Duration,
    FixedWindow,
    InMemoryBucket,
    PostgresBucket,
    Rate,
    RateItem,
    RedisBucket,
    SQLiteBucket,
)

from constantcontact_client.errors import (
    ConfigError,
    QuotaExceededError,
    RunBudgetExceededError,
    quota_reset_phrase,
)
from constantcontact_client.settings import safe_backend_name

if TYPE_CHECKING:
    from constantcontact_client.settings import ClientSettings

LOGGER = logging.getLogger(__name__)
PACING_MARGIN_MS = 100
MIN_SLEEP_SECONDS = 0.005  # a denied put without a computed wait (lock contention) retries soon
_LEAK_EVERY = 200

Clock = Callable[[], int]


def monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


def app_key(client_id: str, api_origin: str) -> str:
    """A stable, non-identifying bucket name for an application on one API server.

    The origin is part of the key so that emulators on different ports (tests, demos) do not
    share the budget of the real API; against Constant Contact it is always the same.
    """
    digest = hashlib.sha256(f"{client_id}\n{api_origin}".encode()).hexdigest()
    return "cc_" + digest[:16]


def pacing_rate(requests_per_second: int) -> Rate:
    return Rate(requests_per_second, Duration.SECOND.value + PACING_MARGIN_MS)


def daily_rate(daily_request_limit: int) -> Rate:
    return Rate(daily_request_limit, Duration.DAY)


class RateLimiter:
    """Blocks until a call may be sent; refuses calls beyond the daily budget or run cap."""

    def __init__(
        self,
        *,
        pacing_bucket: AbstractBucket,
        daily_bucket: AbstractBucket,
        key: str,
        daily_request_limit: int,
        max_requests_per_run: int | None = None,
        pacing_clock: Clock = monotonic_ms,
        daily_clock: Clock = wall_ms,
        sleep: Callable[[float], None] = time.sleep,
        owns_buckets: bool = True,
    ) -> None:
        self._pacing = pacing_bucket
        self._daily = daily_bucket
        self._key = key
        self.daily_request_limit = daily_request_limit
        self.max_requests_per_run = max_requests_per_run
        self._pacing_clock = pacing_clock
        self._daily_clock = daily_clock
        self._sleep = sleep
        self._owns_buckets = owns_buckets
        self._lock = threading.Lock()
        self._puts = 0
        self.run_used = 0

    @classmethod
    def from_settings(
        cls,
        settings: ClientSettings,
        *,
        clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> RateLimiter:
        """The limiter for `settings.rate_limit_backend`, keyed by the application.

        `clock` (epoch milliseconds) and `sleep` replace the real ones, for tests.
        """
        key = app_key(settings.client_id, settings.api_origin)
        pacing = pacing_rate(settings.requests_per_second)
        daily = daily_rate(settings.daily_request_limit)
        backend = settings.rate_limit_backend
        scheme = backend.split(":", 1)[0].lower()
        common: dict[str, Any] = {
            "key": key,
            "daily_request_limit": settings.daily_request_limit,
            "max_requests_per_run": settings.max_requests_per_run,
            "sleep": sleep,
        }
        if clock is not None:
            common |= {"pacing_clock": clock, "daily_clock": clock}
        if scheme == "memory":
            pacing_bucket, daily_bucket = _shared_memory_buckets(key, pacing, daily)
            return cls(
                pacing_bucket=pacing_bucket,
                daily_bucket=daily_bucket,
                owns_buckets=False,
                **common,
            )
        if scheme == "sqlite":
            return cls(**(_sqlite_buckets(backend, key, pacing, daily) | common))
        if scheme in {"postgresql", "postgres"}:
            return cls(**(_postgres_buckets(backend, key, pacing, daily) | common))
        if scheme in {"redis", "rediss"}:
            return cls(**(_redis_buckets(backend, key, pacing, daily) | common))
        raise ConfigError(
            f"rate_limit_backend {safe_backend_name(backend)!r} is not supported.",
            setting="rate_limit_backend",
        )

    def acquire(self) -> float:
        """Wait for a slot; returns the seconds waited.

        Raises:
            RunBudgetExceededError: `max_requests_per_run` calls were already made.
            QuotaExceededError: the local daily budget is spent.
        """
        with self._lock:
            if self.max_requests_per_run is not None and self.run_used >= self.max_requests_per_run:
                raise RunBudgetExceededError(
                    f"max_requests_per_run ({self.max_requests_per_run}) reached: this run has "
                    "spent its API calls. Rerun to continue, or raise max_requests_per_run."
                )
            self._take_daily()
            self.run_used += 1
        return self.pace()

    def pace(self) -> float:
        """Wait for a per-second slot only (no budget counted); returns the seconds waited.

        For a call already counted whose sending was delayed (a token refresh between its slot
        and its send): a fresh slot keeps it from bunching up with the calls after it.
        """
        waited = 0.0
        while True:
            now = self._pacing_clock()
            item = RateItem(self._key, now)
            with self._lock:
                if self._pacing.put(item):
                    self._puts += 1
                    if self._puts % _LEAK_EVERY == 0:
                        self._pacing.leak(now)
                    return waited
                wait_ms = self._pacing.waiting(item)
            seconds = max(wait_ms / 1000 if isinstance(wait_ms, int) else 0, MIN_SLEEP_SECONDS)
            self._sleep(seconds)
            waited += seconds

    def _take_daily(self) -> None:
        now = self._daily_clock()
        if self.run_used % _LEAK_EVERY == 0:
            self._daily.leak(now)  # drop earlier days' entries: memory and tables stay small
        if not self._daily.put(RateItem(self._key, now)):
            phrase, resets_at = quota_reset_phrase(dt.datetime.fromtimestamp(now / 1000, dt.UTC))
            raise QuotaExceededError(
                f"The daily budget of {self.daily_request_limit} API calls "
                f"(daily_request_limit) is spent for this application; it {phrase}. Rerun "
                "after that.",
                resets_at=resets_at,
            )

    def daily_used(self) -> int:
        """Calls counted in today's (UTC) window of the shared daily budget."""
        with self._lock:
            self._daily.leak(self._daily_clock())
            return int(self._daily.count())

    def daily_remaining(self) -> int:
        return max(0, self.daily_request_limit - self.daily_used())

    def run_remaining(self) -> int | None:
        if self.max_requests_per_run is None:
            return None
        return max(0, self.max_requests_per_run - self.run_used)

    def close(self) -> None:
        if not self._owns_buckets:
            return
        for bucket in (self._pacing, self._daily):
            try:
                bucket.close()
            except Exception as exc:  # closing must never hide the run's own outcome
                LOGGER.debug("Closing a rate-limit bucket failed: %s", type(exc).__name__)


_MEMORY_BUCKETS: dict[tuple[str, int, int, int, int], tuple[InMemoryBucket, InMemoryBucket]] = {}
_MEMORY_LOCK = threading.Lock()


def _shared_memory_buckets(
    key: str, pacing: Rate, daily: Rate
) -> tuple[InMemoryBucket, InMemoryBucket]:
    """One pair of buckets per application and limits, for every client in this process."""
    registry_key = (key, pacing.limit, pacing.interval, daily.limit, daily.interval)
    with _MEMORY_LOCK:
        if registry_key not in _MEMORY_BUCKETS:
            _MEMORY_BUCKETS[registry_key] = (
                InMemoryBucket([pacing]),
                InMemoryBucket([daily], algorithm=FixedWindow()),
            )
        return _MEMORY_BUCKETS[registry_key]


def _sqlite_buckets(backend: str, key: str, pacing: Rate, daily: Rate) -> dict[str, Any]:
    path = Path(backend.removeprefix("sqlite:///")).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        pacing_bucket = SQLiteBucket.init_from_file(
            [pacing], table=f"{key}_pacing", db_path=str(path), use_file_lock=True
        )
        daily_bucket = SQLiteBucket.init_from_file(
            [daily],
            table=f"{key}_daily",
            db_path=str(path),
            use_file_lock=True,
            algorithm=FixedWindow(),
        )
    except Exception as exc:
        raise ConfigError(
            f"rate_limit_backend: cannot open the SQLite database {path}: {exc}",
            setting="rate_limit_backend",
        ) from exc
    # Wall-clock milliseconds: the only clock every process on the machine shares.
    return {
        "pacing_bucket": pacing_bucket,
        "daily_bucket": daily_bucket,
        "pacing_clock": wall_ms,
        "daily_clock": wall_ms,
    }


def _postgres_buckets(backend: str, key: str, pacing: Rate, daily: Rate) -> dict[str, Any]:
    try:
        from psycopg_pool import ConnectionPool  # noqa: PLC0415
    except ImportError:
        raise ConfigError(
            "rate_limit_backend: a postgresql:// backend needs psycopg-pool; install "
            "`tap-constantcontact[postgres]`.",
            setting="rate_limit_backend",
        ) from None
    import psycopg  # noqa: PLC0415 - a dependency of psycopg-pool

    dsn = "postgresql" + backend[backend.index(":") :]
    try:
        with psycopg.connect(dsn, connect_timeout=10):  # fail fast with a clear error
            pass
        pool = ConnectionPool(dsn, min_size=1, max_size=2, open=True, timeout=30)
        pool.wait(timeout=30)
        pacing_bucket = PostgresBucket(pool, f"{key}_pacing", [pacing])
        daily_bucket = PostgresBucket(pool, f"{key}_daily", [daily], algorithm=FixedWindow())
    except Exception as exc:
        raise ConfigError(
            f"rate_limit_backend: cannot use PostgreSQL at {safe_backend_name(backend)}: "
            f"{type(exc).__name__}",
            setting="rate_limit_backend",
        ) from None
    # The database's clock is the one time source shared by every machine.
    return {
        "pacing_bucket": pacing_bucket,
        "daily_bucket": daily_bucket,
        "pacing_clock": pacing_bucket.now,
        "daily_clock": pacing_bucket.now,
    }


def _redis_buckets(backend: str, key: str, pacing: Rate, daily: Rate) -> dict[str, Any]:
    try:
        import redis  # noqa: PLC0415
    except ImportError:
        raise ConfigError(
            "rate_limit_backend: a redis:// backend needs the redis package; install "
            "`tap-constantcontact[redis]`.",
            setting="rate_limit_backend",
        ) from None
    try:
        connection = redis.Redis.from_url(backend)
        pacing_bucket = RedisBucket.init([pacing], connection, f"{key}:pacing")
        daily_bucket = RedisBucket.init(
            [daily], connection, f"{key}:daily", algorithm=FixedWindow()
        )
    except Exception as exc:
        host = urlsplit(backend).hostname
        raise ConfigError(
            f"rate_limit_backend: cannot use Redis at {host}: {type(exc).__name__}",
            setting="rate_limit_backend",
        ) from None
    return {
        "pacing_bucket": pacing_bucket,
        "daily_bucket": daily_bucket,
        "pacing_clock": wall_ms,
        "daily_clock": wall_ms,
    }
