"""contacts_json_import and contacts_file_import against a live emulator, compared with the
stored contacts record by record."""

from __future__ import annotations

import json
from typing import Any

import pytest
from activities_harness import (
    by_email,
    fast,
    live_lists,
    run,
    stored_contacts,
    submit,
    wait_for,
)

from constantcontact_emulator.testing import EmulatorProcess

FOUR_MB = 4 * 1024 * 1024


@pytest.fixture(autouse=True)
def fresh(emulator: EmulatorProcess) -> None:
    fast(emulator)


def _fields(emu: EmulatorProcess) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in emu.export("custom_fields")}


def _seeded(emu: EmulatorProcess, predicate: Any) -> dict[str, Any]:
    return next(c for c in emu.export("contacts") if "email_address" in c and predicate(c))


def _values(contact: dict[str, Any]) -> dict[str, str]:
    return {v["custom_field_id"]: v["value"] for v in contact["custom_fields"]}


def test_import_upserts_by_email_and_changes_only_what_it_is_given(
    emulator: EmulatorProcess,
) -> None:
    fields = _fields(emulator)
    lists = live_lists(emulator)
    existing = _seeded(
        emulator,
        lambda c: (
            "deleted_at" not in c
            and c["email_address"]["permission_to_send"] == "implicit"
            and c.get("last_name")
            and any(a["kind"] == "home" and a.get("street") for a in c["street_addresses"])
            and any(p["kind"] == "home" for p in c["phone_numbers"])
            and c["custom_fields"]
            and len(c["list_memberships"]) == 1
        ),
    )
    new_list = next(lst for lst in lists if lst not in existing["list_memberships"])
    email = existing["email_address"]["address"]
    snapshot = stored_contacts(emulator)
    activity = run(
        emulator,
        "contacts_json_import",
        {
            "import_data": [
                {
                    "email": email.upper(),
                    "first_name": "Changed",
                    "last_name": "",  # empty: not given, the import cannot blank
                    "job_title": None,
                    "home_city": "Newtown",
                    "mobile_phone": "555-0111",
                    "cf:Referral_Code": "NEW-CODE",
                },
                {
                    "email": "New.Person@Example.com",
                    "first_name": "New",
                    "last_name": "Person",
                    "job_title": "Buyer",
                    "company_name": "Acme",
                    "birthday_month": 2,
                    "birthday_day": 29,
                    "anniversary": "2010-06-15",
                    "phone": "555-0100",
                    "work_phone": "555-0101",
                    "street": "1 Main St",
                    "street2": "Suite 5",
                    "city": "Boston",
                    "state": "MA",
                    "zip": "02110",
                    "home country": "United States",
                    "work_street": "2 Office Rd",
                    "work_city": "Cambridge",
                    "other_zip": "99999",
                    "cf:Loyalty_Points": 42,
                    "cf:Interests": "Skiing,Music",
                    "cf:Renewal_Date": "03/04/2027",
                },
            ],
            "list_ids": [new_list],
        },
    )
    assert activity["state"] == "completed"
    assert activity["activity_errors"] == []
    assert activity["status"] == {
        "items_total_count": 2,
        "items_completed_count": 2,
        "person_count": 2,
        "error_count": 0,
        "correctable_count": 0,
        "cannot_add_to_list_count": 0,
        "list_count": 1,
    }
    after = stored_contacts(emulator)
    updated = after[existing["contact_id"]]
    # changed: only what the row gave
    assert updated["first_name"] == "Changed"
    assert updated["update_source"] == "Account"
    assert updated["updated_at"] >= existing["updated_at"]
    untouched = (
        "last_name",
        "job_title",
        "company_name",
        "birthday_month",
        "birthday_day",
        "anniversary",
        "create_source",
        "created_at",
        "notes",
        "taggings",
    )
    assert {k: updated.get(k) for k in untouched} == {k: existing.get(k) for k in untouched}
    assert updated["email_address"]["address"] == email
    assert updated["email_address"]["permission_to_send"] == "implicit"
    assert updated["list_memberships"] == [*existing["list_memberships"], new_list]
    old_home = next(a for a in existing["street_addresses"] if a["kind"] == "home")
    new_home = next(a for a in updated["street_addresses"] if a["kind"] == "home")
    assert new_home["city"] == "Newtown"
    assert {k: new_home.get(k) for k in ("street", "state", "postal_code", "country")} == {
        k: old_home.get(k) for k in ("street", "state", "postal_code", "country")
    }
    phones = {p["kind"]: p["phone_number"] for p in updated["phone_numbers"]}
    old_phones = {p["kind"]: p["phone_number"] for p in existing["phone_numbers"]}
    assert phones == {**old_phones, "mobile": "555-0111"}
    referral = fields["Referral_Code"]["custom_field_id"]
    assert _values(updated) == {**_values(existing), referral: "NEW-CODE"}

    created = by_email(emulator)["new.person@example.com"]
    assert created["email_address"]["address"] == "New.Person@Example.com"
    assert created["email_address"]["permission_to_send"] == "implicit"
    assert created["email_address"]["opt_in_source"] == "Account"
    assert created["create_source"] == "Account"
    assert created["list_memberships"] == [new_list]
    assert {
        k: created.get(k) for k in ("first_name", "last_name", "job_title", "company_name")
    } == {
        "first_name": "New",
        "last_name": "Person",
        "job_title": "Buyer",
        "company_name": "Acme",
    }
    assert (created["birthday_month"], created["birthday_day"]) == (2, 29)
    assert created["anniversary"] == "2010-06-15"
    assert {p["kind"]: p["phone_number"] for p in created["phone_numbers"]} == {
        "other": "555-0100",
        "work": "555-0101",
    }
    addresses = {
        a["kind"]: {
            k: v for k, v in a.items() if k in ("street", "city", "state", "postal_code", "country")
        }
        for a in created["street_addresses"]
    }
    assert addresses == {
        "home": {
            "street": "1 Main St, Suite 5",
            "city": "Boston",
            "state": "MA",
            "postal_code": "02110",
            "country": "United States",
        },
        "work": {"street": "2 Office Rd", "city": "Cambridge"},
        "other": {"postal_code": "99999"},
    }
    assert _values(created) == {
        fields["Loyalty_Points"]["custom_field_id"]: "42",
        fields["Interests"]["custom_field_id"]: "Skiing,Music",
        fields["Renewal_Date"]["custom_field_id"]: "2027-03-04",
    }
    # nobody else changed
    others = set(snapshot) - {existing["contact_id"]}
    assert set(after) == {*snapshot, created["contact_id"]}
    assert all(after[cid] == snapshot[cid] for cid in others)


def test_unsubscribed_contacts_are_updated_but_never_resubscribed(
    emulator: EmulatorProcess,
) -> None:
    unsubscribed = _seeded(
        emulator,
        lambda c: (
            "deleted_at" not in c and c["email_address"]["permission_to_send"] == "unsubscribed"
        ),
    )
    lists = live_lists(emulator)[:2]
    activity = run(
        emulator,
        "contacts_json_import",
        {
            "import_data": [
                {"email": unsubscribed["email_address"]["address"], "job_title": "Chef"}
            ],
            "list_ids": lists,
        },
    )
    assert activity["status"]["cannot_add_to_list_count"] == 1
    assert activity["status"]["error_count"] == 0
    assert activity["activity_errors"] == []
    stored = stored_contacts(emulator)[unsubscribed["contact_id"]]
    assert stored["job_title"] == "Chef"
    assert stored["list_memberships"] == []
    assert stored["email_address"] == unsubscribed["email_address"]  # still opted out, same dates
    listed = emulator.api("GET", f"/contacts?lists={','.join(lists)}&status=all").json()
    assert unsubscribed["contact_id"] not in {c["contact_id"] for c in listed["contacts"]}


def test_deleted_contacts_are_revived_by_an_import(emulator: EmulatorProcess) -> None:
    deleted = _seeded(
        emulator,
        lambda c: "deleted_at" in c and c["email_address"]["permission_to_send"] != "unsubscribed",
    )
    list_id = live_lists(emulator)[0]
    activity = run(
        emulator,
        "contacts_json_import",
        {"import_data": [{"email": deleted["email_address"]["address"]}], "list_ids": [list_id]},
    )
    assert activity["status"]["person_count"] == 1
    revived = stored_contacts(emulator)[deleted["contact_id"]]
    assert "deleted_at" not in revived
    assert revived["list_memberships"] == [list_id]
    assert (
        revived["email_address"]["permission_to_send"]
        == deleted["email_address"]["permission_to_send"]
    )
    listed = emulator.api("GET", f"/contacts?email={deleted['email_address']['address']}").json()
    assert [c["contact_id"] for c in listed["contacts"]] == [deleted["contact_id"]]


def test_each_bad_row_is_reported_by_number_and_email_and_the_rest_imported(
    emulator: EmulatorProcess,
) -> None:
    many = {f"cf:F{i}": "x" for i in range(26)}
    rows = [
        {"email": "good.one@example.com", "first_name": "Good"},
        {"email": "jane(at)example.com", "first_name": "Jane"},
        {"first_name": "No Email"},
        {"email": "bday@example.com", "birthday_month": 13, "birthday_day": 1},
        {"email": "cf@example.com", "cf:Shoe_Size": "42"},
        {"email": "many@example.com", **many},
        {"email": "long@example.com", "first_name": "x" * 51},
        {"email": "unknown@example.com", "favorite_color": "blue"},
        {"email": "points@example.com", "cf:Loyalty_Points": "lots"},
        {"email": "anniv@example.com", "anniversary": "31/31/2020"},
        {"email": "typed@example.com", "first_name": 7},
        {"email": "good.two@example.com", "last_name": "Two"},
    ]
    activity = run(
        emulator,
        "contacts_json_import",
        {"import_data": rows, "list_ids": live_lists(emulator)[:1]},
    )
    assert activity["state"] == "completed"
    assert activity["activity_errors"] == [
        "Row 2 (jane(at)example.com): invalid email address",
        "Row 3 (no email): no email address or SMS number",
        "Row 4 (bday@example.com): invalid birthday 13/1",
        "Row 5 (cf@example.com): custom field 'Shoe_Size' does not exist (cf:Shoe_Size)",
        "Row 6 (many@example.com): 26 custom fields; a contact can have at most 25",
        "Row 7 (long@example.com): 'first_name' is longer than 50 characters",
        "Row 8 (unknown@example.com): unknown property 'favorite_color'",
        "Row 9 (points@example.com): Invalid 'cf:Loyalty_Points': 'lots' is not a number for "
        "custom field 'Loyalty_Points'",
        "Row 10 (anniv@example.com): invalid anniversary '31/31/2020' "
        "(MM/DD/YYYY, YYYY-MM-DD, M-D-YYYY, ...)",
        "Row 11 (typed@example.com): 'first_name' must be a string",
    ]
    assert activity["status"]["correctable_count"] == 4
    assert activity["status"]["error_count"] == 6
    assert activity["status"]["person_count"] == 2
    stored = by_email(emulator)
    assert stored["good.one@example.com"]["first_name"] == "Good"
    assert stored["good.two@example.com"]["last_name"] == "Two"
    for row in rows[1:-1]:
        assert str(row.get("email", "")).lower() not in stored


def test_a_contact_never_gets_more_than_25_custom_fields(emulator: EmulatorProcess) -> None:
    names = []
    for i in range(26):
        response = emulator.api(
            "POST", "/contact_custom_fields", json={"label": f"Extra {i}", "type": "string"}
        )
        assert response.status_code == 201, response.text
        names.append(response.json()["name"])
    lists = live_lists(emulator)[:1]
    first = run(
        emulator,
        "contacts_json_import",
        {
            "import_data": [
                {"email": "cf.full@example.com", **{f"cf:{n}": "a" for n in names[:20]}}
            ],
            "list_ids": lists,
        },
    )
    assert first["activity_errors"] == []
    second = run(
        emulator,
        "contacts_json_import",
        {
            "import_data": [
                {"email": "cf.full@example.com", **{f"cf:{n}": "b" for n in names[20:]}}
            ],
            "list_ids": lists,
        },
    )
    assert second["activity_errors"] == [
        "Row 1 (cf.full@example.com): the contact would have 26 custom fields; at most 25"
    ]
    assert second["status"]["error_count"] == 1
    stored = by_email(emulator)["cf.full@example.com"]
    assert sorted(v["value"] for v in stored["custom_fields"]) == ["a"] * 20


def test_an_import_never_puts_a_contact_in_more_than_50_lists(emulator: EmulatorProcess) -> None:
    made = []
    for i in range(51):
        response = emulator.api("POST", "/contact_lists", json={"name": f"Many {i}"})
        assert response.status_code == 201
        made.append(response.json()["list_id"])
    lists = live_lists(emulator)
    first = run(
        emulator,
        "contacts_json_import",
        {"import_data": [{"email": "joiner@example.com"}], "list_ids": made[:50]},
    )
    assert first["activity_errors"] == []
    second = run(
        emulator,
        "contacts_json_import",
        {
            "import_data": [{"email": "joiner@example.com", "first_name": "J"}],
            "list_ids": made[50:],
        },
    )
    assert second["activity_errors"] == [
        "Row 1 (joiner@example.com): the contact is already in 50 lists; "
        "it was not added to every list"
    ]
    stored = by_email(emulator)["joiner@example.com"]
    assert stored["list_memberships"] == made[:50]
    assert stored["first_name"] == "J"
    assert set(made) <= set(lists)


def _bad(emu: EmulatorProcess, body: Any, **kwargs: Any) -> tuple[int, str]:
    response = emu.api("POST", "/activities/contacts_json_import", json=body, **kwargs)
    payload = response.json()
    return response.status_code, payload[0]["error_message"] if isinstance(payload, list) else ""


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"import_data": [{"email": "a@example.com"}]}, "'list_ids' is required"),
        ({"import_data": [{"email": "a@example.com"}], "list_ids": []}, "list_ids"),
        ({"import_data": [{"email": "a@example.com"}], "list_ids": ["nope"]}, "list_ids"),
        ({"list_ids": "LISTS"}, "'import_data' is required"),
        ({"import_data": {"email": "a@example.com"}, "list_ids": "LISTS"}, "import_data"),
        ({"import_data": [], "list_ids": "LISTS"}, "import_data"),
        (
            {"import_data": [{"email": "a@example.com"}, "b@example.com"], "list_ids": "LISTS"},
            "import_data[1]",
        ),
        (
            {
                "import_data": [{"email": "a@example.com"}],
                "list_ids": "LISTS",
                "sms_permission_to_send": "maybe",
            },
            "sms_permission_to_send",
        ),
        ({"import_data": [{"email": "a@example.com"}], "list_ids": "UNKNOWN"}, "does not exist"),
        ({"import_data": [{"email": "a@example.com"}], "list_ids": "DELETED"}, "does not exist"),
        ({"import_data": [{"email": "a@example.com"}], "list_ids": "TOO_MANY"}, "at most 50"),
    ],
)
def test_malformed_requests_are_400s_naming_the_field(
    emulator: EmulatorProcess, body: dict[str, Any], named: str
) -> None:
    lists = live_lists(emulator)
    deleted = next(
        lst["list_id"] for lst in emulator.export("contact_lists") if "deleted_at" in lst
    )
    substitutes = {
        "LISTS": lists[:1],
        "UNKNOWN": ["00000000-0000-1000-8000-000000000000"],
        "DELETED": [deleted],
        "TOO_MANY": [f"00000000-0000-1000-8000-{i:012d}" for i in range(51)],
    }
    body = {k: substitutes.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    before = len(emulator.export("activities"))
    status, message = _bad(emulator, body)
    assert status == 400
    assert named in message
    assert len(emulator.export("activities")) == before


def test_a_non_json_body_is_415_and_broken_json_400(emulator: EmulatorProcess) -> None:
    wrong = emulator.api(
        "POST",
        "/activities/contacts_json_import",
        data=b"email\na@example.com",
        headers={"Content-Type": "text/csv"},
    )
    assert wrong.status_code == 415
    broken = emulator.api(
        "POST",
        "/activities/contacts_json_import",
        data=b'{"import_data": [',
        headers={"Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    assert "Malformed JSON" in broken.json()[0]["error_message"]


def test_more_than_40000_contacts_is_a_400_and_40000_are_imported(
    emulator: EmulatorProcess,
) -> None:
    lists = live_lists(emulator)[:1]
    rows = [{"email": f"bulk{i:05d}@example.com"} for i in range(40_001)]
    status, message = _bad(emulator, {"import_data": rows, "list_ids": lists})
    assert status == 400
    assert "40,001 contacts; at most 40,000" in message

    activity = run(
        emulator, "contacts_json_import", {"import_data": rows[:40_000], "list_ids": lists}
    )
    assert activity["status"]["items_total_count"] == 40_000
    assert activity["status"]["person_count"] == 40_000
    stored = by_email(emulator)
    assert all(f"bulk{i:05d}@example.com" in stored for i in range(40_000))
    assert "bulk40000@example.com" not in stored


def _oversized_body(list_ids: list[str]) -> tuple[bytes, list[str], int]:
    """A body just over 4 MB (list_ids after the rows), its emails, and how many rows end
    within the first 4 MB, counted independently from the encoded bytes."""
    rows = [
        {
            "email": f"big{i:05d}@example.com",
            "first_name": "Ä" * 25,  # two bytes each in UTF-8
            "street": "x" * 200,
            "work_street": "y" * 200,
            "other_street": "z" * 200,
            "company_name": "c" * 50,
        }
        for i in range(5_300)
    ]
    encoded = [json.dumps(row, ensure_ascii=False).encode() for row in rows]
    head = b'{"import_data": ['
    ends, offset = [], len(head)
    for index, item in enumerate(encoded):
        offset += len(item)
        ends.append(offset)
        offset += 2 if index < len(encoded) - 1 else 0  # ", "
    body = head + b", ".join(encoded) + b'], "list_ids": ' + json.dumps(list_ids).encode() + b"}"
    assert len(body) > FOUR_MB
    within = sum(1 for end in ends if end <= FOUR_MB)
    assert 0 < within < len(rows)
    return body, [row["email"] for row in rows], within


def test_rows_past_4_mb_are_dropped_silently(emulator: EmulatorProcess) -> None:
    lists = live_lists(emulator)[:1]
    body, emails, within = _oversized_body(lists)
    response = emulator.api(
        "POST",
        "/activities/contacts_json_import",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"]["items_total_count"] == within
    activity = wait_for(emulator, response.json()["activity_id"])
    assert activity["activity_errors"] == []
    assert activity["status"]["person_count"] == within
    stored = by_email(emulator)
    assert all(email in stored for email in emails[:within])
    assert not any(email in stored for email in emails[within:])
    assert stored[emails[0]]["first_name"] == "Ä" * 25
    assert stored[emails[0]]["list_memberships"] == lists


def test_rows_past_4_mb_can_be_refused_with_413(emulator: EmulatorProcess) -> None:
    emulator.faults(import_oversize="reject")
    body, emails, _ = _oversized_body(live_lists(emulator)[:1])
    response = emulator.api(
        "POST",
        "/activities/contacts_json_import",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert "4 MB" in response.json()[0]["error_message"]
    assert emails[0] not in by_email(emulator)
    small = submit(
        emulator,
        "contacts_json_import",
        {"import_data": [{"email": "small@example.com"}], "list_ids": live_lists(emulator)[:1]},
    )
    assert small["state"] == "initialized"


def test_sms_numbers_are_imported_and_matched(emulator: EmulatorProcess) -> None:
    lists = live_lists(emulator)[:1]
    activity = run(
        emulator,
        "contacts_json_import",
        {
            "import_data": [
                {
                    "email": "texter@example.com",
                    "sms_number": "508-123-1235",
                    "sms_consent_date": "07-03-2024",
                },
                {
                    "sms_number": "6175550123",
                    "first_name": "Only",
                    "sms_consent_date": "2024-07-03",
                },
                {"email": "noconsent@example.com", "sms_number": "6175550199"},
                {"sms_number": "12345"},
            ],
            "list_ids": lists,
            "sms_permission_to_send": "explicit",
        },
    )
    assert activity["activity_errors"] == [
        "Row 3 (noconsent@example.com): sms_consent_date is required when "
        "sms_permission_to_send is explicit",
        "Row 4 (SMS 12345): invalid SMS number '12345' (a US number: 1231231234 or 123-123-1234)",
    ]
    assert activity["status"]["correctable_count"] == 2
    texter = by_email(emulator)["texter@example.com"]
    assert texter["sms_channel"]["sms_address"] == "5081231235"
    consent = texter["sms_channel"]["sms_channel_consents"][0]
    assert consent["sms_consent_permission"] == "explicit"
    assert consent["opt_in_date"] == "2024-07-03T00:00:00Z"

    def sms_only() -> list[dict[str, Any]]:
        return [
            c
            for c in emulator.export("contacts")
            if c.get("sms_channel", {}).get("sms_address") == "6175550123"
        ]

    (only,) = sms_only()
    assert "email_address" not in only
    assert only["first_name"] == "Only"
    run(
        emulator,
        "contacts_json_import",
        {
            "import_data": [{"sms_number": "617-555-0123", "last_name": "Texter"}],
            "list_ids": lists,
            "sms_permission_to_send": "not_set",
        },
    )
    (again,) = sms_only()
    assert again["contact_id"] == only["contact_id"]
    assert (again["first_name"], again["last_name"]) == ("Only", "Texter")


def _upload(
    emu: EmulatorProcess, content: bytes, list_ids: str, name: str = "contacts.csv", **data: str
) -> Any:
    return emu.api(
        "POST",
        "/activities/contacts_file_import",
        files={"file": (name, content, "text/csv")},
        data={"list_ids": list_ids, **data},
    )


def test_a_csv_file_import_upserts_like_the_json_import(emulator: EmulatorProcess) -> None:
    lists = live_lists(emulator)[:2]
    existing = _seeded(
        emulator,
        lambda c: (
            "deleted_at" not in c
            and c["email_address"]["permission_to_send"] in ("implicit", "explicit")
            and c.get("last_name")
        ),
    )
    content = (
        "email,first_name,birthday_month,birthday_day,work_city,cf:Loyalty_Points\r\n"
        f"{existing['email_address']['address'].upper()},Filed,,,,\r\n"
        "csv.new@example.com,Carla,7,4,Denver,15\r\n"
        "not-an-email,Bad,,,,\r\n"
        "\r\n"
    ).encode()
    response = _upload(emulator, content, ",".join(lists), name="spring.csv")
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["source_file_name"] == "spring.csv"
    assert created["status"]["items_total_count"] == 4  # the header line counts
    activity = wait_for(emulator, created["activity_id"])
    assert activity["activity_errors"] == ["Row 3 (not-an-email): invalid email address"]
    assert activity["status"]["person_count"] == 2
    stored = stored_contacts(emulator)[existing["contact_id"]]
    assert stored["first_name"] == "Filed"
    assert stored["last_name"] == existing["last_name"]
    assert set(lists) <= set(stored["list_memberships"])
    carla = by_email(emulator)["csv.new@example.com"]
    assert (carla["first_name"], carla["birthday_month"], carla["birthday_day"]) == ("Carla", 7, 4)
    assert carla["street_addresses"][0]["kind"] == "work"
    assert carla["street_addresses"][0]["city"] == "Denver"
    points = _fields(emulator)["Loyalty_Points"]["custom_field_id"]
    assert _values(carla) == {points: "15"}


def test_a_csv_file_keeps_its_first_40000_lines(emulator: EmulatorProcess) -> None:
    lines = ["email"] + [f"line{i:05d}@example.com" for i in range(40_004)]
    response = _upload(emulator, ("\n".join(lines) + "\n").encode(), live_lists(emulator)[0])
    assert response.status_code == 201, response.text
    assert response.json()["status"]["items_total_count"] == 40_000
    activity = wait_for(emulator, response.json()["activity_id"])
    assert activity["status"]["person_count"] == 39_999
    stored = by_email(emulator)
    assert "line39998@example.com" in stored
    assert "line39999@example.com" not in stored


def test_a_csv_file_over_4_mb_keeps_the_whole_lines_of_its_first_4_mb(
    emulator: EmulatorProcess,
) -> None:
    header = b"email,street,work_street,other_street\n"
    lines = [
        f"wide{i:05d}@example.com,{'s' * 240},{'w' * 240},{'o' * 240}\n".encode()
        for i in range(6_000)
    ]
    content = header + b"".join(lines)
    assert len(content) > FOUR_MB
    offset, within = len(header), 0
    for line in lines:
        offset += len(line)
        if offset > FOUR_MB:
            break
        within += 1
    response = _upload(emulator, content, live_lists(emulator)[0])
    assert response.status_code == 201, response.text
    activity = wait_for(emulator, response.json()["activity_id"])
    assert activity["status"]["person_count"] == within
    stored = by_email(emulator)
    assert f"wide{within - 1:05d}@example.com" in stored
    assert f"wide{within:05d}@example.com" not in stored


@pytest.mark.parametrize(
    "case",
    [
        (b"email\na@example.com\n", "contacts.txt", "LIST", 415, ".csv"),
        (b"email,shoe_size\na@example.com,9\n", "contacts.csv", "LIST", 400, "'shoe_size'"),
        (b"first_name\nAnn\n", "contacts.csv", "LIST", 400, "'email' or 'sms_number'"),
        (b"email\n", "contacts.csv", "LIST", 400, "no contact rows"),
        (b"email\na@example.com\n", "contacts.csv", "", 400, "'list_ids' is required"),
        (b"email\na@example.com\n", "contacts.csv", "bogus", 400, "list_ids"),
    ],
)
def test_file_import_request_errors(
    emulator: EmulatorProcess, case: tuple[bytes, str, str, int, str]
) -> None:
    content, name, list_ids, status, named = case
    real = live_lists(emulator)[0]
    response = _upload(emulator, content, real if list_ids == "LIST" else list_ids, name=name)
    assert response.status_code == status
    assert named in response.json()[0]["error_message"]


def test_file_import_needs_a_multipart_body(emulator: EmulatorProcess) -> None:
    response = emulator.api(
        "POST",
        "/activities/contacts_file_import",
        json={"import_data": [{"email": "a@example.com"}], "list_ids": live_lists(emulator)[:1]},
    )
    assert response.status_code == 415
    assert "multipart/form-data" in response.json()[0]["error_message"]
