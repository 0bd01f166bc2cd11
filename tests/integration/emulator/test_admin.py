"""The admin API: actions visible through the normal API, stats, reset, export, exchanges."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import requests

from constantcontact_emulator.testing import EmulatorProcess


@pytest.fixture(autouse=True)
def fresh(emulator: EmulatorProcess) -> None:
    emulator.reset()


def test_actions_are_visible_through_the_api(emulator: EmulatorProcess) -> None:
    before = {c["contact_id"]: c for c in emulator.export("contacts")}
    started = datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = emulator.actions(create=3, update=4, delete=2, unsubscribe=2)
    assert {k: len(v) for k, v in result.items()} == {
        "created": 3,
        "updated": 4,
        "deleted": 2,
        "unsubscribed": 2,
    }
    changed = emulator.api("GET", f"/contacts?status=all&updated_after={started}&limit=500").json()[
        "contacts"
    ]
    changed_ids = {c["contact_id"] for c in changed}
    assert set(result["created"]) <= changed_ids
    assert set(result["updated"]) <= changed_ids
    assert set(result["deleted"]) <= changed_ids
    assert changed_ids.isdisjoint(
        set(result["unsubscribed"]) - set(result["updated"]) - set(result["deleted"])
    )
    for contact_id in result["created"]:
        record = emulator.api(
            "GET", f"/contacts/{contact_id}?include=list_memberships,phone_numbers"
        ).json()
        assert contact_id not in before
        assert record["create_source"] == "Account"
        assert record["created_at"] >= started
        assert record["list_memberships"]
    for contact_id in result["updated"]:
        record = emulator.api("GET", f"/contacts/{contact_id}").json()
        assert record["updated_at"] >= started > before[contact_id]["updated_at"]
        assert record["update_source"] == "Account"
    deleted = {
        c["contact_id"]
        for c in emulator.api("GET", "/contacts?status=deleted&limit=500").json()["contacts"]
    }
    assert set(result["deleted"]) <= deleted
    opted = emulator.api("GET", f"/contacts?optout_after={started}&limit=500").json()["contacts"]
    assert set(result["unsubscribed"]) - set(result["deleted"]) <= {c["contact_id"] for c in opted}


def test_unknown_action_kind_is_400(emulator: EmulatorProcess) -> None:
    response = requests.post(
        f"{emulator.base_url}/_emulator/actions", json={"explode": 1}, timeout=30
    )
    assert response.status_code == 400
    assert "explode" in response.json()[0]["error_message"]
    assert (
        requests.post(
            f"{emulator.base_url}/_emulator/actions", json={"create": -1}, timeout=30
        ).status_code
        == 400
    )


def test_stats_count_by_template_and_status(emulator: EmulatorProcess) -> None:
    contact_id = emulator.export("contacts")[0]["contact_id"]
    emulator.api("GET", f"/contacts/{contact_id}")
    emulator.api("GET", f"/contacts/{contact_id}")
    emulator.api("GET", "/contacts/00000000-0000-1000-8000-000000000000")
    emulator.api("GET", "/contacts?limit=1")
    stats = emulator.stats()
    assert stats["requests"] == {"GET /v3/contacts/{contact_id}": 3, "GET /v3/contacts": 1}
    assert stats["by_endpoint_status"]["GET /v3/contacts/{contact_id}"] == {"200": 2, "404": 1}
    assert stats["by_status"] == {"200": 3, "404": 1}
    assert stats["quota_used"] == 4


def test_reset_restores_the_seed_and_clears_counters(emulator: EmulatorProcess) -> None:
    seeded = emulator.export("contacts")
    emulator.actions(create=2, delete=3)
    emulator.api("GET", "/contacts")
    emulator.reset()
    assert emulator.export("contacts") == seeded
    assert emulator.stats()["requests"] == {}
    emulator.reset(contacts=25)
    assert len(emulator.export("contacts")) == 25
    emulator.reset(contacts=1200)


def test_export_covers_every_resource(emulator: EmulatorProcess) -> None:
    for resource in (
        "contacts",
        "contact_lists",
        "contact_tags",
        "custom_fields",
        "segments",
        "account",
    ):
        assert emulator.export(resource)
    response = requests.get(f"{emulator.base_url}/_emulator/export/nothing", timeout=30)
    assert response.status_code == 404


def test_exchanges_are_recorded_only_when_asked(
    emulator: EmulatorProcess, emulator_factory
) -> None:
    emulator.api("GET", "/contacts?limit=1")
    assert emulator.exchanges() == []
    recording = emulator_factory(contacts=5, campaigns=0, record_exchanges=True)
    recording.api("POST", "/contact_tags", json={"name": "Recorded"})
    exchanges = recording.exchanges()
    assert len(exchanges) == 1
    exchange = exchanges[0]
    assert exchange["method"] == "POST"
    assert exchange["template"] == "/v3/contact_tags"
    assert exchange["status"] == 201
    assert '"Recorded"' in exchange["request_body"]
    assert exchange["response_headers"]["content-type"] == "application/json"
    recording.clear_exchanges()
    assert recording.exchanges() == []


def test_minted_tokens_and_health(emulator: EmulatorProcess) -> None:
    response = requests.post(
        f"{emulator.base_url}/_emulator/tokens",
        json={"scopes": "account_read offline_access"},
        timeout=30,
    )
    assert response.status_code == 200
    assert response.json()["scope"] == "account_read offline_access"
    bad = requests.post(
        f"{emulator.base_url}/_emulator/tokens", json={"scopes": "root"}, timeout=30
    )
    assert bad.status_code == 400
    assert requests.get(f"{emulator.base_url}/_emulator/health", timeout=30).json() == {
        "status": "ok"
    }
