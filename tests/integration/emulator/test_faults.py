"""Injected faults: 5xx, forced 429, dropped connections, latency, early token expiry."""

from __future__ import annotations

import time

import pytest
import requests

from constantcontact_emulator.testing import EmulatorProcess


@pytest.fixture
def emu(emulator_factory) -> EmulatorProcess:
    process = emulator_factory(contacts=30, campaigns=0)
    process.access_token()
    return process


def test_fail_next_answers_5xx_in_the_array_shape(emu: EmulatorProcess) -> None:
    emu.faults(fail_next=2, error_statuses=[503])
    statuses = [emu.api("GET", "/contact_tags") for _ in range(3)]
    assert [r.status_code for r in statuses] == [503, 503, 200]
    assert statuses[0].json() == [
        {
            "error_key": "service_unavailable",
            "error_message": "Our internal service is temporarily unavailable.",
        }
    ]
    assert emu.faults()["injected"]["error"] == 2
    assert emu.stats()["by_status"] == {"503": 2, "200": 1}


def test_error_rate_one_fails_everything_and_clear_restores(emu: EmulatorProcess) -> None:
    emu.faults(error_rate=1.0, error_statuses=[500])
    assert {emu.api("GET", "/contacts").status_code for _ in range(4)} == {500}
    emu.faults(clear=True)
    assert emu.api("GET", "/contacts").status_code == 200


def test_forced_throttle(emu: EmulatorProcess) -> None:
    emu.faults(throttle_next=1)
    first = emu.api("GET", "/contacts")
    assert first.status_code == 429
    assert first.json() == {"error_key": "throttled", "error_message": "Too Many Requests"}
    assert emu.api("GET", "/contacts").status_code == 200
    stats = emu.stats()
    assert stats["throttled"] == 1
    assert stats["quota_used"] == 1


def test_dropped_connection_has_no_answer(emu: EmulatorProcess) -> None:
    emu.faults(drop_next=1)
    with pytest.raises(requests.ConnectionError):
        requests.get(
            f"{emu.api_url}/contacts",
            headers={"Authorization": f"Bearer {emu.access_token()}"},
            timeout=30,
        )
    assert emu.api("GET", "/contacts").status_code == 200
    stats = emu.stats()
    assert stats["dropped"] == 1
    assert stats["by_endpoint_status"]["GET /v3/contacts"] == {"dropped": 1, "200": 1}


def test_path_pattern_limits_faults_to_matching_paths(emu: EmulatorProcess) -> None:
    emu.faults(error_rate=1.0, path_pattern="^/v3/contact_tags")
    assert emu.api("GET", "/contact_tags").status_code in (500, 503)
    assert emu.api("GET", "/contact_lists").status_code == 200


def test_latency_is_added(emu: EmulatorProcess) -> None:
    emu.faults(latency_ms=300)
    started = time.monotonic()
    assert emu.api("GET", "/contact_tags").status_code == 200
    assert time.monotonic() - started >= 0.3
    assert emu.faults()["latency_ms"] == 300


def test_tokens_can_expire_early(emu: EmulatorProcess) -> None:
    old = emu.access_token()
    emu.faults(expire_access_tokens=True)
    response = requests.get(
        f"{emu.api_url}/contacts", headers={"Authorization": f"Bearer {old}"}, timeout=30
    )
    assert response.status_code == 401
    assert response.json() == {"error_key": "unauthorized", "error_message": "Unauthorized"}
    fresh = emu.token_response()["access_token"]
    assert (
        requests.get(
            f"{emu.api_url}/contacts", headers={"Authorization": f"Bearer {fresh}"}, timeout=30
        ).status_code
        == 200
    )


def test_oauth_faults_only_when_included(emu: EmulatorProcess) -> None:
    emu.faults(fail_next=1, error_statuses=[500])
    assert emu.token_response()["access_token"]  # the token endpoint is not affected by default
    emu.faults(fail_next=1, include_oauth=True, path_pattern="^/oauth2/")
    token = emu.mint_refresh_token("contact_data offline_access")
    response = requests.post(
        emu.token_url,
        data={"grant_type": "refresh_token", "refresh_token": token},
        auth=(emu.info["client_id"], emu.info["client_secret"]),
        timeout=30,
    )
    assert response.status_code == 500


def test_invalid_fault_settings_are_400(emu: EmulatorProcess) -> None:
    for body in (
        {"error_rate": 2},
        {"fail_next": -1},
        {"no_such_fault": 1},
        {"error_statuses": [404]},
        {"path_pattern": "("},
    ):
        response = requests.post(f"{emu.base_url}/_emulator/faults", json=body, timeout=30)
        assert response.status_code == 400, body


def test_fault_flags_on_the_command_line(emulator_factory) -> None:
    emu = emulator_factory(contacts=5, campaigns=0, fault_rate=1.0)
    assert emu.faults()["error_rate"] == 1.0
    assert emu.api("GET", "/contacts").status_code in (500, 503)
