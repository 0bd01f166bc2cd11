"""GET /contacts filters and includes, compared record by record with the stored state."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from support.paging import collect

from constantcontact_emulator.testing import EmulatorProcess

ALL_INCLUDES = "custom_fields,list_memberships,phone_numbers,street_addresses,taggings,notes"
SUBRESOURCES = (
    "custom_fields",
    "list_memberships",
    "phone_numbers",
    "street_addresses",
    "taggings",
    "notes",
)


def _ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _without_sms(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "sms_channel"}


@pytest.fixture(scope="module")
def stored(emulator: EmulatorProcess) -> dict[str, dict[str, Any]]:
    emulator.reset()
    return {c["contact_id"]: c for c in emulator.export("contacts")}


def _ids(emu: EmulatorProcess, query: str) -> list[str]:
    records, _ = collect(emu, f"/contacts?limit=500&{query}", "contacts")
    return [r["contact_id"] for r in records]


def test_seed_is_realistic(stored: dict[str, dict[str, Any]]) -> None:
    contacts = list(stored.values())
    assert len(contacts) == 1200
    deleted = [c for c in contacts if "deleted_at" in c]
    unsubscribed = [
        c for c in contacts if c["email_address"]["permission_to_send"] == "unsubscribed"
    ]
    assert 0.01 * 1200 <= len(deleted) <= 0.06 * 1200
    assert 0.005 * 1200 <= len(unsubscribed) <= 0.05 * 1200
    active = [c for c in contacts if "deleted_at" not in c and c not in unsubscribed]
    assert sum(1 for c in active if c["list_memberships"]) / len(active) > 0.8
    for name in SUBRESOURCES:
        assert any(c[name] for c in contacts), name
    assert all(not c["list_memberships"] for c in deleted + unsubscribed)
    assert len({c["email_address"]["address"] for c in contacts}) == 1200
    created = sorted(_ts(c["created_at"]) for c in contacts)
    assert created[-1] - created[0] > timedelta(days=600)


def test_default_listing_is_every_non_deleted_contact_in_creation_order(
    emulator: EmulatorProcess, stored: dict[str, dict[str, Any]]
) -> None:
    records, pages = collect(emulator, f"/contacts?limit=500&include={ALL_INCLUDES}", "contacts")
    expected = [c for c in stored.values() if "deleted_at" not in c]
    assert [r["contact_id"] for r in records] == [c["contact_id"] for c in expected]
    assert pages == -(-len(expected) // 500)
    for record in records:
        assert record == _without_sms(stored[record["contact_id"]])
    created = [r["created_at"] for r in records]
    assert created == sorted(created)


def test_without_include_subresources_are_omitted(emulator: EmulatorProcess) -> None:
    record = emulator.api("GET", "/contacts?limit=1").json()["contacts"][0]
    assert not set(SUBRESOURCES) & set(record)
    assert record["email_address"]["address"]
    partial = emulator.api("GET", "/contacts?limit=5&include=taggings,notes").json()["contacts"]
    for rec in partial:
        assert {"taggings", "notes"} <= set(rec)
        assert "custom_fields" not in rec


@pytest.mark.parametrize(
    ("status", "predicate"),
    [
        ("all", lambda c: True),
        ("deleted", lambda c: "deleted_at" in c),
        (
            "unsubscribed",
            lambda c: (
                "deleted_at" not in c and c["email_address"]["permission_to_send"] == "unsubscribed"
            ),
        ),
        (
            "active",
            lambda c: (
                "deleted_at" not in c and c["email_address"]["permission_to_send"] != "unsubscribed"
            ),
        ),
        (
            "not_set,pending_confirmation",
            lambda c: (
                "deleted_at" not in c
                and c["email_address"]["permission_to_send"] in ("not_set", "pending_confirmation")
            ),
        ),
        (
            "deleted,unsubscribed",
            lambda c: (
                "deleted_at" in c or c["email_address"]["permission_to_send"] == "unsubscribed"
            ),
        ),
    ],
)
def test_status_filter(
    emulator: EmulatorProcess, stored: dict[str, dict[str, Any]], status: str, predicate
) -> None:
    expected = [cid for cid, c in stored.items() if predicate(c)]
    assert expected
    assert _ids(emulator, f"status={status}") == expected


def test_email_filter_is_exact_and_case_insensitive(
    emulator: EmulatorProcess, stored: dict[str, dict[str, Any]]
) -> None:
    contact = next(c for c in stored.values() if "deleted_at" not in c)
    address = contact["email_address"]["address"]
    assert _ids(emulator, f"email={address.upper()}") == [contact["contact_id"]]
    assert _ids(emulator, f"email=x{address}") == []
    deleted = next(c for c in stored.values() if "deleted_at" in c)
    assert _ids(emulator, f"email={deleted['email_address']['address']}") == []
    assert _ids(emulator, f"email={deleted['email_address']['address']}&status=all") == [
        deleted["contact_id"]
    ]


def test_lists_and_tags_filters(
    emulator: EmulatorProcess, stored: dict[str, dict[str, Any]]
) -> None:
    list_ids = [
        lst["list_id"] for lst in emulator.export("contact_lists") if "deleted_at" not in lst
    ][:2]
    expected = [cid for cid, c in stored.items() if set(c["list_memberships"]) & set(list_ids)]
    assert _ids(emulator, f"lists={','.join(list_ids)}") == expected
    tag_id = emulator.export("contact_tags")[0]["tag_id"]
    expected_tagged = [
        cid for cid, c in stored.items() if tag_id in c["taggings"] and "deleted_at" not in c
    ]
    assert expected_tagged
    assert _ids(emulator, f"tags={tag_id}") == expected_tagged
    both = [cid for cid in expected if cid in expected_tagged]
    assert _ids(emulator, f"lists={','.join(list_ids)}&tags={tag_id}") == both


def test_date_filters_after_inclusive_before_exclusive(
    emulator: EmulatorProcess, stored: dict[str, dict[str, Any]]
) -> None:
    live = [c for c in stored.values() if "deleted_at" not in c]
    pivot = sorted(c["updated_at"] for c in live)[len(live) // 2]
    after = _ids(emulator, f"updated_after={pivot}")
    before = _ids(emulator, f"updated_before={pivot}")
    assert after == [c["contact_id"] for c in live if c["updated_at"] >= pivot]
    assert before == [c["contact_id"] for c in live if c["updated_at"] < pivot]
    assert set(after).isdisjoint(before)
    assert len(after) + len(before) == len(live)
    created_pivot = live[len(live) // 3]["created_at"]
    window = _ids(emulator, f"created_after={created_pivot}&created_before={pivot}&status=all")
    assert window == [cid for cid, c in stored.items() if created_pivot <= c["created_at"] < pivot]
    # other ISO-8601 forms: offsets, fractions, a plain date
    moment = _ts(pivot)
    offset = (moment - timedelta(hours=5)).replace(tzinfo=None).isoformat() + ".000-05:00"
    assert _ids(emulator, f"updated_after={offset.replace('+', '%2B')}") == after
    day = pivot[:10]
    assert _ids(emulator, f"updated_after={day}") == [
        c["contact_id"] for c in live if c["updated_at"][:10] >= day
    ]


def test_optout_filters(emulator: EmulatorProcess, stored: dict[str, dict[str, Any]]) -> None:
    opted_out = [
        c for c in stored.values() if "opt_out_date" in c["email_address"] and "deleted_at" not in c
    ]
    assert opted_out
    pivot = sorted(c["email_address"]["opt_out_date"] for c in opted_out)[len(opted_out) // 2]
    expected = [c["contact_id"] for c in opted_out if c["email_address"]["opt_out_date"] >= pivot]
    assert _ids(emulator, f"optout_after={pivot}") == expected
    expected_before = [
        c["contact_id"] for c in opted_out if c["email_address"]["opt_out_date"] < pivot
    ]
    assert _ids(emulator, f"optout_before={pivot}") == expected_before


def test_include_count(emulator: EmulatorProcess, stored: dict[str, dict[str, Any]]) -> None:
    body = emulator.api("GET", "/contacts?limit=3&include_count=true&status=all").json()
    assert body["contacts_count"] == 1200
    assert len(body["contacts"]) == 3
    assert "contacts_count" not in emulator.api("GET", "/contacts?limit=3").json()


def test_get_one_contact_matches_stored(
    emulator: EmulatorProcess, stored: dict[str, dict[str, Any]]
) -> None:
    contact = next(c for c in stored.values() if c["custom_fields"] and c["notes"])
    response = emulator.api("GET", f"/contacts/{contact['contact_id']}?include={ALL_INCLUDES}")
    assert response.status_code == 200
    assert response.json() == _without_sms(contact)


def test_timestamp_formats(emulator: EmulatorProcess, stored: dict[str, dict[str, Any]]) -> None:
    contact = next(c for c in stored.values() if "deleted_at" in c)
    record = emulator.api("GET", f"/contacts/{contact['contact_id']}").json()
    assert len(record["deleted_at"]) == 10  # a plain date
    datetime.strptime(record["deleted_at"], "%Y-%m-%d")
    for value in (
        record["created_at"],
        record["updated_at"],
        record["email_address"]["created_at"],
    ):
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    lst = emulator.api("GET", "/contact_lists?limit=1").json()["lists"][0]
    datetime.strptime(lst["created_at"], "%Y-%m-%dT%H:%M:%S.%fZ")


def test_counts(emulator: EmulatorProcess, stored: dict[str, dict[str, Any]]) -> None:
    live = [c for c in stored.values() if "deleted_at" not in c]
    by_permission: dict[str, int] = {}
    for c in live:
        key = c["email_address"]["permission_to_send"]
        by_permission[key] = by_permission.get(key, 0) + 1
    body = emulator.api("GET", "/contacts/counts?include=new_subscriber").json()
    assert body["total"] == len(live)
    assert body["explicit"] == by_permission.get("explicit", 0)
    assert body["implicit"] == by_permission.get("implicit", 0)
    assert body["pending"] == by_permission.get("pending_confirmation", 0)
    assert body["unsubscribed"] == by_permission.get("unsubscribed", 0)
    assert "new_subscriber" in body
    assert "new_subscriber" not in emulator.api("GET", "/contacts/counts").json()


def test_segment_filter(emulator: EmulatorProcess, stored: dict[str, dict[str, Any]]) -> None:
    segments = emulator.export("segments")
    tag_segment = next(s for s in segments if "tagged" in s["name"])
    tag_id = json.loads(tag_segment["segment_criteria"])["criteria"]["group"][0]["const_value"][0]
    expected = [
        cid for cid, c in stored.items() if tag_id in c["taggings"] and "deleted_at" not in c
    ]
    assert _ids(emulator, f"segment_id={tag_segment['segment_id']}") == expected
    rejected = emulator.api("GET", f"/contacts?segment_id={tag_segment['segment_id']}&status=all")
    assert rejected.status_code == 400
    assert "segment_id" in rejected.json()[0]["error_message"]
    assert emulator.api("GET", "/contacts?segment_id=999999").status_code == 404


def test_segment_query_can_answer_processing_first(emulator: EmulatorProcess) -> None:
    segment_id = emulator.export("segments")[0]["segment_id"]
    emulator.faults(segment_processing_next=2)
    first = emulator.api("GET", f"/contacts?segment_id={segment_id}")
    second = emulator.api("GET", f"/contacts?segment_id={segment_id}")
    third = emulator.api("GET", f"/contacts?segment_id={segment_id}")
    assert (first.status_code, second.status_code, third.status_code) == (202, 202, 200)
    assert first.json()["status"] == "processing"
    assert "status" not in third.json()
