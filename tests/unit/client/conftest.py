"""Fixtures for the client's unit tests: a loopback fake API and a config pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cc_fakeapi import CLIENT_ID, CLIENT_SECRET, FakeServer


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def config(fake: FakeServer, tmp_path: Path) -> dict[str, Any]:
    """A client config for the fake server, unlimited pacing, a store in tmp_path."""
    return {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": "rt-initial-0001",
        "api_url": fake.api_url,
        "token_url": fake.token_url,
        "token_store_path": str(tmp_path / "state" / "token.json"),
        "requests_per_second": 1000,
        "max_retries": 3,
        "request_timeout": 10,
    }


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record instead of sleeping in backoff's retry loop."""
    slept: list[float] = []
    import backoff._sync  # noqa: PLC0415

    monkeypatch.setattr(backoff._sync.time, "sleep", slept.append)
    return slept
