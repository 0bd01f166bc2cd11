"""contact_exports and the CSV download, compared with the stored contacts record by record."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from activities_harness import active, fast, live_lists, run, submit, wait_for

from constantcontact_emulator.testing import EmulatorProcess

DOCUMENTED = [
    "email_address",
    "first_name",
    "last_name",
    "company_name",
    "job_title",
    "phone_number",
    "street",
    "city",
    "state",
    "zip",
    "country",
    "anniversary",
    "birthday",
    "birthday_month",
    "birthday_day",
    "email_lists",
    "source_name",
    "created_at",
    "updated_at",
    "email_optin_source",
    "email_optin_date",
    "email_optout_source",
    "email_optout_date",
    "email_optout_reason",
]
UNKNOWN = "00000000-0000-1000-8000-000000000000"


@pytest.fixture(autouse=True)
def fresh(emulator: EmulatorProcess) -> None:
    fast(emulator)


def _download(emu: EmulatorProcess, activity: dict[str, Any]) -> list[dict[str, str]]:
    response = emu.api("GET", activity["_links"]["results"]["href"])
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def _expected_row(
    contact: dict[str, Any],
    lists: dict[str, str],
    tags: dict[str, str],
    fields: dict[str, str],
) -> dict[str, str]:
    """The CSV row of a stored contact, built independently of the emulator's code."""
    email = contact.get("email_address", {})
    address = contact["street_addresses"][0] if contact["street_addresses"] else {}
    month, day = contact.get("birthday_month"), contact.get("birthday_day")
    row = {
        "email_address": email.get("address", ""),
        "first_name": contact.get("first_name", ""),
        "last_name": contact.get("last_name", ""),
        "company_name": contact.get("company_name", ""),
        "job_title": contact.get("job_title", ""),
        "phone_number": (
            contact["phone_numbers"][0]["phone_number"] if contact["phone_numbers"] else ""
        ),
        "street": address.get("street", ""),
        "city": address.get("city", ""),
        "state": address.get("state", ""),
        "zip": address.get("postal_code", ""),
        "country": address.get("country", ""),
        "anniversary": contact.get("anniversary", ""),
        "birthday": f"{month:02d}/{day:02d}" if month else "",
        "birthday_month": str(month or ""),
        "birthday_day": str(day or ""),
        "email_lists": ", ".join(lists[i] for i in contact["list_memberships"]),
        "source_name": contact["create_source"],
        "created_at": contact["created_at"],
        "updated_at": contact["updated_at"],
        "email_optin_source": email.get("opt_in_source", ""),
        "email_optin_date": email.get("opt_in_date", ""),
        "email_optout_source": email.get("opt_out_source", ""),
        "email_optout_date": email.get("opt_out_date", ""),
        "email_optout_reason": email.get("opt_out_reason", ""),
        "contact_id": contact["contact_id"],
        "tags": ", ".join(tags[i] for i in contact["taggings"]),
    }
    values = {v["custom_field_id"]: v["value"] for v in contact["custom_fields"]}
    for field_id, name in fields.items():
        row[f"cf:{name}"] = values.get(field_id, "")
    return row


def _expect(
    emu: EmulatorProcess, contacts: list[dict[str, Any]], columns: list[str]
) -> list[dict[str, str]]:
    lists = {lst["list_id"]: lst["name"] for lst in emu.export("contact_lists")}
    tags = {t["tag_id"]: t["name"] for t in emu.export("contact_tags")}
    fields = {f["custom_field_id"]: f["name"] for f in emu.export("custom_fields")}
    rows = [_expected_row(c, lists, tags, fields) for c in contacts]
    return [{k: row[k] for k in columns} for row in rows]


def test_export_everything_with_the_default_fields(emulator: EmulatorProcess) -> None:
    contacts = [c for c in emulator.export("contacts") if "deleted_at" not in c]
    activity = run(emulator, "contact_exports", {})
    assert activity["state"] == "completed"
    assert activity["status"] == {
        "items_total_count": len(contacts),
        "items_completed_count": len(contacts),
    }
    href = activity["_links"]["results"]["href"]
    assert href == f"/v3/contact_exports/{activity['activity_id']}"
    rows = _download(emulator, activity)
    custom = [f"cf:{f['name']}" for f in emulator.export("custom_fields")]
    columns = [*DOCUMENTED, *custom]
    assert list(rows[0]) == columns
    assert rows == _expect(emulator, contacts, columns)


@pytest.mark.parametrize(
    ("name", "body", "wanted"),
    [
        (
            "status unsubscribed",
            {"status": "unsubscribed"},
            lambda c, x: (
                "deleted_at" not in c and c["email_address"]["permission_to_send"] == "unsubscribed"
            ),
        ),
        ("status active", {"status": "active"}, lambda c, x: active(c)),
        ("status removed", {"status": "removed"}, lambda c, x: "deleted_at" in c),
        ("status deleted", {"status": "deleted"}, lambda c, x: "deleted_at" in c),
        ("a list", {"list_ids": ["LIST"]}, lambda c, x: x["list"] in c["list_memberships"]),
        (
            "a list, active",
            {"list_ids": ["LIST"], "status": "active"},
            lambda c, x: x["list"] in c["list_memberships"] and active(c),
        ),
        (
            "a list minus exclude",
            {"list_ids": ["LIST"], "exclude": {"contact_ids": "EXCLUDE"}},
            lambda c, x: x["list"] in c["list_memberships"] and c["contact_id"] not in x["exclude"],
        ),
        (
            "a tag",
            {"tag_ids": ["TAG"]},
            lambda c, x: x["tag"] in c["taggings"] and "deleted_at" not in c,
        ),
        ("contact ids", {"contact_ids": "SOME"}, lambda c, x: c["contact_id"] in x["some"]),
        (
            "contact ids, unsubscribed",
            {"contact_ids": "SOME", "status": "unsubscribed"},
            lambda c, x: (
                c["contact_id"] in x["some"]
                and c["email_address"]["permission_to_send"] == "unsubscribed"
                and "deleted_at" not in c
            ),
        ),
    ],
)
def test_export_filters(
    emulator: EmulatorProcess, name: str, body: dict[str, Any], wanted: Any
) -> None:
    contacts = emulator.export("contacts")
    list_id = live_lists(emulator)[0]
    members = [c["contact_id"] for c in contacts if list_id in c["list_memberships"]]
    unsubscribed = [
        c["contact_id"]
        for c in contacts
        if c["email_address"]["permission_to_send"] == "unsubscribed"
    ]
    facts = {
        "list": list_id,
        "exclude": members[:3],
        "tag": emulator.export("contact_tags")[0]["tag_id"],
        "some": [*unsubscribed[:2], *[c["contact_id"] for c in contacts if active(c)][:3]],
    }
    substitutes = {
        "LIST": [list_id],
        "TAG": [facts["tag"]],
        "EXCLUDE": facts["exclude"],
        "SOME": facts["some"],
    }

    def swap(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [x for v in value for x in substitutes.get(v, [v])]
        return substitutes.get(value, value) if isinstance(value, str) else value

    columns = ["contact_id", "email_address", "email_lists", "tags"]
    activity = run(emulator, "contact_exports", {**swap(body), "fields": columns})
    expected = [c for c in contacts if wanted(c, facts)]
    assert expected, name
    rows = _download(emulator, activity)
    if "contact_ids" in body:  # exported in the order asked for
        order = {cid: i for i, cid in enumerate(facts["some"])}
        expected.sort(key=lambda c: order[c["contact_id"]])
    assert rows == _expect(emulator, expected, columns)
    assert activity["status"]["items_total_count"] == len(expected)


def test_export_a_segment_and_new_subscribers(emulator: EmulatorProcess) -> None:
    segment_id = next(s["segment_id"] for s in emulator.export("segments") if "deleted_at" not in s)
    in_segment: list[str] = []
    page = emulator.api("GET", f"/contacts?segment_id={segment_id}&limit=500").json()
    in_segment += [c["contact_id"] for c in page["contacts"]]
    while "next" in page.get("_links", {}):
        page = emulator.api("GET", page["_links"]["next"]["href"]).json()
        in_segment += [c["contact_id"] for c in page["contacts"]]
    activity = run(
        emulator, "contact_exports", {"segment_id": segment_id, "fields": ["contact_id"]}
    )
    assert [r["contact_id"] for r in _download(emulator, activity)] == in_segment

    joined = emulator.api(
        "POST",
        "/contacts/sign_up_form",
        json={
            "email_address": "joined.today@example.com",
            "list_memberships": live_lists(emulator)[:1],
        },
    ).json()
    activity = run(
        emulator,
        "contact_exports",
        {"new_subscriber": True, "fields": ["contact_id", "email_address"]},
    )
    rows = _download(emulator, activity)
    counts = emulator.api("GET", "/contacts/counts?include=new_subscriber").json()
    assert len(rows) == counts["new_subscriber"]
    assert {"contact_id": joined["contact_id"], "email_address": "joined.today@example.com"} in rows


def test_custom_field_columns_and_unknown_ids(emulator: EmulatorProcess) -> None:
    contact = next(c for c in emulator.export("contacts") if active(c) and c["custom_fields"])
    fields = {f["custom_field_id"]: f["name"] for f in emulator.export("custom_fields")}
    field_id = contact["custom_fields"][0]["custom_field_id"]
    column = f"cf:{fields[field_id]}"
    activity = run(
        emulator,
        "contact_exports",
        {"contact_ids": [contact["contact_id"], UNKNOWN], "fields": ["email_address", column]},
    )
    assert activity["activity_errors"] == [f"Contact {UNKNOWN} was not found"]
    assert _download(emulator, activity) == [
        {
            "email_address": contact["email_address"]["address"],
            column: contact["custom_fields"][0]["value"],
        }
    ]


def test_the_file_is_there_only_once_the_export_completed(emulator: EmulatorProcess) -> None:
    emulator.faults(activity_seconds=600)
    activity = submit(emulator, "contact_exports", {"fields": ["email_address"]})
    assert "results" not in activity["_links"]
    early = emulator.api("GET", f"/contact_exports/{activity['activity_id']}")
    assert early.status_code == 404
    assert "not ready" in early.json()[0]["error_message"]
    # the export reads the contacts when it runs, not when it was asked for
    emulator.api(
        "POST",
        "/contacts",
        json={"email_address": {"address": "after.ask@example.com"}, "create_source": "Account"},
    )
    emulator.faults(activity_seconds=0)
    done = wait_for(emulator, activity["activity_id"])
    assert "after.ask@example.com" in {r["email_address"] for r in _download(emulator, done)}
    missing = emulator.api("GET", f"/contact_exports/{UNKNOWN}")
    assert missing.status_code == 404
    assert missing.json()[0]["error_key"] == "contacts.api.not_found"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"contact_ids": ["CONTACT"], "list_ids": ["LIST"]}, "cannot be combined"),
        ({"tag_ids": ["TAG"], "status": "active"}, "cannot be combined"),
        ({"segment_id": 1, "list_ids": ["LIST"]}, "cannot be combined"),
        (
            {"contact_ids": ["CONTACT"], "exclude": {"contact_ids": ["CONTACT"]}},
            "cannot be combined",
        ),
        ({"status": "gone"}, "'status'"),
        ({"fields": ["email_address", "shoe_size"]}, "unknown field 'shoe_size'"),
        ({"fields": ["first_name", "email_optout_date"]}, "export email_address"),
        ({"fields": ["cf:Shoe_Size"]}, "custom field 'Shoe_Size' does not exist"),
        ({"fields": []}, "'fields'"),
        ({"contact_ids": ["x"] * 501}, "at most 500"),
        ({"list_ids": [UNKNOWN]}, "does not exist"),
        ({"tag_ids": [UNKNOWN]}, "does not exist"),
        ({"segment_id": 9999}, "segment 9999 does not exist"),
        ({"list_ids": ["LIST"], "exclude": {"contact_ids": [UNKNOWN] * 51}}, "at most 50"),
    ],
)
def test_export_request_errors(emulator: EmulatorProcess, body: dict[str, Any], named: str) -> None:
    replace = {
        "CONTACT": emulator.export("contacts")[0]["contact_id"],
        "LIST": live_lists(emulator)[0],
        "TAG": emulator.export("contact_tags")[0]["tag_id"],
    }

    def swap(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return replace.get(value, value) if isinstance(value, str) else value

    response = emulator.api("POST", "/activities/contact_exports", json=swap(body))
    assert response.status_code == 400, response.text
    assert named in response.json()[0]["error_message"]


def test_an_export_of_a_deleted_segment_fails(emulator: EmulatorProcess) -> None:
    segment_id = next(s["segment_id"] for s in emulator.export("segments") if "deleted_at" not in s)
    emulator.faults(activity_seconds=600)
    activity = submit(emulator, "contact_exports", {"segment_id": segment_id})
    assert emulator.api("DELETE", f"/segments/{segment_id}").status_code == 204
    emulator.faults(activity_seconds=0)
    ended = wait_for(emulator, activity["activity_id"])
    assert ended["state"] == "failed"
    assert ended["activity_errors"] == [f"The export failed: segment {segment_id} was deleted."]
    assert "results" not in ended["_links"]
    assert emulator.api("GET", f"/contact_exports/{activity['activity_id']}").status_code == 404
