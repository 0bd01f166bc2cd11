"""Bulk activities over HTTP: the lifecycle, the queue, failures, listing, cost and persistence."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from activities_harness import by_email, fast, live_lists, run, stored_contacts, submit, wait_for

from constantcontact_emulator.testing import EmulatorProcess
from constantcontact_emulator.timefmt import parse_datetime


@pytest.fixture(autouse=True)
def fresh(emulator: EmulatorProcess) -> None:
    fast(emulator)


def _import_body(emu: EmulatorProcess, *rows: dict[str, Any]) -> dict[str, Any]:
    return {"import_data": list(rows), "list_ids": live_lists(emu)[:1]}


def _some_contact(emu: EmulatorProcess) -> dict[str, Any]:
    return next(
        c
        for c in emu.export("contacts")
        if "deleted_at" not in c
        and c.get("email_address", {}).get("permission_to_send") in ("implicit", "explicit")
    )


def test_nothing_changes_until_the_activity_completes(emulator: EmulatorProcess) -> None:
    emulator.faults(activity_seconds=600)
    body = _import_body(emulator, {"email": "late.comer@example.com", "first_name": "Late"})
    created = submit(emulator, "contacts_json_import", body)
    activity_id = created["activity_id"]
    assert created["_links"]["self"]["href"] == f"/v3/activities/{activity_id}"
    assert created["percent_done"] == 0
    assert created["activity_errors"] == []
    assert "started_at" not in created
    assert "completed_at" not in created
    assert created["status"] == {
        "items_total_count": 1,
        "items_completed_count": 0,
        "person_count": 0,
        "error_count": 0,
        "correctable_count": 0,
        "cannot_add_to_list_count": 0,
        "list_count": 1,
    }

    # a client that does not poll sees the old state
    seen = emulator.api("GET", "/contacts?email=late.comer@example.com&status=all").json()
    assert seen["contacts"] == []
    assert "late.comer@example.com" not in by_email(emulator)

    first = emulator.api("GET", f"/activities/{activity_id}").json()
    time.sleep(0.2)
    second = emulator.api("GET", f"/activities/{activity_id}").json()
    for polled in (first, second):
        assert polled["state"] == "processing"
        assert "completed_at" not in polled
        assert 0 <= polled["percent_done"] <= 99
        assert polled["status"]["items_completed_count"] <= 1
    assert second["percent_done"] >= first["percent_done"]
    assert "late.comer@example.com" not in by_email(emulator)

    emulator.faults(activity_seconds=0)
    done = wait_for(emulator, activity_id)
    assert done["state"] == "completed"
    assert done["percent_done"] == 100
    assert done["status"]["items_completed_count"] == 1
    assert done["status"]["person_count"] == 1
    created_at = parse_datetime(done["created_at"])
    started_at = parse_datetime(done["started_at"])
    completed_at = parse_datetime(done["completed_at"])
    assert created_at <= started_at <= completed_at
    assert done["updated_at"] == done["completed_at"]
    stored = by_email(emulator)["late.comer@example.com"]
    assert stored["first_name"] == "Late"
    assert stored["list_memberships"] == body["list_ids"]


def test_activities_run_one_at_a_time_in_submission_order(emulator: EmulatorProcess) -> None:
    contact = _some_contact(emulator)
    email = contact["email_address"]["address"]
    emulator.faults(activity_seconds=600)
    rename = submit(
        emulator,
        "contacts_json_import",
        _import_body(emulator, {"email": email, "first_name": "Renamed"}),
    )
    delete = submit(emulator, "contact_delete", {"contact_ids": [contact["contact_id"]]})
    head = emulator.api("GET", f"/activities/{rename['activity_id']}").json()
    queued = emulator.api("GET", f"/activities/{delete['activity_id']}").json()
    assert head["state"] == "processing"
    assert queued["state"] == "initialized"

    emulator.faults(activity_seconds=0)
    renamed = wait_for(emulator, rename["activity_id"])
    deleted = wait_for(emulator, delete["activity_id"])
    assert parse_datetime(deleted["started_at"]) >= parse_datetime(renamed["completed_at"])
    stored = stored_contacts(emulator)[contact["contact_id"]]
    assert stored["first_name"] == "Renamed"
    assert "deleted_at" in stored

    # the other way round: the import runs after the delete and revives the contact
    emulator.faults(activity_seconds=600)
    again = submit(
        emulator,
        "contacts_json_import",
        _import_body(emulator, {"email": email.upper(), "first_name": "Back"}),
    )
    emulator.faults(activity_seconds=0)
    assert wait_for(emulator, again["activity_id"])["state"] == "completed"
    revived = stored_contacts(emulator)[contact["contact_id"]]
    assert "deleted_at" not in revived
    assert revived["first_name"] == "Back"
    assert revived["email_address"]["address"] == email


def test_more_than_the_queue_limit_is_a_429_until_the_queue_drains(
    emulator: EmulatorProcess,
) -> None:
    emulator.faults(activity_seconds=600, max_queued_activities=3)
    contact_id = _some_contact(emulator)["contact_id"]
    body = {
        "source": {"contact_ids": [contact_id]},
        "tag_ids": [emulator.export("contact_tags")[0]["tag_id"]],
    }
    queued = [submit(emulator, "contacts_taggings_add", body) for _ in range(3)]
    refused = emulator.api("POST", "/activities/contacts_taggings_add", json=body)
    assert refused.status_code == 429
    assert refused.json() == {
        "error_key": "too_many_requests",
        "error_message": "Too many requests. You exceeded 3 queued activities for this user "
        "account.",
    }
    assert emulator.stats()["queued_activities"] == 3
    # every endpoint of the family shares the queue
    export = emulator.api("POST", "/activities/contact_exports", json={})
    assert export.status_code == 429

    emulator.faults(activity_seconds=0)
    assert [wait_for(emulator, a["activity_id"])["state"] for a in queued] == ["completed"] * 3
    assert emulator.stats()["queued_activities"] == 0
    assert submit(emulator, "contacts_taggings_add", body)["state"] == "initialized"

    emulator.faults(activity_seconds=600, max_queued_activities=0)  # 0 turns the limit off
    for _ in range(5):
        submit(emulator, "contacts_taggings_add", body)


def test_a_failed_activity_changes_nothing(emulator: EmulatorProcess) -> None:
    emulator.faults(activity_fail_next=1)
    failed = run(
        emulator,
        "contacts_json_import",
        _import_body(emulator, {"email": "never@example.com", "first_name": "Never"}),
    )
    assert failed["state"] == "failed"
    assert failed["activity_errors"] == [
        "The activity failed to complete (injected fault: activity_fail_next)."
    ]
    assert failed["status"]["items_completed_count"] == 0
    assert "never@example.com" not in by_email(emulator)
    assert emulator.faults()["activity_fail_next"] == 0

    # a job whose lists were deleted before it ran fails too
    emulator.faults(activity_seconds=600)
    target = live_lists(emulator)[0]
    orphan = submit(
        emulator,
        "contacts_json_import",
        {"import_data": [{"email": "orphan@example.com"}], "list_ids": [target]},
    )
    assert emulator.api("DELETE", f"/contact_lists/{target}").status_code == 202
    emulator.faults(activity_seconds=0)
    ended = wait_for(emulator, orphan["activity_id"])
    assert ended["state"] == "failed"
    assert target in ended["activity_errors"][0]
    assert "orphan@example.com" not in by_email(emulator)

    after = run(
        emulator,
        "contacts_json_import",
        _import_body(emulator, {"email": "later@example.com"}),
    )
    assert after["state"] == "completed"
    assert "later@example.com" in by_email(emulator)


def test_get_activities_lists_newest_first_with_state_filter_and_paging(
    emulator: EmulatorProcess,
) -> None:
    tag = emulator.export("contact_tags")[0]["tag_id"]
    contact_id = _some_contact(emulator)["contact_id"]
    body = {"source": {"contact_ids": [contact_id]}, "tag_ids": [tag]}
    done = [run(emulator, "contacts_taggings_add", body)["activity_id"] for _ in range(3)]
    emulator.faults(activity_seconds=600)
    pending = submit(emulator, "contacts_taggings_remove", body)["activity_id"]

    first = emulator.api("GET", "/activities?limit=2").json()
    ids = [a["activity_id"] for a in first["activities"]]
    assert ids == [pending, done[2]]
    rest = emulator.api("GET", first["_links"]["next"]["href"]).json()
    assert [a["activity_id"] for a in rest["activities"]] == [done[1], done[0]]
    assert "_links" not in rest

    completed = emulator.api("GET", "/activities?state=completed").json()["activities"]
    assert [a["activity_id"] for a in completed] == done[::-1]
    assert all(a["state"] == "completed" for a in completed)
    processing = emulator.api("GET", "/activities?state=processing").json()["activities"]
    assert [a["activity_id"] for a in processing] == [pending]
    assert emulator.api("GET", "/activities?state=failed").json() == {"activities": []}

    bad_state = emulator.api("GET", "/activities?state=finished")
    assert bad_state.status_code == 400
    assert "'state'" in bad_state.json()[0]["error_message"]
    assert emulator.api("GET", "/activities?limit=501").status_code == 400
    missing = emulator.api("GET", "/activities/00000000-0000-1000-8000-000000000000")
    assert missing.status_code == 404
    assert missing.json()[0]["error_key"] == "contacts.api.not_found"
    assert emulator.api("GET", "/activities/not-an-id").status_code == 404


def test_list_and_tag_delete_record_completed_activities(emulator: EmulatorProcess) -> None:
    list_id = live_lists(emulator)[0]
    deleted = emulator.api("DELETE", f"/contact_lists/{list_id}")
    assert deleted.status_code == 202
    activity = emulator.api("GET", deleted.headers["Location"].removeprefix("/v3")).json()
    assert activity["activity_id"] == deleted.json()["activity_id"]
    assert activity["state"] == "completed"
    assert activity["status"]["list_count"] == 1
    tag_id = emulator.export("contact_tags")[0]["tag_id"]
    tag_activity = emulator.api("DELETE", f"/contact_tags/{tag_id}").json()
    listed = emulator.api("GET", "/activities").json()["activities"]
    assert [a["activity_id"] for a in listed[:2]] == [
        tag_activity["activity_id"],
        activity["activity_id"],
    ]


def test_posts_and_polls_are_counted_and_use_quota(emulator_factory: Any) -> None:
    emu = emulator_factory(contacts=20, campaigns=0, daily_limit=10000, activity_seconds=0)
    lists = live_lists(emu)
    emu.access_token()
    before = emu.stats()
    activity = submit(
        emu,
        "contacts_json_import",
        {"import_data": [{"email": "q@example.com"}], "list_ids": lists[:1]},
    )
    wait_for(emu, activity["activity_id"])
    after = emu.stats()
    posts = after["requests"]["POST /v3/activities/contacts_json_import"]
    polls = after["requests"]["GET /v3/activities/{activity_id}"]
    assert posts == 1
    assert polls >= 1
    assert after["quota_used"] - before["quota_used"] == posts + polls


def test_activities_and_export_files_survive_a_restart(
    emulator_factory: Any, tmp_path: Path
) -> None:
    state_file = tmp_path / "state.json"
    emu = emulator_factory(contacts=30, campaigns=0, state_file=state_file, activity_seconds=0)
    export = run(emu, "contact_exports", {"fields": ["email_address"]})
    csv_before = emu.api("GET", export["_links"]["results"]["href"]).text
    emu.faults(activity_seconds=600)
    queued = submit(
        emu,
        "contacts_json_import",
        {"import_data": [{"email": "kept@example.com"}], "list_ids": live_lists(emu)[:1]},
    )
    emu.stop()

    again = emulator_factory(contacts=30, campaigns=0, state_file=state_file, activity_seconds=0)
    kept = again.api("GET", f"/activities/{export['activity_id']}").json()
    assert kept == export
    assert again.api("GET", export["_links"]["results"]["href"]).text == csv_before
    assert wait_for(again, queued["activity_id"])["state"] == "completed"
    assert "kept@example.com" in by_email(again)
