"""Flat warehouse rows (.singer fixtures, a `crm_people` stream) create, update and delete as
asked, in bulk; faults during the bulk jobs still end with every record applied once; a dry run
sends no write."""

from __future__ import annotations

import json
from pathlib import Path

from target_harness import flat_messages, run_target, target_config

from constantcontact_emulator.compare import account_view

DATA = Path(__file__).parents[2] / "data" / "target"
INITIAL = (DATA / "flat_rows_initial.singer").read_text()
CHANGES = (DATA / "flat_rows_changes.singer").read_text()


def rows(text: str) -> list[dict]:
    messages = [json.loads(line) for line in text.splitlines()]
    return [message["record"] for message in messages if message["type"] == "RECORD"]


def flat_config(emu, tmp_path, **overrides):
    settings = {
        "contact_streams": ["crm_people"],
        "create_missing_definitions": True,
        "max_failed_records": 2,
        **overrides,
    }
    return target_config(emu, tmp_path, **settings)


def expected_initial(email: str) -> dict:
    row = next(r for r in rows(INITIAL) if r["email_address"] == email)
    return {
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "job_title": row["job_title"],
        "company_name": row["company_name"],
        "phones": [("mobile", row["mobile_phone"])],
        "lists": sorted(row["list_names"]),
        "tags": sorted(row["tag_names"]),
        "custom_fields": {"plan": row["cf_plan"], "seats": str(row["cf_seats"])},
    }


def check_initial(view: dict) -> None:
    for row in rows(INITIAL):
        stored = view[row["email_address"]]
        for name, value in expected_initial(row["email_address"]).items():
            assert stored[name] == value, (row["email_address"], name)
        assert stored["addresses"] == [
            ("home", None, "Springfield", "IL", row["postal_code"], None)
        ]


def test_flat_rows_create_update_delete(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(contacts=0, campaigns=0)
    config = flat_config(emu, tmp_path)
    first = run_target(emu, config, INITIAL)
    assert set(first.outcomes().values()) == {"created"}
    assert len(first.ledger) == 12
    assert first.states[-1]["bookmarks"]["crm_people"]["replication_key_value"] == (
        "flat_rows_initial.singer"
    )
    # bulk: imports, not one POST per contact
    assert first.requests.get("POST /v3/contacts", 0) == 0
    assert first.requests["POST /v3/activities/contacts_json_import"] <= 3
    check_initial(account_view(emu.export))

    second = run_target(emu, config, CHANGES)
    assert second.outcomes() == {
        "person00@acme-0.example": "updated",
        "person01@acme-1.example": "updated",
        "person02@acme-2.example": "updated",
        "person03@acme-0.example": "updated",
        "person04@acme-1.example": "deleted",
        "person05@acme-2.example": "deleted",
        "newbie@acme-9.example": "created",
        "person06@acme-0.example": "failed",
        "ghost@acme-9.example": "failed",
        "person07@acme-1.example": "unchanged",
    }
    errors = {line["key"]: line["error_key"] for line in second.ledger if line["error_key"]}
    assert errors == {
        "person06@acme-0.example": "already_exists",
        "ghost@acme-9.example": "not_found",
    }
    view = account_view(emu.export)
    assert view["person00@acme-0.example"]["job_title"] == "Director"
    assert view["person00@acme-0.example"]["custom_fields"] == {"plan": "free", "seats": "500"}
    assert view["person00@acme-0.example"]["first_name"] == "First00"
    assert view["person01@acme-1.example"]["lists"] == ["Newsletter"]
    assert view["person01@acme-1.example"]["tags"] == ["Champion"]
    assert view["person02@acme-2.example"]["company_name"] is None
    assert view["person02@acme-2.example"]["custom_fields"] == {"seats": "15"}
    assert view["person03@acme-0.example"]["unsubscribed"] is True
    assert view["person03@acme-0.example"]["lists"] == []
    assert "person04@acme-1.example" not in view
    assert "person05@acme-2.example" not in view
    assert view["newbie@acme-9.example"]["lists"] == ["Customers"]
    assert view["person06@acme-0.example"]["first_name"] == "First06"
    assert "ghost@acme-9.example" not in view
    assert view["person07@acme-1.example"] == {
        **view["person07@acme-1.example"],
        **expected_initial("person07@acme-1.example"),
    }
    # contacts with no list travelled with another import and were taken off it again
    assert view["person11@acme-2.example"]["lists"] == []


def test_faults_during_bulk_jobs_still_apply_every_record_once(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(contacts=0, campaigns=0, access_token_ttl=2)
    emu.faults(error_rate=0.25, throttle_rate=0.1, path_pattern="^/v3/")
    config = flat_config(emu, tmp_path, max_retries=8)
    first = run_target(emu, config, INITIAL)
    assert set(first.outcomes().values()) == {"created"}
    injected = emu.stats()
    emu.faults(error_rate=0, throttle_rate=0)
    contacts = emu.export("contacts")
    assert sorted(c["email_address"]["address"] for c in contacts) == sorted(
        r["email_address"] for r in rows(INITIAL)
    )
    check_initial(account_view(emu.export))
    assert injected["by_status"].get("500", 0) + injected["by_status"].get("503", 0) > 0
    again = run_target(emu, config, INITIAL)
    assert set(again.outcomes().values()) == {"unchanged"}
    assert again.writes == {}


def test_dry_run_plans_and_writes_nothing(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(contacts=0, campaigns=0)
    config = flat_config(emu, tmp_path)
    run_target(emu, config, INITIAL)
    dry = run_target(emu, {**config, "dry_run": True}, CHANGES)
    assert dry.writes == {}
    assert all(line.get("dry_run") for line in dry.ledger)
    assert dry.outcomes()["person00@acme-0.example"] == "updated"
    assert dry.outcomes()["person04@acme-1.example"] == "deleted"
    assert dry.outcomes()["newbie@acme-9.example"] == "created"
    assert dry.outcomes()["person06@acme-0.example"] == "failed"
    check_initial(account_view(emu.export))  # nothing changed


def test_full_activity_queue_is_waited_out(emulator_factory, tmp_path) -> None:
    # one queued activity at a time: every second submission meets a 429 and waits its turn
    emu = emulator_factory(contacts=0, campaigns=0, max_queued_activities=1, activity_seconds=1.5)
    config = flat_config(emu, tmp_path, max_retries=0, activity_poll_interval=0.5)
    result = run_target(emu, config, INITIAL)
    assert set(result.outcomes().values()) == {"created"}
    check_initial(account_view(emu.export))
    statuses = emu.stats()["by_endpoint_status"]
    refused = sum(
        counts.get("429", 0)
        for endpoint, counts in statuses.items()
        if endpoint.startswith("POST /v3/activities/")
    )
    assert refused >= 1


def test_failed_activity_fails_its_records_and_a_rerun_applies_them(
    emulator_factory, tmp_path
) -> None:
    emu = emulator_factory(contacts=0, campaigns=0)
    emu.faults(activity_fail_next=1)
    config = flat_config(emu, tmp_path, max_failed_records=0)
    failed = run_target(emu, config, INITIAL, expect_error=True)
    lines = failed.by_key()
    broken = {key for key, line in lines.items() if line["outcome"] == "failed"}
    assert broken
    assert {lines[key]["error_key"] for key in broken} == {"activity_failed"}
    assert failed.states == []
    # (a contact in two lists is imported twice: the other import may have created it)
    rerun = run_target(emu, config, INITIAL)
    for key, line in rerun.by_key().items():
        assert line["outcome"] in ({"created", "updated"} if key in broken else {"unchanged"})
    assert any(line["outcome"] == "created" for line in rerun.ledger)
    check_initial(account_view(emu.export))


def test_value_changes_without_lists_go_through_an_emptied_staging_list(
    emulator_factory, tmp_path
) -> None:
    emu = emulator_factory(contacts=0, campaigns=0)
    config = flat_config(emu, tmp_path)
    people = [{"email_address": f"s{i}@example.com", "list_names": ["Main"]} for i in range(6)]
    run_target(emu, config, flat_messages(people))
    renamed = [{"email_address": f"s{i}@example.com", "first_name": f"S{i}"} for i in range(6)]
    result = run_target(emu, config, flat_messages(renamed))
    assert set(result.outcomes().values()) == {"updated"}
    assert result.writes == {
        "POST /v3/contact_lists": 1,  # the staging list, once
        "POST /v3/activities/contacts_json_import": 1,
        "POST /v3/activities/remove_list_memberships": 1,
    }
    view = account_view(emu.export)
    for i in range(6):
        assert (view[f"s{i}@example.com"]["first_name"], view[f"s{i}@example.com"]["lists"]) == (
            f"S{i}",
            ["Main"],
        )
    staging = [
        x for x in emu.export("contact_lists") if x["name"] == "target-constantcontact staging"
    ]
    assert [x.get("membership_count", 0) for x in staging] == [0]
