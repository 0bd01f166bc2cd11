"""Per-second limit (throttled), daily quota (quota_exceeded), both per application."""

from __future__ import annotations

import time

import pytest
import requests

from constantcontact_emulator.testing import EmulatorProcess

THROTTLED = {"error_key": "throttled", "error_message": "Too Many Requests"}
QUOTA = {"error_key": "quota_exceeded", "error_message": "Limit Exceeded"}


def _burst(emu: EmulatorProcess, n: int) -> list[requests.Response]:
    headers = {"Authorization": f"Bearer {emu.access_token()}"}
    with requests.Session() as session:
        return [
            session.get(f"{emu.api_url}/contact_lists", headers=headers, timeout=30)
            for _ in range(n)
        ]


def test_fifth_request_within_a_second_is_throttled(emulator_factory) -> None:
    emu = emulator_factory(contacts=10, campaigns=0, rps=4, daily_limit=10000)
    emu.access_token()
    time.sleep(1.1)  # the token request is not an API call, but start from an empty window
    started = time.monotonic()
    responses = _burst(emu, 5)
    if time.monotonic() - started >= 1.0:
        pytest.skip(
            "five loopback requests took a second or more; the window test needs them faster"
        )
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    assert responses[4].json() == THROTTLED
    stats = emu.stats()
    assert stats["throttled"] == 1
    assert stats["by_endpoint_status"]["GET /v3/contact_lists"] == {"200": 4, "429": 1}
    # a throttled request uses no quota
    assert stats["quota_used"] == 4


def test_requests_spread_over_time_are_not_throttled(emulator_factory) -> None:
    emu = emulator_factory(contacts=10, campaigns=0, rps=4, daily_limit=10000)
    headers = {"Authorization": f"Bearer {emu.access_token()}"}
    statuses = []
    for _ in range(6):
        statuses.append(
            requests.get(f"{emu.api_url}/contact_tags", headers=headers, timeout=30).status_code
        )
        time.sleep(0.3)
    assert statuses == [200] * 6


def test_limit_is_per_application_not_per_token(emulator_factory) -> None:
    emu = emulator_factory(contacts=10, campaigns=0, rps=2, daily_limit=10000)
    first = emu.token_response()["access_token"]
    second = emu.token_response()["access_token"]
    time.sleep(1.1)
    started = time.monotonic()
    statuses = [
        requests.get(
            f"{emu.api_url}/contact_tags", headers={"Authorization": f"Bearer {token}"}, timeout=30
        ).status_code
        for token in (first, second, first)
    ]
    if time.monotonic() - started >= 1.0:
        pytest.skip(
            "three loopback requests took a second or more; the window test needs them faster"
        )
    assert statuses == [200, 200, 429]


def test_daily_quota_then_quota_exceeded(emulator_factory) -> None:
    emu = emulator_factory(contacts=10, campaigns=0, rps=0, daily_limit=3)
    responses = _burst(emu, 5)
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    assert responses[3].json() == QUOTA
    stats = emu.stats()
    assert stats["quota_used"] == 3
    assert stats["daily_limit"] == 3
    assert stats["quota_exceeded"] == 2


def test_quota_used_can_be_set_to_reach_the_limit(emulator_factory) -> None:
    emu = emulator_factory(contacts=10, campaigns=0, rps=0, daily_limit=10000)
    emu.access_token()
    emu.faults(quota_used=9999)
    responses = _burst(emu, 2)
    assert [r.status_code for r in responses] == [200, 429]
    assert responses[1].json() == QUOTA


def test_limits_can_be_turned_off(emulator: EmulatorProcess) -> None:
    responses = _burst(emulator, 12)
    assert {r.status_code for r in responses} == {200}


def test_admin_api_is_not_limited_or_counted(emulator_factory) -> None:
    emu = emulator_factory(contacts=10, campaigns=0, rps=1, daily_limit=2)
    for _ in range(6):
        emu.stats()
        emu.export("contact_lists")
    stats = emu.stats()
    assert stats["requests"] == {}
    assert stats["quota_used"] == 0
