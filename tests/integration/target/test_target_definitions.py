"""The definitions streams: lists, tags and custom fields created by name, source ids mapped,
and contacts that arrive before their definitions wait for them (STATE waits too)."""

from __future__ import annotations

from target_harness import record_messages, run_target, schema_message, target_config

LISTS = [
    {"list_id": "src-list-1", "name": "Customers", "description": "Paying", "favorite": True},
    {"list_id": "src-list-2", "name": "Old", "deleted_at": "2025-01-01T00:00:00Z"},
]
TAGS = [{"tag_id": "src-tag-1", "name": "VIP", "tag_source": "Shopify"}]
FIELDS = [
    {"custom_field_id": "src-cf-1", "label": "Shoe Size", "name": "Shoe_Size", "type": "number"},
    {"custom_field_id": "src-cf-2", "label": "Nickname", "name": "Nickname", "type": "string"},
]


def tap_contact(index: int, **extra) -> dict:
    return {
        "contact_id": f"src-contact-{index}",
        "email_address": {"address": f"c{index}@example.com", "permission_to_send": "implicit"},
        "first_name": f"C{index}",
        "custom_fields": [{"custom_field_id": "src-cf-1", "value": str(40 + index)}],
        "list_memberships": ["src-list-1"],
        "taggings": ["src-tag-1"] if index % 2 else [],
        "_sdc_deleted_at": None,
        **extra,
    }


def test_contacts_before_definitions_wait_for_them(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(contacts=0, campaigns=0)
    # batches of 2: the contacts drain before the definitions streams have even started
    config = target_config(emu, tmp_path, batch_size_rows=2, bulk_threshold=100)
    messages = [
        schema_message("contacts", ["contact_id"]),
        *record_messages("contacts", [tap_contact(i) for i in range(5)]),
        {"type": "STATE", "value": {"bookmarks": {"contacts": "after-contacts"}}},
        schema_message("contact_lists", ["list_id"]),
        *record_messages("contact_lists", LISTS),
        schema_message("contact_tags", ["tag_id"]),
        *record_messages("contact_tags", TAGS),
        schema_message("custom_fields", ["custom_field_id"]),
        *record_messages("custom_fields", FIELDS),
        {"type": "STATE", "value": {"bookmarks": {"contacts": "final"}}},
    ]
    result = run_target(emu, config, messages)
    assert result.states[-1] == {"bookmarks": {"contacts": "final"}}

    lists = {item["name"]: item for item in emu.export("contact_lists")}
    assert set(lists) == {"Customers"}  # the deleted source list is not copied
    assert (lists["Customers"]["description"], lists["Customers"]["favorite"]) == ("Paying", True)
    tags = {item["name"]: item["tag_id"] for item in emu.export("contact_tags")}
    fields = {item["name"]: item for item in emu.export("custom_fields")}
    assert set(fields) == {"Shoe_Size", "Nickname"}
    assert fields["Shoe_Size"]["type"] == "number"

    contacts = {c["email_address"]["address"]: c for c in emu.export("contacts")}
    assert len(contacts) == 5
    for index in range(5):
        stored = contacts[f"c{index}@example.com"]
        assert stored["list_memberships"] == [lists["Customers"]["list_id"]]
        assert stored["taggings"] == ([tags["VIP"]] if index % 2 else [])
        assert stored["custom_fields"] == [
            {"custom_field_id": fields["Shoe_Size"]["custom_field_id"], "value": str(40 + index)}
        ]

    by_stream = {}
    for line in result.ledger:
        by_stream.setdefault(line["stream"], []).append((line["key"], line["outcome"]))
    assert by_stream["contacts"] == [(f"c{i}@example.com", "created") for i in range(5)]
    assert by_stream["contact_lists"] == [("Customers", "created"), ("Old", "skipped")]
    assert by_stream["contact_tags"] == [("VIP", "created")]
    assert by_stream["custom_fields"] == [("Shoe_Size", "created"), ("Nickname", "created")]

    # the same definitions again: unchanged; a changed description: updated
    again = run_target(
        emu,
        config,
        [
            schema_message("contact_lists", ["list_id"]),
            *record_messages("contact_lists", [{**LISTS[0], "description": "Paying, monthly"}]),
            schema_message("contact_tags", ["tag_id"]),
            *record_messages("contact_tags", TAGS),
        ],
    )
    assert again.outcomes() == {"Customers": "updated", "VIP": "unchanged"}
    assert {item["name"]: item["description"] for item in emu.export("contact_lists")} == {
        "Customers": "Paying, monthly"
    }


def test_unknown_source_ids_fail_at_the_end(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(contacts=0, campaigns=0)
    config = target_config(emu, tmp_path, batch_size_rows=1, max_failed_records=5)
    result = run_target(
        emu,
        config,
        [
            schema_message("contacts", ["contact_id"]),
            *record_messages("contacts", [tap_contact(1, custom_fields=[])]),
            {"type": "STATE", "value": {"bookmarks": {"contacts": "x"}}},
        ],
    )
    [line] = result.ledger
    assert (line["outcome"], line["error_key"]) == ("failed", "unknown_list_id")
    assert "send the contact_lists stream too" in line["message"]
    assert result.states == [{"bookmarks": {"contacts": "x"}}]
