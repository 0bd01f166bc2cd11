"""Full and incremental contact syncs against a live emulator, record by record."""

from __future__ import annotations

import typing as t

import pytest
from tap_harness import assert_contact_matches, canonical, lookback_overlap, run_tap, tap_config

from tap_constantcontact.streams.contacts import ContactsStream
from tap_constantcontact.tap import TapConstantContact

if t.TYPE_CHECKING:
    from pathlib import Path

    from constantcontact_emulator.testing import EmulatorProcess


def test_full_sync_emits_every_contact_once_field_by_field(
    emulator: EmulatorProcess, tmp_path: Path
) -> None:
    emulator.reset()
    before = emulator.stats()["requests"]
    run = run_tap(tap_config(emulator, tmp_path))
    after = emulator.stats()["requests"]

    stored = {c["contact_id"]: c for c in emulator.export("contacts")}
    definitions = emulator.export("custom_fields")
    emitted = run.by_id("contacts", "contact_id")
    assert len(stored) == 1200
    assert emitted.keys() == stored.keys()
    for contact_id, contact in stored.items():
        assert_contact_matches(emitted[contact_id], contact, definitions)
    assert any(r["_sdc_deleted_at"] for r in emitted.values()), "the seed has deleted contacts"
    assert any(r.get("notes") for r in emitted.values())
    assert any(r.get("street_addresses") for r in emitted.values())
    run.assert_records_match_schemas()

    # Budget: 1,200 contacts in 3 pages of 500 plus the `limit=1` count re-check; the custom
    # field definitions once, for both the `cf_` columns and the custom_fields stream.
    calls = {name: after[name] - before.get(name, 0) for name in after}
    assert calls["GET /v3/contacts"] == 4
    assert calls["GET /v3/contact_custom_fields"] == 1
    assert run.bookmark() == max(r["updated_at"] for r in emitted.values())


def test_account_streams_match_the_emulator(emulator: EmulatorProcess, tmp_path: Path) -> None:
    emulator.reset()
    run = run_tap(tap_config(emulator, tmp_path))
    contacts = emulator.export("contacts")

    for stream, key in (
        ("contact_lists", "list_id"),
        ("contact_tags", "tag_id"),
        ("custom_fields", "custom_field_id"),
        ("segments", "segment_id"),
    ):
        stored = {item[key]: dict(item) for item in emulator.export(stream)}
        emitted = run.by_id(stream, key)
        if stream == "segments":  # the API lists live segments only, without their criteria
            stored = {
                k: {f: v for f, v in item.items() if f != "segment_criteria"}
                for k, item in stored.items()
                if not item.get("deleted_at")
            }
        assert emitted.keys() == stored.keys(), stream
        for record_id, item in stored.items():
            record = dict(emitted[record_id])
            if stream == "contact_lists":
                assert record.pop("_sdc_deleted_at") == record["deleted_at"]
                item["deleted_at"] = item.get("deleted_at")
                members = sum(record_id in (c.get("list_memberships") or []) for c in contacts)
                assert record["membership_count"] == members
            if stream == "contact_tags":
                # The API counts live contacts; the export counts deleted ones' taggings too.
                tagged = sum(
                    record_id in (c.get("taggings") or [])
                    for c in contacts
                    if not c.get("deleted_at")
                )
                assert record.pop("contacts_count") == tagged
                item.pop("contacts_count")
            assert canonical(record) == canonical(item), f"{stream} {record_id}"
    assert any(r["deleted_at"] for r in run.records("contact_lists")), "deleted lists come too"
    run.assert_records_match_schemas()


def test_incremental_emits_exactly_the_changes_then_only_thelookback_overlap(
    emulator_factory: t.Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = emulator_factory(contacts=1200)
    config = tap_config(emulator, tmp_path)
    first = run_tap(config)
    assert len(first.records("contacts")) == 1200

    changed = emulator.actions(create=5, update=7, delete=3, unsubscribe=4)
    affected = {i for ids in changed.values() for i in ids}
    assert len(affected) == 19

    second = run_tap(config, state=first.final_state)
    emitted = second.by_id("contacts", "contact_id")
    overlap = lookback_overlap(first.records("contacts"), first.bookmark())
    assert affected <= emitted.keys()
    assert emitted.keys() - affected <= overlap, "only the lookback overlap comes again"

    stored = {c["contact_id"]: c for c in emulator.export("contacts")}
    definitions = emulator.export("custom_fields")
    for contact_id in affected:
        assert_contact_matches(emitted[contact_id], stored[contact_id], definitions)
    for contact_id in changed["deleted"]:
        assert emitted[contact_id]["_sdc_deleted_at"] is not None
    for contact_id in changed["unsubscribed"]:
        email = emitted[contact_id]["email_address"]
        assert email["permission_to_send"] == "unsubscribed"
        assert email["opt_out_date"] is not None
    for contact_id in changed["created"] + changed["updated"]:
        assert emitted[contact_id]["_sdc_deleted_at"] is None
    second.assert_records_match_schemas()
    assert second.bookmark() > first.bookmark()

    third = run_tap(config, state=second.final_state)
    again = {r["contact_id"] for r in third.records("contacts")}
    assert again <= lookback_overlap(second.records("contacts"), second.bookmark())
    assert third.bookmark() == second.bookmark()


def test_a_change_during_the_run_shifting_offset_pages_is_caught_and_nothing_is_lost(
    emulator_factory: t.Callable[..., EmulatorProcess],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator = emulator_factory(contacts=1200, cursor_mode="offset")
    changed: dict[str, list[str]] = {}

    class ChangeAfterFirstPage(ContactsStream):
        """Acts like a person editing contacts while the tap is between pages 1 and 2."""

        def parse_response(self, response):  # type: ignore[no-untyped-def]
            records = super().parse_response(response)
            if not changed:
                changed.update(emulator.actions(update=60, delete=10))
            return records

    class Tap(TapConstantContact):
        def discover_streams(self):  # type: ignore[no-untyped-def]
            streams = super().discover_streams()
            return [ChangeAfterFirstPage(tap=self) if s.name == "contacts" else s for s in streams]

    config = tap_config(emulator, tmp_path)
    with caplog.at_level("WARNING"):
        first = run_tap(config, tap_class=Tap)
    moved = set(changed["updated"]) | set(changed["deleted"])
    emitted_first = first.by_id("contacts", "contact_id")
    assert "reading it again" in caplog.text

    second = run_tap(config, state=first.final_state)
    emitted_second = second.by_id("contacts", "contact_id")

    stored = {c["contact_id"]: c for c in emulator.export("contacts")}
    assert emitted_first.keys() | emitted_second.keys() == stored.keys(), "no contact is lost"
    assert stored.keys() - moved <= emitted_first.keys(), "the re-read caught the shifted ones"
    assert moved <= emitted_second.keys(), "the changes made during a run come next run"
    definitions = emulator.export("custom_fields")
    for contact_id in moved:
        assert_contact_matches(emitted_second[contact_id], stored[contact_id], definitions)
    # The first run's bookmark never passes its frozen upper bound.
    assert first.bookmark() <= min(
        r["updated_at"] for r in emitted_second.values() if r["contact_id"] in moved
    )


def test_a_pass_that_keeps_moving_does_not_advance_the_bookmark(
    emulator_factory: t.Callable[..., EmulatorProcess],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    emulator = emulator_factory(contacts=1200, cursor_mode="offset")

    class ChangeOnEveryPage(ContactsStream):
        def parse_response(self, response):  # type: ignore[no-untyped-def]
            records = super().parse_response(response)
            emulator.actions(update=20)
            return records

    class Tap(TapConstantContact):
        def discover_streams(self):  # type: ignore[no-untyped-def]
            streams = super().discover_streams()
            return [ChangeOnEveryPage(tap=self) if s.name == "contacts" else s for s in streams]

    config = tap_config(emulator, tmp_path)
    state = {
        "bookmarks": {
            "contacts": {
                "replication_key": "updated_at",
                "replication_key_value": "2020-01-01T00:00:00.000Z",
            }
        }
    }
    with caplog.at_level("WARNING"):
        run = run_tap(config, state=state, tap_class=Tap)
    assert "the bookmark is not advanced" in caplog.text
    assert run.bookmark() == "2020-01-01T00:00:00.000Z"
    assert "progress_markers" not in run.final_state["bookmarks"]["contacts"]


def test_deletes_that_do_not_move_updated_at_are_found_by_the_deleted_scan(
    emulator_factory: t.Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = emulator_factory(contacts=1200, delete_touches_updated_at=False)
    config = tap_config(emulator, tmp_path)
    first = run_tap(config)
    assert first.final_state["bookmarks"]["contacts"]["deletes_move_updated_at"] is False

    changed = emulator.actions(delete=3, update=2)
    second = run_tap(config, state=first.final_state)
    emitted = second.by_id("contacts", "contact_id")
    assert set(changed["deleted"]) | set(changed["updated"]) <= emitted.keys()
    stored = {c["contact_id"]: c for c in emulator.export("contacts")}
    definitions = emulator.export("custom_fields")
    for contact_id in changed["deleted"]:
        assert emitted[contact_id]["_sdc_deleted_at"] is not None
        assert_contact_matches(emitted[contact_id], stored[contact_id], definitions)
    today = second.bookmark()[:10]
    extra = emitted.keys() - set(changed["deleted"]) - set(changed["updated"])
    overlap = lookback_overlap(first.records("contacts"), first.bookmark())
    assert all(c in overlap or stored[c].get("deleted_at", "") >= today for c in extra)


def test_deletes_that_move_updated_at_need_no_extra_scan(
    emulator_factory: t.Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = emulator_factory(contacts=1200)
    config = tap_config(emulator, tmp_path)
    first = run_tap(config)
    assert first.final_state["bookmarks"]["contacts"]["deletes_move_updated_at"] is True
    changed = emulator.actions(delete=3)
    before = emulator.stats()["requests"]["GET /v3/contacts"]
    second = run_tap(config, state=first.final_state)
    assert set(changed["deleted"]) <= {r["contact_id"] for r in second.records("contacts")}
    assert emulator.stats()["requests"]["GET /v3/contacts"] - before == 2  # updated + opted out
