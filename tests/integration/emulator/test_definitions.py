"""Lists, tags, custom fields, segments and the account."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.paging import collect

from constantcontact_emulator.testing import EmulatorProcess


@pytest.fixture(autouse=True)
def fresh(emulator: EmulatorProcess) -> None:
    emulator.reset()


def _contacts(emu: EmulatorProcess) -> list[dict[str, Any]]:
    return emu.export("contacts")


# --- lists ---------------------------------------------------------------------------------------


def test_lists_hide_deleted_unless_asked(emulator: EmulatorProcess) -> None:
    stored = emulator.export("contact_lists")
    deleted = [lst["list_id"] for lst in stored if "deleted_at" in lst]
    assert deleted, "the seed keeps one deleted list"
    active, _ = collect(emulator, "/contact_lists", "lists")
    assert [lst["list_id"] for lst in active] == [
        lst["list_id"] for lst in stored if "deleted_at" not in lst
    ]
    everything, _ = collect(emulator, "/contact_lists?status=all", "lists")
    assert [lst["list_id"] for lst in everything] == [lst["list_id"] for lst in stored]
    only_deleted, _ = collect(emulator, "/contact_lists?status=deleted", "lists")
    assert [lst["list_id"] for lst in only_deleted] == deleted
    assert all("deleted_at" in lst for lst in only_deleted)


def test_list_membership_counts(emulator: EmulatorProcess) -> None:
    contacts = _contacts(emulator)
    body = emulator.api(
        "GET", "/contact_lists?include_membership_count=all&include_count=true"
    ).json()
    assert body["lists_count"] == len(body["lists"])
    for lst in body["lists"]:
        members = [c for c in contacts if lst["list_id"] in c["list_memberships"]]
        assert lst["membership_count"] == len(members)
    active = emulator.api("GET", "/contact_lists?include_membership_count=active").json()["lists"]
    for lst in active:
        subscribed = [
            c
            for c in contacts
            if lst["list_id"] in c["list_memberships"]
            and c["email_address"]["permission_to_send"] in ("explicit", "implicit")
        ]
        assert lst["membership_count"] == len(subscribed)
    assert "membership_count" not in emulator.api("GET", "/contact_lists").json()["lists"][0]


def test_list_crud(emulator: EmulatorProcess) -> None:
    created = emulator.api(
        "POST",
        "/contact_lists",
        json={"name": "Board members", "favorite": True, "description": "Quarterly mailing"},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["name"] == "Board members"
    assert body["favorite"] is True
    list_id = body["list_id"]
    by_name = emulator.api("GET", "/contact_lists?name=Board%20members").json()["lists"]
    assert [lst["list_id"] for lst in by_name] == [list_id]
    renamed = emulator.api("PUT", f"/contact_lists/{list_id}", json={"name": "Board"})
    assert renamed.status_code == 200
    assert renamed.json()["favorite"] is False  # PUT: omitted favorite is back to its default
    assert emulator.api("GET", f"/contact_lists/{list_id}").json()["name"] == "Board"
    assert emulator.api("POST", "/contact_lists", json={"favorite": True}).status_code == 400
    assert (
        emulator.api("GET", "/contact_lists/00000000-0000-1000-8000-000000000000").status_code
        == 404
    )


def test_list_delete_is_202_with_an_activity_and_removes_memberships(
    emulator: EmulatorProcess,
) -> None:
    contacts = _contacts(emulator)
    list_id = next(
        lst["list_id"] for lst in emulator.export("contact_lists") if "deleted_at" not in lst
    )
    members = [c["contact_id"] for c in contacts if list_id in c["list_memberships"]]
    assert members
    response = emulator.api("DELETE", f"/contact_lists/{list_id}")
    assert response.status_code == 202
    body = response.json()
    assert body["activity_id"]
    assert body["_links"]["self"]["href"] == f"/v3/activities/{body['activity_id']}"
    assert response.headers["Location"] == body["_links"]["self"]["href"]
    stored = next(lst for lst in emulator.export("contact_lists") if lst["list_id"] == list_id)
    assert "deleted_at" in stored
    after = {c["contact_id"]: c for c in _contacts(emulator)}
    assert all(list_id not in after[cid]["list_memberships"] for cid in members)
    assert emulator.api("GET", f"/contact_lists/{list_id}").json()["deleted_at"]
    assert emulator.api("DELETE", f"/contact_lists/{list_id}").status_code == 404


# --- tags ----------------------------------------------------------------------------------------


def test_tags_with_counts(emulator: EmulatorProcess) -> None:
    contacts = _contacts(emulator)
    tags = emulator.api("GET", "/contact_tags?include_count=true").json()["tags"]
    assert [t["tag_id"] for t in tags] == [t["tag_id"] for t in emulator.export("contact_tags")]
    for tag in tags:
        assert tag["contacts_count"] == sum(
            1 for c in contacts if tag["tag_id"] in c["taggings"] and "deleted_at" not in c
        )
    one = emulator.api("GET", f"/contact_tags/{tags[0]['tag_id']}?include_count=true").json()
    assert one["contacts_count"] == tags[0]["contacts_count"]
    assert "contacts_count" not in emulator.api("GET", "/contact_tags").json()["tags"][0]


def test_tag_crud_and_delete_removes_taggings(emulator: EmulatorProcess) -> None:
    created = emulator.api("POST", "/contact_tags", json={"name": "Donor", "tag_source": "ETSY"})
    assert created.status_code == 201
    tag_id = created.json()["tag_id"]
    assert created.json()["tag_source"] == "ETSY"
    assert (
        emulator.api("PUT", f"/contact_tags/{tag_id}", json={"name": "Major donor"}).json()["name"]
        == "Major donor"
    )
    seeded = emulator.export("contact_tags")[0]["tag_id"]
    tagged = [c["contact_id"] for c in _contacts(emulator) if seeded in c["taggings"]]
    response = emulator.api("DELETE", f"/contact_tags/{seeded}")
    assert response.status_code == 202
    assert response.json()["status"]["items_total_count"] == len(tagged)
    assert emulator.api("GET", f"/contact_tags/{seeded}").status_code == 404
    after = {c["contact_id"]: c for c in _contacts(emulator)}
    assert all(seeded not in after[cid]["taggings"] for cid in tagged)
    assert emulator.api("POST", "/contact_tags", json={"name": ""}).status_code == 400


# --- custom fields -------------------------------------------------------------------------------


def test_seeded_custom_fields_cover_the_types(emulator: EmulatorProcess) -> None:
    fields = emulator.api("GET", "/contact_custom_fields").json()["custom_fields"]
    assert {f["type"] for f in fields} >= {
        "string",
        "number",
        "currency",
        "date",
        "single_select",
        "multi_select",
    }
    for field in fields:
        assert field["name"] == field["label"].replace(" ", "_")
    select = next(f for f in fields if f["type"] == "single_select")
    assert select["choices"]
    assert all({"choice_id", "choice_label", "display_order"} <= set(c) for c in select["choices"])


def test_custom_field_crud_and_put_nulls_omitted(emulator: EmulatorProcess) -> None:
    created = emulator.api(
        "POST",
        "/contact_custom_fields",
        json={
            "label": "Favorite color",
            "type": "single_select",
            "metadata": {"display_type": "radio"},
            "choices": [
                {"choice_label": "Red", "display_order": 1},
                {"choice_label": "Blue", "display_order": 2},
            ],
        },
    )
    assert created.status_code == 201, created.text
    field = created.json()
    assert field["name"] == "Favorite_color"
    assert [c["choice_label"] for c in field["choices"]] == ["Red", "Blue"]
    field_id = field["custom_field_id"]
    red = field["choices"][0]["choice_id"]
    updated = emulator.api(
        "PUT",
        f"/contact_custom_fields/{field_id}",
        json={
            "label": "Favourite colour",
            "choices": [{"choice_id": red, "choice_label": "Crimson"}, {"choice_label": "Green"}],
        },
    )
    assert updated.status_code == 200, updated.text
    body = updated.json()
    assert body["name"] == "Favourite_colour"
    assert "metadata" not in body  # omitted by the PUT: null
    assert next((c["choice_id"], c["choice_label"]) for c in body["choices"]) == (red, "Crimson")
    assert len(body["choices"]) == 2
    assert emulator.api("GET", f"/contact_custom_fields/{field_id}").json() == body
    assert (
        emulator.api(
            "PUT", f"/contact_custom_fields/{field_id}", json={"label": "No choices"}
        ).status_code
        == 400
    )


def test_custom_field_validation_and_limit(emulator: EmulatorProcess) -> None:
    assert (
        emulator.api(
            "POST", "/contact_custom_fields", json={"label": "X", "type": "blob"}
        ).status_code
        == 400
    )
    assert (
        emulator.api(
            "POST", "/contact_custom_fields", json={"label": "Y", "type": "single_select"}
        ).status_code
        == 400
    )
    existing = len(emulator.export("custom_fields"))
    for index in range(100 - existing):
        response = emulator.api(
            "POST", "/contact_custom_fields", json={"label": f"Field {index}", "type": "string"}
        )
        assert response.status_code == 201
    over = emulator.api(
        "POST", "/contact_custom_fields", json={"label": "One too many", "type": "string"}
    )
    assert over.status_code == 400
    assert "100" in over.json()[0]["error_message"]


def test_custom_field_delete_removes_values(emulator: EmulatorProcess) -> None:
    field = emulator.export("custom_fields")[0]
    holders = [
        c["contact_id"]
        for c in _contacts(emulator)
        if any(v["custom_field_id"] == field["custom_field_id"] for v in c["custom_fields"])
    ]
    assert holders
    assert (
        emulator.api("DELETE", f"/contact_custom_fields/{field['custom_field_id']}").status_code
        == 204
    )
    after = {c["contact_id"]: c for c in _contacts(emulator)}
    for contact_id in holders:
        assert all(
            v["custom_field_id"] != field["custom_field_id"]
            for v in after[contact_id]["custom_fields"]
        )
    assert (
        emulator.api("GET", f"/contact_custom_fields/{field['custom_field_id']}").status_code == 404
    )


# --- segments ------------------------------------------------------------------------------------


def test_segments_sorting_and_deleted(emulator: EmulatorProcess) -> None:
    stored = emulator.export("segments")
    live = [s for s in stored if "deleted_at" not in s]
    by_date = emulator.api("GET", "/segments").json()["segments"]
    assert [s["segment_id"] for s in by_date] == [
        s["segment_id"] for s in sorted(live, key=lambda s: s["edited_at"], reverse=True)
    ]
    assert all("segment_criteria" not in s for s in by_date)
    deleted = next(s for s in stored if "deleted_at" in s)
    assert deleted["segment_id"] not in {s["segment_id"] for s in by_date}
    detail = emulator.api("GET", f"/segments/{deleted['segment_id']}").json()
    assert detail["name"] == deleted["name"]
    json.loads(detail["segment_criteria"])


def test_segment_crud(emulator: EmulatorProcess) -> None:
    list_id = next(
        lst["list_id"] for lst in emulator.export("contact_lists") if "deleted_at" not in lst
    )
    criteria = json.dumps(
        {
            "version": "1.0.0",
            "criteria": {
                "type": "or",
                "group": [
                    {
                        "source": "list_membership",
                        "field": "list_membership",
                        "op": "contains-any",
                        "const_value": [list_id],
                    }
                ],
            },
        }
    )
    created = emulator.api(
        "POST", "/segments", json={"name": "List one", "segment_criteria": criteria}
    )
    assert created.status_code == 201
    segment_id = created.json()["segment_id"]
    assert isinstance(segment_id, int)
    members = [
        c["contact_id"] for c in emulator.export("contacts") if list_id in c["list_memberships"]
    ]
    found, _ = collect(emulator, f"/contacts?segment_id={segment_id}&limit=500", "contacts")
    assert [c["contact_id"] for c in found] == members
    assert (
        emulator.api(
            "POST", "/segments", json={"name": "List one", "segment_criteria": criteria}
        ).status_code
        == 409
    )
    assert (
        emulator.api(
            "POST", "/segments", json={"name": "Bad", "segment_criteria": "{not json"}
        ).status_code
        == 400
    )
    renamed = emulator.api("PATCH", f"/segments/{segment_id}/name", json={"name": "List 1"})
    assert renamed.json()["name"] == "List 1"
    assert emulator.api("DELETE", f"/segments/{segment_id}").status_code == 204
    assert segment_id not in {
        s["segment_id"] for s in emulator.api("GET", "/segments").json()["segments"]
    }
    assert emulator.api("GET", f"/segments/{segment_id}").status_code == 200
    assert emulator.api("GET", "/segments/abc").status_code == 400


# --- account -------------------------------------------------------------------------------------


def test_account_summary_and_privileges(emulator: EmulatorProcess) -> None:
    summary = emulator.api("GET", "/account/summary").json()
    assert summary["encoded_account_id"]
    assert "physical_address" not in summary
    extra = emulator.api(
        "GET", "/account/summary?extra_fields=physical_address,company_logo"
    ).json()
    assert extra["physical_address"]["address_line1"]
    assert extra["company_logo"]["url"].startswith("https://")
    privileges = emulator.api("GET", "/account/user/privileges").json()
    assert {"privilege_id", "privilege_name"} <= set(privileges[0])
    assert "contacts:read" in {p["privilege_name"] for p in privileges}
    updated = emulator.api(
        "PUT", "/account/summary", json={"website": "https://example.org"}
    ).json()
    assert updated["website"] == "https://example.org"
    assert updated["organization_name"] == summary["organization_name"]  # partial update
