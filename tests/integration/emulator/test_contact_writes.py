"""Contact writes: POST, PUT semantics, soft delete, revive, sign_up_form, unsubscribe."""

from __future__ import annotations

import time
from typing import Any

import pytest

from constantcontact_emulator.testing import EmulatorProcess

ALL = "custom_fields,list_memberships,phone_numbers,street_addresses,taggings,notes"


@pytest.fixture(autouse=True)
def fresh(emulator: EmulatorProcess) -> None:
    emulator.reset()


def _stored(emu: EmulatorProcess, contact_id: str) -> dict[str, Any]:
    return next(c for c in emu.export("contacts") if c["contact_id"] == contact_id)


def _live_list_ids(emu: EmulatorProcess) -> list[str]:
    return [lst["list_id"] for lst in emu.export("contact_lists") if "deleted_at" not in lst]


def _new_contact(emu: EmulatorProcess, **extra: Any) -> dict[str, Any]:
    body = {
        "email_address": {"address": "Jane.Doe@Example.com", "permission_to_send": "explicit"},
        "first_name": "Jane",
        "last_name": "Doe",
        "job_title": "Engineer",
        "create_source": "Account",
        **extra,
    }
    response = emu.api("POST", "/contacts", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_post_creates_the_contact_with_its_subresources(emulator: EmulatorProcess) -> None:
    lists = _live_list_ids(emulator)[:2]
    tag = emulator.export("contact_tags")[0]["tag_id"]
    fields = {f["name"]: f for f in emulator.export("custom_fields")}
    level = fields["Membership_Level"]
    created = _new_contact(
        emulator,
        list_memberships=lists,
        taggings=[tag],
        phone_numbers=[{"phone_number": "+1-555-555-0100", "kind": "mobile"}],
        street_addresses=[
            {
                "kind": "home",
                "street": "1 Main St",
                "city": "Boston",
                "state": "MA",
                "postal_code": "02110",
                "country": "United States",
            }
        ],
        notes=[{"content": "Met at the trade show."}],
        custom_fields=[
            {
                "custom_field_id": level["custom_field_id"],
                "choice_ids": [str(level["choices"][2]["choice_id"])],
            },
            {"custom_field_id": fields["Loyalty_Points"]["custom_field_id"], "value": "1200"},
        ],
        birthday_month=4,
        birthday_day=12,
        anniversary="2015-06-01",
    )
    stored = _stored(emulator, created["contact_id"])
    assert {k: v for k, v in stored.items() if k != "sms_channel"} == created
    assert created["email_address"]["address"] == "Jane.Doe@Example.com"
    assert created["email_address"]["permission_to_send"] == "explicit"
    assert created["email_address"]["opt_in_source"] == "Account"
    assert created["create_source"] == "Account"
    assert created["created_at"] == created["updated_at"]
    assert created["list_memberships"] == lists
    assert created["taggings"] == [tag]
    assert created["custom_fields"][0] == {
        "custom_field_id": level["custom_field_id"],
        "value": "Gold",
        "choice_ids": [str(level["choices"][2]["choice_id"])],
    }
    assert created["phone_numbers"][0]["phone_number_id"]
    assert created["notes"][0]["content"] == "Met at the trade show."
    # visible through the normal API, found by email in any case
    found = emulator.api("GET", "/contacts?email=jane.doe@example.com").json()["contacts"]
    assert [c["contact_id"] for c in found] == [created["contact_id"]]


def test_post_duplicate_email_is_409(emulator: EmulatorProcess) -> None:
    first = _new_contact(emulator)
    response = emulator.api(
        "POST",
        "/contacts",
        json={"email_address": {"address": "jane.doe@example.com"}, "create_source": "Contact"},
    )
    assert response.status_code == 409
    assert response.json()[0]["error_key"] == "contacts.api.conflict"
    assert first["contact_id"] in response.json()[0]["error_message"]


def test_post_rejects_unknown_lists_and_bad_custom_values(emulator: EmulatorProcess) -> None:
    response = emulator.api(
        "POST",
        "/contacts",
        json={
            "email_address": {"address": "x@example.com"},
            "create_source": "Account",
            "list_memberships": ["00000000-0000-1000-8000-000000000000"],
        },
    )
    assert response.status_code == 400
    assert "list_memberships" in response.json()[0]["error_message"]
    points = next(f for f in emulator.export("custom_fields") if f["name"] == "Loyalty_Points")
    response = emulator.api(
        "POST",
        "/contacts",
        json={
            "email_address": {"address": "y@example.com"},
            "create_source": "Account",
            "custom_fields": [{"custom_field_id": points["custom_field_id"], "value": "lots"}],
        },
    )
    assert response.status_code == 400
    message = response.json()[0]["error_message"]
    assert "custom_fields[0].value" in message
    assert "Loyalty_Points" in message
    assert emulator.api("GET", "/contacts?email=y@example.com&status=all").json()["contacts"] == []


def test_put_nulls_omitted_fields_but_keeps_omitted_subresources(emulator: EmulatorProcess) -> None:
    lists = _live_list_ids(emulator)
    created = _new_contact(
        emulator,
        list_memberships=lists[:1],
        phone_numbers=[{"phone_number": "555-0100", "kind": "home"}],
        company_name="Acme",
    )
    time.sleep(1.05)  # second-precision timestamps: make the update visible
    response = emulator.api(
        "PUT",
        f"/contacts/{created['contact_id']}",
        json={
            "email_address": {"address": "jane.doe@example.com"},
            "first_name": "Janet",
            "update_source": "Contact",
            "list_memberships": lists[1:3],
        },
    )
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["first_name"] == "Janet"
    for omitted in ("last_name", "job_title", "company_name"):
        assert omitted not in updated
    assert updated["phone_numbers"] == created["phone_numbers"]  # omitted sub-resource: untouched
    assert updated["list_memberships"] == lists[1:3]  # given sub-resource: replaced
    assert updated["update_source"] == "Contact"
    assert updated["updated_at"] > created["updated_at"]
    assert updated["created_at"] == created["created_at"]
    assert updated["email_address"]["address"] == "jane.doe@example.com"
    assert {
        k: v for k, v in _stored(emulator, created["contact_id"]).items() if k != "sms_channel"
    } == updated


def test_put_requires_update_source(emulator: EmulatorProcess) -> None:
    created = _new_contact(emulator)
    response = emulator.api(
        "PUT",
        f"/contacts/{created['contact_id']}",
        json={"email_address": {"address": "jane.doe@example.com"}},
    )
    assert response.status_code == 400
    assert "update_source" in response.json()[0]["error_message"]
    assert (
        emulator.api(
            "PUT",
            "/contacts/00000000-0000-1000-8000-000000000000",
            json={"update_source": "Account"},
        ).status_code
        == 404
    )


def test_put_to_an_email_of_another_contact_is_409(emulator: EmulatorProcess) -> None:
    first = _new_contact(emulator)
    other = emulator.api(
        "POST",
        "/contacts",
        json={"email_address": {"address": "other@example.com"}, "create_source": "Account"},
    ).json()
    response = emulator.api(
        "PUT",
        f"/contacts/{other['contact_id']}",
        json={"email_address": {"address": "JANE.DOE@example.com"}, "update_source": "Account"},
    )
    assert response.status_code == 409
    assert first["contact_id"] in response.json()[0]["error_message"]


def test_delete_is_soft_and_reserves_the_email(emulator: EmulatorProcess) -> None:
    created = _new_contact(emulator, list_memberships=_live_list_ids(emulator)[:2])
    counts_before = {
        lst["list_id"]: lst["membership_count"] for lst in emulator.export("contact_lists")
    }
    time.sleep(1.05)
    assert emulator.api("DELETE", f"/contacts/{created['contact_id']}").status_code == 204
    record = emulator.api(
        "GET", f"/contacts/{created['contact_id']}?include=list_memberships"
    ).json()
    assert record["deleted_at"] == time.strftime("%Y-%m-%d", time.gmtime())
    assert record["list_memberships"] == []
    assert (
        record["email_address"]["permission_to_send"] == "explicit"
    )  # deleted is not unsubscribed
    assert record["updated_at"] > created["updated_at"]  # --delete-touches-updated-at (default)
    default = emulator.api("GET", "/contacts?email=jane.doe@example.com").json()["contacts"]
    assert default == []
    deleted = emulator.api("GET", "/contacts?email=jane.doe@example.com&status=deleted").json()[
        "contacts"
    ]
    assert [c["contact_id"] for c in deleted] == [created["contact_id"]]
    again = emulator.api(
        "POST",
        "/contacts",
        json={"email_address": {"address": "jane.doe@example.com"}, "create_source": "Account"},
    )
    assert again.status_code == 409
    counts_after = {
        lst["list_id"]: lst["membership_count"] for lst in emulator.export("contact_lists")
    }
    for list_id, count in counts_before.items():
        expected = count - 1 if list_id in created["list_memberships"] else count
        assert counts_after[list_id] == expected


def test_delete_can_leave_updated_at_alone(emulator_factory) -> None:
    emu = emulator_factory(contacts=20, campaigns=0, delete_touches_updated_at=False)
    contact = next(c for c in emu.export("contacts") if "deleted_at" not in c)
    assert emu.api("DELETE", f"/contacts/{contact['contact_id']}").status_code == 204
    record = emu.api("GET", f"/contacts/{contact['contact_id']}").json()
    assert "deleted_at" in record
    assert record["updated_at"] == contact["updated_at"]


def test_revive_needs_update_source_account(emulator: EmulatorProcess) -> None:
    created = _new_contact(emulator)
    emulator.api("DELETE", f"/contacts/{created['contact_id']}")
    body = {"email_address": {"address": "jane.doe@example.com"}, "first_name": "Jane"}
    refused = emulator.api(
        "PUT", f"/contacts/{created['contact_id']}", json={**body, "update_source": "Contact"}
    )
    assert refused.status_code == 400
    assert "update_source" in refused.json()[0]["error_message"]
    lists = _live_list_ids(emulator)[:1]
    revived = emulator.api(
        "PUT",
        f"/contacts/{created['contact_id']}",
        json={**body, "update_source": "Account", "list_memberships": lists},
    )
    assert revived.status_code == 200
    assert "deleted_at" not in revived.json()
    assert revived.json()["list_memberships"] == lists
    listed = emulator.api("GET", "/contacts?email=jane.doe@example.com").json()["contacts"]
    assert [c["contact_id"] for c in listed] == [created["contact_id"]]


def test_sign_up_form_creates_then_updates_partially(emulator: EmulatorProcess) -> None:
    lists = _live_list_ids(emulator)
    created = emulator.api(
        "POST",
        "/contacts/sign_up_form",
        json={
            "email_address": "sam@example.com",
            "first_name": "Sam",
            "last_name": "Lee",
            "list_memberships": lists[:1],
            "phone_number": "555-0101",
            "street_address": {"kind": "home", "city": "Austin", "state": "TX"},
        },
    )
    assert created.status_code == 201
    assert created.json()["action"] == "created"
    contact_id = created.json()["contact_id"]
    stored = _stored(emulator, contact_id)
    assert stored["email_address"]["permission_to_send"] == "explicit"
    assert stored["email_address"]["opt_in_source"] == "Contact"
    assert stored["create_source"] == "Contact"
    assert stored["phone_numbers"][0]["phone_number"] == "555-0101"
    updated = emulator.api(
        "POST",
        "/contacts/sign_up_form",
        json={
            "email_address": "SAM@example.com",
            "job_title": "Chef",
            "list_memberships": lists[1:2],
        },
    )
    assert updated.status_code == 200
    assert updated.json() == {"contact_id": contact_id, "action": "updated"}
    after = _stored(emulator, contact_id)
    assert after["first_name"] == "Sam"  # not sent: unchanged
    assert after["last_name"] == "Lee"
    assert after["job_title"] == "Chef"
    assert after["list_memberships"] == lists[:2]  # appended
    assert after["email_address"]["address"] == "sam@example.com"


def test_sign_up_form_requires_lists_and_revives(emulator: EmulatorProcess) -> None:
    missing = emulator.api(
        "POST", "/contacts/sign_up_form", json={"email_address": "z@example.com"}
    )
    assert missing.status_code == 400
    assert "list_memberships" in missing.json()[0]["error_message"]
    deleted = next(c for c in emulator.export("contacts") if "deleted_at" in c)
    lists = _live_list_ids(emulator)[:1]
    response = emulator.api(
        "POST",
        "/contacts/sign_up_form",
        json={"email_address": deleted["email_address"]["address"], "list_memberships": lists},
    )
    assert response.status_code == 200
    after = _stored(emulator, deleted["contact_id"])
    assert "deleted_at" not in after
    assert after["list_memberships"] == lists


def test_unsubscribe_moves_email_timestamps_but_not_updated_at(emulator: EmulatorProcess) -> None:
    before = {c["contact_id"]: c for c in emulator.export("contacts")}
    ids = emulator.actions(unsubscribe=3)["unsubscribed"]
    assert len(ids) == 3
    for contact_id in ids:
        old = before[contact_id]
        new = emulator.api("GET", f"/contacts/{contact_id}?include=list_memberships").json()
        assert new["updated_at"] == old["updated_at"]
        assert new["email_address"]["permission_to_send"] == "unsubscribed"
        assert new["email_address"]["opt_out_source"] == "Contact"
        assert new["email_address"]["updated_at"] > old["email_address"]["updated_at"]
        assert new["email_address"]["opt_out_date"] == new["email_address"]["updated_at"]
        assert new["list_memberships"] == []
    # an updated_after sync misses them; an optout_after pass finds them
    since = min(
        emulator.api("GET", f"/contacts/{i}").json()["email_address"]["opt_out_date"] for i in ids
    )
    updated = {
        c["contact_id"]
        for c in emulator.api("GET", f"/contacts?updated_after={since}&limit=500").json()[
            "contacts"
        ]
    }
    assert updated.isdisjoint(ids)
    opted = {
        c["contact_id"]
        for c in emulator.api("GET", f"/contacts?optout_after={since}&limit=500").json()["contacts"]
    }
    assert set(ids) <= opted


def test_unsubscribed_contact_is_not_re_added_to_lists_by_put(emulator: EmulatorProcess) -> None:
    contact_id = emulator.actions(unsubscribe=1)["unsubscribed"][0]
    stored = _stored(emulator, contact_id)
    lists = _live_list_ids(emulator)[:1]
    response = emulator.api(
        "PUT",
        f"/contacts/{contact_id}",
        json={
            "email_address": {"address": stored["email_address"]["address"]},
            "update_source": "Account",
            "list_memberships": lists,
        },
    )
    assert response.status_code == 200
    assert response.json()["list_memberships"] == []
    assert response.json()["email_address"]["permission_to_send"] == "unsubscribed"
