"""Each action against a live emulator, with single calls (small batches): create's
`already_exists`, update's `not_found`, delete, revive, no re-opt-in, field clearing, reruns."""

from __future__ import annotations

from typing import Any

from target_harness import (
    flat_messages,
    run_target,
    target_config,
)


def contact(emulator, email: str) -> dict[str, Any] | None:
    for item in emulator.export("contacts"):
        if item["email_address"]["address"].lower() == email.lower():
            return item
    return None


def list_names(emulator, item: dict[str, Any]) -> list[str]:
    names = {lst["list_id"]: lst["name"] for lst in emulator.export("contact_lists")}
    return sorted(names[list_id] for list_id in item.get("list_memberships", []))


def test_each_action(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(contacts=0, campaigns=0)
    config = target_config(emu, tmp_path, create_missing_definitions=True, bulk_threshold=50)
    first = run_target(
        emu,
        config,
        flat_messages(
            [
                {
                    "email_address": "ann@example.com",
                    "first_name": "Ann",
                    "list_names": ["Members"],
                },
                {
                    "email_address": "bob@example.com",
                    "first_name": "Bob",
                    "list_names": ["Members"],
                },
                {"email_address": "cy@example.com", "first_name": "Cy"},
            ]
        ),
    )
    assert first.outcomes() == {
        "ann@example.com": "created",
        "bob@example.com": "created",
        "cy@example.com": "created",
    }
    assert list_names(emu, contact(emu, "ann@example.com")) == ["Members"]
    assert first.states == []  # no STATE came in, none goes out

    second = run_target(
        emu,
        {**config, "max_failed_records": 10},
        flat_messages(
            [
                {"email_address": "ann@example.com", "_sdc_action": "create", "first_name": "X"},
                {"email_address": "zed@example.com", "_sdc_action": "update", "first_name": "Z"},
                {"email_address": "bob@example.com", "_sdc_action": "delete"},
                {"email_address": "yan@example.com", "_sdc_deleted_at": "2024-05-01T00:00:00Z"},
                {"email_address": "cy@example.com", "_sdc_action": "update", "last_name": "Young"},
            ]
        ),
    )
    lines = second.by_key()
    assert (lines["ann@example.com"]["outcome"], lines["ann@example.com"]["error_key"]) == (
        "failed",
        "already_exists",
    )
    assert (lines["zed@example.com"]["outcome"], lines["zed@example.com"]["error_key"]) == (
        "failed",
        "not_found",
    )
    assert lines["bob@example.com"]["outcome"] == "deleted"
    assert lines["yan@example.com"]["outcome"] == "skipped"
    assert "nothing to delete" in lines["yan@example.com"]["message"]
    assert lines["cy@example.com"]["outcome"] == "updated"
    assert contact(emu, "ann@example.com")["first_name"] == "Ann"  # create did not overwrite
    assert contact(emu, "zed@example.com") is None
    assert contact(emu, "bob@example.com")["deleted_at"]
    assert contact(emu, "cy@example.com")["last_name"] == "Young"
    assert contact(emu, "cy@example.com")["first_name"] == "Cy"  # not sent: left alone

    # a deleted contact that comes back is revived, with its lists; deleting twice is a no-op
    third = run_target(
        emu,
        config,
        flat_messages([{"email_address": "bob@example.com", "list_names": ["Members"]}]),
    )
    assert third.outcomes() == {"bob@example.com": "created"}
    assert third.ledger[0]["message"] == "revived a deleted contact"
    revived = contact(emu, "bob@example.com")
    assert not revived.get("deleted_at")
    assert revived["first_name"] == "Bob"
    assert list_names(emu, revived) == ["Members"]
    assert third.writes == {"PUT /v3/contacts/{contact_id}": 1}

    fourth = run_target(emu, config, flat_messages([{"email_address": "bob@example.com"}]))
    assert fourth.outcomes() == {"bob@example.com": "unchanged"}
    assert fourth.writes == {}


def test_no_re_opt_in_and_unsubscribe(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(contacts=0, campaigns=0)
    config = target_config(emu, tmp_path, create_missing_definitions=True)
    run_target(
        emu,
        config,
        flat_messages(
            [
                {"email_address": "out@example.com", "first_name": "O", "list_names": ["News"]},
                {"email_address": "in@example.com", "first_name": "I", "list_names": ["News"]},
            ]
        ),
    )
    unsubscribe = run_target(
        emu,
        config,
        flat_messages(
            [
                {
                    "email_address": "out@example.com",
                    "permission_to_send": "unsubscribed",
                    "opt_out_reason": "too many emails",
                }
            ]
        ),
    )
    assert unsubscribe.outcomes() == {"out@example.com": "updated"}
    assert unsubscribe.writes == {"PUT /v3/contacts/{contact_id}": 1}
    stored = contact(emu, "out@example.com")
    assert stored["email_address"]["permission_to_send"] == "unsubscribed"
    # (the emulator's PUT does not store opt_out_reason yet; the target sends it)
    assert stored["list_memberships"] == []
    assert stored["first_name"] == "O"

    # stale source data saying "subscribed, in News" never re-opts the contact in
    stale = run_target(
        emu,
        config,
        flat_messages(
            [
                {
                    "email_address": "out@example.com",
                    "permission_to_send": "explicit",
                    "list_names": ["News"],
                    "first_name": "Olga",
                }
            ]
        ),
    )
    assert stale.outcomes() == {"out@example.com": "updated"}
    assert "not added to lists" in stale.ledger[0]["message"]
    stored = contact(emu, "out@example.com")
    assert stored["email_address"]["permission_to_send"] == "unsubscribed"
    assert stored["list_memberships"] == []
    assert stored["first_name"] == "Olga"
    assert contact(emu, "in@example.com")["email_address"]["permission_to_send"] == "implicit"


def test_field_clearing_clears_only_what_was_sent(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(contacts=0, campaigns=0)
    config = target_config(emu, tmp_path, create_missing_definitions=True)
    full = {
        "email_address": "full@example.com",
        "first_name": "Full",
        "last_name": "Person",
        "job_title": "Chef",
        "company_name": "Bistro",
        "work_phone": "555-0101",
        "mobile_phone": "555-0102",
        "city": "Lyon",
        "country": "France",
        "cf_tier": "gold",
        "cf_region": "EU",
        "tag_names": ["Warm"],
    }
    run_target(emu, config, flat_messages([full]))
    before = contact(emu, "full@example.com")
    assert before["job_title"] == "Chef"

    cleared = run_target(
        emu,
        config,
        flat_messages(
            [
                {
                    "email_address": "full@example.com",
                    "job_title": None,
                    "mobile_phone": "",
                    "cf_tier": None,
                    "tag_names": [],
                }
            ]
        ),
    )
    assert cleared.outcomes() == {"full@example.com": "updated"}
    after = contact(emu, "full@example.com")
    fields = {item["custom_field_id"]: item["value"] for item in after["custom_fields"]}
    names = {item["custom_field_id"]: item["name"] for item in emu.export("custom_fields")}
    assert after.get("job_title") is None
    assert {names[k]: v for k, v in fields.items()} == {"region": "EU"}
    assert [(p["kind"], p["phone_number"]) for p in after["phone_numbers"]] == [
        ("work", "555-0101")
    ]
    assert after["taggings"] == []
    # not sent: untouched
    assert after["first_name"] == "Full"
    assert after["last_name"] == "Person"
    assert after["company_name"] == "Bistro"
    assert [(a["kind"], a.get("city"), a.get("country")) for a in after["street_addresses"]] == [
        ("home", "Lyon", "France")
    ]


def test_rerun_is_unchanged_and_writes_nothing(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(contacts=0, campaigns=0)
    config = target_config(emu, tmp_path, create_missing_definitions=True)
    records = [
        {
            "email_address": f"p{i}@example.com",
            "first_name": f"P{i}",
            "anniversary": "11/15/2006",
            "birthday_month": 2,
            "birthday_day": 3,
            "list_names": ["A"],
            "tag_names": ["T"],
            "cf_score": i,
        }
        for i in range(3)
    ]
    first = run_target(emu, config, flat_messages(records))
    assert set(first.outcomes().values()) == {"created"}
    second = run_target(emu, config, flat_messages(records))
    assert set(second.outcomes().values()) == {"unchanged"}
    assert second.writes == {}
    assert len(emu.export("contacts")) == 3


def test_match_by_contact_id_updates_and_changes_the_email(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(contacts=0, campaigns=0)
    config = target_config(emu, tmp_path)
    run_target(
        emu, config, flat_messages([{"email_address": "old@example.com", "first_name": "A"}])
    )
    contact_id = contact(emu, "old@example.com")["contact_id"]
    by_id = {**config, "match_by": "contact_id", "max_failed_records": 1}
    result = run_target(
        emu,
        by_id,
        [
            {
                "type": "SCHEMA",
                "stream": "contacts",
                "schema": {"properties": {}},
                "key_properties": ["contact_id"],
            },
            {
                "type": "RECORD",
                "stream": "contacts",
                "record": {
                    "contact_id": contact_id,
                    "email_address": "new@example.com",
                    "first_name": "B",
                },
            },
            {
                "type": "RECORD",
                "stream": "contacts",
                "record": {"contact_id": "00000000-0000-0000-0000-000000000000", "first_name": "X"},
            },
        ],
    )
    assert [(line["key"], line["outcome"], line["error_key"]) for line in result.ledger] == [
        (contact_id, "updated", None),
        ("00000000-0000-0000-0000-000000000000", "failed", "not_found"),
    ]
    assert contact(emu, "old@example.com") is None
    stored = contact(emu, "new@example.com")
    assert (stored["contact_id"], stored["first_name"]) == (contact_id, "B")


def test_notes_are_written_only_when_asked(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(contacts=0, campaigns=0)
    config = target_config(emu, tmp_path)
    records = [
        {"email_address": f"n{i}@example.com", "notes": ["Met at the fair"]} for i in range(6)
    ]
    off = run_target(emu, config, flat_messages(records))
    assert set(off.outcomes().values()) == {"created"}
    assert all(c["notes"] == [] for c in emu.export("contacts"))

    on = run_target(emu, {**config, "write_notes": True}, flat_messages(records))
    assert set(on.outcomes().values()) == {"updated"}
    assert on.writes == {"PUT /v3/contacts/{contact_id}": 6}  # the import cannot set notes
    assert all(
        [note["content"] for note in c["notes"]] == ["Met at the fair"]
        for c in emu.export("contacts")
    )
    again = run_target(emu, {**config, "write_notes": True}, flat_messages(records))
    assert set(again.outcomes().values()) == {"unchanged"}


def test_several_phones_of_one_kind_survive_a_put(emulator_factory, tmp_path) -> None:
    # The API keeps up to three phones, two of one kind included; a PUT replaces them all
    emu = emulator_factory(contacts=0, campaigns=0)
    config = target_config(emu, tmp_path)
    email = "pat@example.com"

    def stored() -> dict[str, Any]:
        item = contact(emu, email)
        assert item is not None
        phones = sorted((p["kind"], p["phone_number"]) for p in item.get("phone_numbers", []))
        return {"last_name": item.get("last_name"), "phones": phones}

    mobiles = [("mobile", "555-0001"), ("mobile", "555-0002")]
    created = run_target(
        emu,
        config,
        flat_messages(
            [
                {
                    "email_address": email,
                    "last_name": "Lee",
                    "phone_numbers": [{"kind": k, "phone_number": n} for k, n in mobiles],
                }
            ]
        ),
    )
    assert created.outcomes() == {email: "created"}
    assert stored() == {"last_name": "Lee", "phones": mobiles}

    # clearing a value takes a PUT of the whole contact: both mobiles are in it
    cleared = run_target(emu, config, flat_messages([{"email_address": email, "last_name": None}]))
    assert cleared.outcomes() == {email: "updated"}
    assert [name.split()[0] for name in cleared.writes] == ["PUT"]
    assert stored() == {"last_name": None, "phones": mobiles}

    # a phone given by kind replaces the first phone of that kind, and the rerun changes nothing
    row = {"email_address": email, "mobile_phone": "555-0009"}
    changed = run_target(emu, config, flat_messages([row]))
    assert changed.outcomes() == {email: "updated"}
    assert stored()["phones"] == [("mobile", "555-0002"), ("mobile", "555-0009")]
    again = run_target(emu, config, flat_messages([row]))
    assert (again.outcomes(), again.writes) == ({email: "unchanged"}, {})
