"""Shared rate-limit backends across processes: SQLite (one machine) and PostgreSQL (many).

The assertions read the admission timestamps the backend stored, so they check what the
limiter guarantees (no window of 1 s + margin holds more than 4 calls) without timing anything.
"""

from __future__ import annotations

import importlib.util
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from constantcontact_client import ClientSettings
from constantcontact_client.ratelimit import PACING_MARGIN_MS, RateLimiter, app_key

API_URL = "http://127.0.0.1:9/v3"  # never called: only the limiter runs here


def max_in_window(timestamps: list[float], window_ms: float) -> int:
    ordered = sorted(timestamps)
    return max(
        (sum(1 for t in ordered[i:] if t < start + window_ms) for i, start in enumerate(ordered)),
        default=0,
    )


def settings(tmp_path: Path, backend: str, **overrides: Any) -> ClientSettings:
    return ClientSettings.from_config(
        {
            "client_id": "backend-app",
            "refresh_token": "rt",
            "api_url": API_URL,
            "token_store_path": str(tmp_path / "token.json"),
            "rate_limit_backend": backend,
        }
        | overrides
    )


WORKER = textwrap.dedent(
    """
    import sys
    from constantcontact_client import ClientSettings
    from constantcontact_client.ratelimit import RateLimiter

    backend, store, api_url = sys.argv[1:4]
    limiter = RateLimiter.from_settings(ClientSettings.from_config({
        "client_id": "backend-app", "refresh_token": "rt", "api_url": api_url,
        "token_store_path": store, "rate_limit_backend": backend,
    }))
    for _ in range(6):
        limiter.acquire()
    limiter.close()
    """
)


@pytest.mark.slow
def test_sqlite_backend_paces_two_processes_together(tmp_path: Path) -> None:
    database = tmp_path / "limits.db"
    backend = f"sqlite:///{database}"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, backend, str(tmp_path / "token.json"), API_URL]
        )
        for _ in range(2)
    ]
    for worker in workers:
        assert worker.wait(timeout=120) == 0
    key = app_key("backend-app", "http://127.0.0.1:9")  # hex digits: safe in SQL text
    with sqlite3.connect(database) as connection:
        pacing = [
            row[0]
            for row in connection.execute(f"SELECT item_timestamp FROM '{key}_pacing'")  # noqa: S608
        ]
        daily = connection.execute(f"SELECT COUNT(*) FROM '{key}_daily'").fetchone()[0]  # noqa: S608
    connection.close()
    assert len(pacing) == 12
    assert max_in_window(pacing, 1000 + PACING_MARGIN_MS) == 4
    assert daily == 12
    limiter = RateLimiter.from_settings(settings(tmp_path, backend))
    assert limiter.daily_used() == 12
    limiter.close()


def _postgres_helper() -> Any:
    """The repo's throwaway-server helper (tests/e2e/postgres.py), loaded by path."""
    path = Path(__file__).resolve().parents[2] / "e2e" / "postgres.py"
    spec = importlib.util.spec_from_file_location("cc_client_e2e_postgres", path)
    if spec is None or spec.loader is None:
        pytest.skip("tests/e2e/postgres.py is missing")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def postgres_dsn() -> Iterator[str]:
    pytest.importorskip("psycopg_pool")
    helper = _postgres_helper()
    try:
        helper.find_bindir()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    with helper.running_postgres() as server:
        yield server.dsn


@pytest.mark.slow
def test_postgres_backend_shares_pacing_and_the_daily_budget(
    tmp_path: Path, postgres_dsn: str
) -> None:
    import psycopg  # noqa: PLC0415

    shared = settings(tmp_path, postgres_dsn, daily_request_limit=9)
    first = RateLimiter.from_settings(shared)
    second = RateLimiter.from_settings(shared)
    try:
        for limiter in [first, second] * 4:
            limiter.acquire()
        assert first.daily_used() == second.daily_used() == 8
        first.acquire()
        with pytest.raises(Exception, match="daily_request_limit"):
            second.acquire()
    finally:
        first.close()
        second.close()
    key = app_key("backend-app", "http://127.0.0.1:9")
    with psycopg.connect(postgres_dsn) as connection:
        rows = connection.execute(
            f'SELECT extract(epoch FROM item_timestamp::timestamptz) * 1000 FROM "ratelimit___{key}_pacing"'  # noqa: S608, E501
        ).fetchall()
    pacing = [float(row[0]) for row in rows]
    assert len(pacing) == 9
    assert max_in_window(pacing, 1000 + PACING_MARGIN_MS) == 4
