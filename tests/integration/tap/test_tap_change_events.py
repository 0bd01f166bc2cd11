"""`change_events` against a live emulator: classification across runs, the tolerance
boundary, stable ids, and what happens when a source is not selected."""

from __future__ import annotations

import typing as t
from collections import Counter

from campaign_oracle import parse
from tap_harness import run_tap, tap_config

from tap_constantcontact.tap import TapConstantContact

if t.TYPE_CHECKING:
    from pathlib import Path

    from tap_harness import TapRun

    from constantcontact_emulator.testing import EmulatorProcess

ID_FIELDS = {"contacts": "contact_id", "campaigns": "campaign_id", "contact_lists": "list_id"}


def _events(run: TapRun) -> dict[tuple[str, str], dict[str, t.Any]]:
    events = run.records("change_events")
    keys = Counter((e["object_type"], e["object_id"]) for e in events)
    assert all(n == 1 for n in keys.values()), "one event per changed object per run"
    return {(e["object_type"], e["object_id"]): e for e in events}


def _only_in(kind: str, changed: dict[str, list[str]], kinds: t.Iterable[str]) -> set[str]:
    """Ids the action touched in `kind` and in none of the other kinds."""
    others = {i for other in kinds if other != kind for i in changed.get(other, [])}
    return set(changed.get(kind, [])) - others


def test_change_events_classify_creates_updates_and_deletes_across_two_runs(
    emulator_factory: t.Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = emulator_factory(contacts=400, campaigns=8)
    config = tap_config(emulator, tmp_path)
    first = run_tap(config)
    first_events = _events(first)

    # The first run: one event per emitted source record, classified from the record.
    for stream, id_field in ID_FIELDS.items():
        emitted = first.by_id(stream, id_field)
        assert {oid for (kind, oid) in first_events if kind == stream} == set(emitted), stream
    for (kind, _), event in first_events.items():
        record = event["record"]
        if kind == "contacts" and record["_sdc_deleted_at"]:
            assert event["event_type"] == "DELETED"
            assert event["event_date"] == record["_sdc_deleted_at"]
        if kind == "campaigns" and record["current_status"] == "Removed":
            assert event["event_type"] == "DELETED"
    assert {e["event_type"] for e in first_events.values()} == {"CREATED", "UPDATED", "DELETED"}

    contact_kinds = ("created", "updated", "deleted", "unsubscribed")
    changed = emulator.actions(create=4, update=5, delete=3, unsubscribe=3)
    campaign_changes = emulator.actions(campaign_create=2, campaign_update=2, campaign_delete=1)
    second = run_tap(config, state=first.final_state)
    events = _events(second)

    expected_types = {
        **{("contacts", i): "CREATED" for i in _only_in("created", changed, contact_kinds)},
        **{("contacts", i): "UPDATED" for i in _only_in("updated", changed, contact_kinds)},
        **{("contacts", i): "DELETED" for i in _only_in("deleted", changed, contact_kinds)},
        # An unsubscribe leaves updated_at alone: still an UPDATED event, at the opt-out.
        **{("contacts", i): "UPDATED" for i in _only_in("unsubscribed", changed, contact_kinds)},
    }
    campaign_kinds = ("campaigns_created", "campaigns_updated", "campaigns_deleted")
    for kind, event_type in zip(campaign_kinds, ("CREATED", "UPDATED", "DELETED"), strict=True):
        for campaign_id in _only_in(kind, campaign_changes, campaign_kinds):
            expected_types["campaigns", campaign_id] = event_type
    assert len(expected_types) >= 15
    for key, event_type in expected_types.items():
        assert key in events, key
        assert events[key]["event_type"] == event_type, (key, events[key]["event_date"])
    for contact_id in _only_in("unsubscribed", changed, contact_kinds):
        event = events["contacts", contact_id]
        assert event["event_date"] == event["record"]["email_address"]["opt_out_date"]
    for contact_id in _only_in("deleted", changed, contact_kinds):
        event = events["contacts", contact_id]
        assert event["event_date"] == event["record"]["_sdc_deleted_at"]

    # Every other event is the lookback overlap: read again, with the same event id.
    touched = {("contacts", i) for ids in changed.values() for i in ids}
    touched |= {("campaigns", i) for ids in campaign_changes.values() for i in ids}
    for key, event in events.items():
        if key in touched:
            continue
        assert key in first_events, key
        assert event["event_id"] == first_events[key]["event_id"], key
    overlap = [key for key in events if key not in touched]
    assert len(overlap) < len(first_events) / 10, "the second run is incremental"

    # A rerun over the same window gives the same event ids.
    rerun = run_tap(config, state=first.final_state)
    assert {e["event_id"] for e in rerun.records("change_events")} == {
        e["event_id"] for e in events.values()
    }
    second.assert_records_match_schemas()


def _contact_with_gap(emulator: EmulatorProcess) -> tuple[dict[str, t.Any], int]:
    """A live, never unsubscribed contact updated a whole number of seconds after its
    creation, and that gap."""
    best = None
    for contact in emulator.export("contacts"):
        if contact.get("deleted_at") or contact["email_address"].get("opt_out_date"):
            continue
        gap = parse(contact["updated_at"]) - parse(contact["created_at"])
        seconds = gap.total_seconds()
        if seconds >= 2 and seconds == int(seconds) and (best is None or seconds < best[1]):
            best = (contact, int(seconds))
    assert best is not None
    return best


def test_tolerance_boundary_just_inside_is_created_just_outside_is_updated(
    emulator: EmulatorProcess, tmp_path: Path
) -> None:
    emulator.reset()
    contact, gap = _contact_with_gap(emulator)
    base = tap_config(emulator, tmp_path, contacts_email=contact["email_address"]["address"])

    inside = _events(run_tap({**base, "created_check_tolerance_seconds": gap}))
    outside = _events(run_tap({**base, "created_check_tolerance_seconds": gap - 1}))

    created = inside["contacts", contact["contact_id"]]
    updated = outside["contacts", contact["contact_id"]]
    assert created["event_type"] == "CREATED"
    assert parse(created["event_date"]) == parse(contact["created_at"])
    assert updated["event_type"] == "UPDATED"
    assert parse(updated["event_date"]) == parse(contact["updated_at"])
    assert created["event_id"] != updated["event_id"]


def _select(catalog: dict[str, t.Any], streams: t.Collection[str]) -> dict[str, t.Any]:
    for entry in catalog["streams"]:
        for metadata in entry["metadata"]:
            if metadata["breadcrumb"] == []:
                metadata["metadata"]["selected"] = entry["tap_stream_id"] in streams
    return catalog


def test_an_unselected_source_gives_no_events_and_is_not_read(
    emulator: EmulatorProcess, tmp_path: Path, caplog: t.Any
) -> None:
    emulator.reset()
    config = tap_config(emulator, tmp_path)
    catalog = _select(
        TapConstantContact(config=config).catalog_dict, ["campaigns", "change_events"]
    )
    before = emulator.stats()["requests"]
    run = run_tap(config, catalog=catalog)
    after = emulator.stats()["requests"]

    kinds = {e["object_type"] for e in run.records("change_events")}
    assert kinds == {"campaigns"}
    assert after.get("GET /v3/contacts", 0) == before.get("GET /v3/contacts", 0)
    assert "no events for contact_lists, contacts: not selected" in caplog.text
    assert {m["stream"] for m in run.messages if m["type"] == "RECORD"} == {
        "campaigns",
        "change_events",
    }


def test_events_without_the_source_records_through_a_stream_map(
    emulator: EmulatorProcess, tmp_path: Path
) -> None:
    emulator.reset()
    config = {**tap_config(emulator, tmp_path), "stream_maps": {"contacts": None}}
    catalog = _select(TapConstantContact(config=config).catalog_dict, ["contacts", "change_events"])
    run = run_tap(config, catalog=catalog)

    assert run.records("contacts") == []
    events = run.records("change_events")
    assert len(events) == len(emulator.export("contacts"))
    assert run.bookmark("contacts") is not None, "the source's bookmark moves"
    assert {e["record"]["contact_id"] for e in events} == {
        c["contact_id"] for c in emulator.export("contacts")
    }
