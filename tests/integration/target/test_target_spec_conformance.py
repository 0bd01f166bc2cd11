"""Every request the target sends (and every response it gets) validates against the official
spec, openapi3.yaml (via tests/support/openapi.py, which lists the spec's own mistakes)."""

from __future__ import annotations

from support.openapi import assert_conforms
from target_harness import flat_messages, run_target, target_config

SINGLE_CALL_RECORDS = [
    {
        "email_address": "spec.one@example.com",
        "first_name": "Spec",
        "anniversary": "2006-11-15",
        "birthday_month": 1,
        "birthday_day": 2,
        "home_phone": "555-0100",
        "city": "Lyon",
        "list_names": ["Spec List"],
        "tag_names": ["Spec Tag"],
        "cf_spec_field": "value",
    },
    {"email_address": "spec.two@example.com", "permission_to_send": "unsubscribed"},
]


def test_single_call_requests_conform(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(contacts=0, campaigns=0, record_exchanges=True)
    config = target_config(emu, tmp_path, create_missing_definitions=True)
    run_target(emu, config, flat_messages(SINGLE_CALL_RECORDS))
    run_target(
        emu,
        config,
        flat_messages(
            [
                {"email_address": "spec.one@example.com", "job_title": None, "cf_spec_field": None},
                {"email_address": "spec.two@example.com", "_sdc_action": "delete"},
            ]
        ),
    )
    run_target(emu, config, flat_messages([{"email_address": "spec.two@example.com"}]))
    exchanges = emu.exchanges()
    methods = {(exchange["method"], exchange["path"].split("?")[0]) for exchange in exchanges}
    assert {"POST", "PUT", "DELETE", "GET"} <= {method for method, _ in methods}
    assert assert_conforms(exchanges) == len(exchanges)


def test_bulk_requests_conform(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(contacts=0, campaigns=0, record_exchanges=True)
    config = target_config(emu, tmp_path, create_missing_definitions=True)
    people = [
        {
            "email_address": f"bulk{i}@example.com",
            "first_name": f"B{i}",
            "work_phone": "555-0100",
            "work_city": "Oslo",
            "postal_code": "0150",
            "list_names": [["One"], ["One", "Two"], []][i % 3],
            "tag_names": [["Hot"], []][i % 2],
            "cf_size": str(i),
        }
        for i in range(12)
    ]
    run_target(emu, config, flat_messages(people))
    changes = [
        {"email_address": f"bulk{i}@example.com", "list_names": ["Two"], "tag_names": []}
        for i in range(6)
    ] + [{"email_address": f"bulk{i}@example.com", "_sdc_action": "delete"} for i in range(6, 12)]
    run_target(emu, config, flat_messages(changes))
    exchanges = emu.exchanges()
    paths = {exchange["path"].split("?")[0] for exchange in exchanges}
    for operation in (
        "/v3/activities/contacts_json_import",
        "/v3/activities/contact_delete",
        "/v3/activities/contacts_taggings_add",
        "/v3/activities/contacts_taggings_remove",
        "/v3/activities/remove_list_memberships",
    ):
        assert operation in paths
    assert assert_conforms(exchanges) == len(exchanges)
