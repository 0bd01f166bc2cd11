"""Campaigns, activities, summaries and tracking against a live emulator, record by record."""

from __future__ import annotations

import datetime as dt
import typing as t
from collections import Counter

from campaign_oracle import (
    TRACKING_STREAMS,
    as_multiset,
    expected_activities,
    expected_campaign,
    expected_tracking,
    parse,
    tracked_activities,
    without_event_id,
)
from tap_harness import LOOKBACK, canonical, run_tap, tap_config

if t.TYPE_CHECKING:
    from pathlib import Path

    from tap_harness import TapRun

    from constantcontact_emulator.testing import EmulatorProcess

ALL_INCLUDES = (
    "physical_address_in_footer",
    "permalink_url",
    "html_content",
    "document_properties",
)


def campaign_config(emulator: EmulatorProcess, tmp_path: Path, **overrides: t.Any) -> dict:
    # The seeded campaigns were sent over the past two years.
    return tap_config(emulator, tmp_path, tracking_lookback_days=3650, **overrides)


def _calls(before: dict[str, int], after: dict[str, int]) -> Counter[str]:
    return Counter({name: after[name] - before.get(name, 0) for name in after})


def assert_campaign_streams_match(
    run: TapRun, emulator: EmulatorProcess, campaign_ids: t.Collection[str]
) -> None:
    """`campaigns` and `campaign_activities` hold exactly these campaigns, as stored."""
    stored = {c["campaign_id"]: c for c in emulator.export("campaigns")}
    activities = {a["campaign_activity_id"]: a for a in emulator.export("campaign_activities")}
    emitted = run.by_id("campaigns", "campaign_id")
    assert emitted.keys() == set(campaign_ids)
    for campaign_id, record in emitted.items():
        assert canonical(record) == canonical(expected_campaign(stored[campaign_id]))
    expected = [
        activity
        for campaign_id in campaign_ids
        for activity in expected_activities(stored[campaign_id], activities, ALL_INCLUDES)
    ]
    emitted_activities = run.by_id("campaign_activities", "campaign_activity_id")
    assert emitted_activities.keys() == {a["campaign_activity_id"] for a in expected}
    for activity in expected:
        record = emitted_activities[activity["campaign_activity_id"]]
        assert canonical(record) == canonical(activity), activity["campaign_activity_id"]


def test_full_sync_matches_the_emulator_record_by_record(
    emulator_factory: t.Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = emulator_factory(contacts=400, campaigns=10)
    before = emulator.stats()["requests"]
    run = run_tap(campaign_config(emulator, tmp_path))
    calls = _calls(before, emulator.stats()["requests"])

    stored = emulator.export("campaigns")
    assert {c["current_status"] for c in stored} >= {"Draft", "Done", "Removed"}
    assert_campaign_streams_match(run, emulator, [c["campaign_id"] for c in stored])
    removed = [r for r in run.records("campaign_activities") if r["current_status"] == "REMOVED"]
    assert removed, "the seed has a removed campaign: its activities come as tombstones"
    assert all(r["_sdc_deleted_at"] for r in removed)

    summaries = run.by_id("campaign_summaries", "campaign_id")
    exported = {s["campaign_id"]: s for s in emulator.export("campaign_summaries")}
    assert summaries.keys() == exported.keys()
    for campaign_id, summary in exported.items():
        assert canonical(summaries[campaign_id]) == canonical(summary)

    tracked = tracked_activities(emulator)
    expected = expected_tracking(emulator, tracked)
    for stream in TRACKING_STREAMS:
        records = run.records(stream)
        assert records, stream
        assert as_multiset(without_event_id(records)) == as_multiset(expected[stream]), stream
        ids = [r["tracking_event_id"] for r in records]
        assert len(set(ids)) == len(ids), f"{stream}: tracking_event_id is unique"
    run.assert_records_match_schemas()

    # Budget: one /emails page for the stream and one for the tracking index, one detail per
    # campaign (shared by the activities and the tracking streams), one call per live
    # activity, and one page per tracked activity and report.
    removed_campaigns = [c for c in stored if c["current_status"] == "Removed"]
    live_activities = sum(
        len(c["campaign_activities"]) for c in stored if c["current_status"] != "Removed"
    )
    assert calls["GET /v3/emails"] == 2
    assert calls["GET /v3/emails/{campaign_id}"] == len(stored)
    assert calls["GET /v3/emails/activities/{campaign_activity_id}"] == live_activities
    assert removed_campaigns
    for report in ("sends", "opens", "unique_opens", "clicks", "bounces", "optouts"):
        endpoint = f"GET /v3/reports/email_reports/{{campaign_activity_id}}/tracking/{report}"
        assert calls[endpoint] == len(tracked), report
    assert calls["GET /v3/reports/summary_reports/email_campaign_summaries"] == 1


def _tracking_overlap(
    first: TapRun,
    stream: str,
    lookback: dt.timedelta = LOOKBACK,
    activities: t.Collection[str] | None = None,
) -> list[dict[str, t.Any]]:
    """First-run events the second run reads again: within the lookback before their
    partition's bookmark (only for `activities`, when given)."""
    bookmarks = {
        p["context"]["campaign_activity_id"]: parse(p["replication_key_value"])
        for p in first.final_state["bookmarks"][stream].get("partitions", [])
        if p.get("replication_key_value")
    }
    return [
        r
        for r in first.records(stream)
        if r["campaign_activity_id"] in bookmarks
        and parse(r["created_time"]) >= bookmarks[r["campaign_activity_id"]] - lookback
        and (activities is None or r["campaign_activity_id"] in activities)
    ]


def test_incremental_run_emits_exactly_the_new_campaigns_and_events(
    emulator_factory: t.Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = emulator_factory(contacts=400, campaigns=10)
    config = campaign_config(emulator, tmp_path)
    first = run_tap(config)
    before_tracking = {
        stream: {r["tracking_event_id"]: r for r in first.records(stream)}
        for stream in TRACKING_STREAMS
    }

    updated_before = {c["campaign_id"]: c["updated_at"] for c in emulator.export("campaigns")}
    changed = emulator.actions(campaign_create=2, campaign_update=2, campaign_delete=1, tracking=40)
    moved = {
        c["campaign_id"]
        for c in emulator.export("campaigns")
        if updated_before.get(c["campaign_id"]) != c["updated_at"]
    }
    before = emulator.stats()["requests"]
    second = run_tap(config, state=first.final_state)
    calls = _calls(before, emulator.stats()["requests"])

    # Campaigns: the created, updated and deleted ones, plus the lookback overlap.
    bookmark = parse(first.bookmark("campaigns"))
    overlap = {
        r["campaign_id"]
        for r in first.records("campaigns")
        if parse(r["updated_at"]) >= bookmark - LOOKBACK
    }
    touched = {
        *changed["campaigns_created"],
        *changed["campaigns_updated"],
        *changed["campaigns_deleted"],
    }
    assert len(changed["campaigns_created"]) == 2
    assert changed["campaigns_deleted"]
    assert_campaign_streams_match(second, emulator, touched | overlap)
    deleted = second.by_id("campaigns", "campaign_id")[changed["campaigns_deleted"][0]]
    assert deleted["current_status"] == "Removed"
    assert deleted["_sdc_deleted_at"] == deleted["updated_at"]

    # Tracking: exactly the new events, plus each partition's lookback overlap.
    new_events = Counter(
        (e["campaign_activity_id"], e["contact_id"], e["tracking_activity_type"], e["created_time"])
        for e in changed["tracking"]
    )
    assert sum(new_events.values()) > 20
    tracked = tracked_activities(emulator)
    expected = expected_tracking(emulator, tracked)
    for stream in TRACKING_STREAMS:
        emitted = second.records(stream)
        old_ids = set(before_tracking[stream])
        fresh = [r for r in emitted if r["tracking_event_id"] not in old_ids]
        again = [r for r in emitted if r["tracking_event_id"] in old_ids]
        if stream in ("campaign_tracking_unique_opens", "campaign_tracking_didnotopens"):
            continue  # derived reports, checked below
        # Every stored event not seen by the first run is new now, and is emitted.
        seen_first = as_multiset(without_event_id(first.records(stream)))
        new_expected = [r for r in expected[stream] if as_multiset([r])[0] not in set(seen_first)]
        assert as_multiset(without_event_id(fresh)) == as_multiset(new_expected), stream
        # Sends are written by the send: re-read only where the campaign changed since.
        only = (
            {a for a, c in tracked.items() if c in moved}
            if stream == "campaign_tracking_sends"
            else None
        )
        assert as_multiset(again) == as_multiset(
            _tracking_overlap(first, stream, activities=only)
        ), stream
    emitted_new = Counter(
        (r["campaign_activity_id"], r["contact_id"], r["tracking_activity_type"], r["created_time"])
        for stream in TRACKING_STREAMS
        if stream not in ("campaign_tracking_unique_opens", "campaign_tracking_didnotopens")
        for r in second.records(stream)
        if r["tracking_event_id"] not in before_tracking[stream]
    )
    assert canonical_counter(emitted_new) == canonical_counter(new_events)
    opens = {(e[0], e[1]) for e in new_events if e[2] == "em_opens"}
    unique = {
        (r["campaign_activity_id"], r["contact_id"])
        for r in second.records("campaign_tracking_unique_opens")
        if r["tracking_event_id"] not in before_tracking["campaign_tracking_unique_opens"]
    }
    assert unique <= opens
    second.assert_records_match_schemas()

    # Nothing re-read but the new: one page per tracked activity and report; sends only for
    # the campaigns that changed.
    endpoint = "GET /v3/reports/email_reports/{campaign_activity_id}/tracking/opens"
    assert calls[endpoint] == len(tracked)
    sends = "GET /v3/reports/email_reports/{campaign_activity_id}/tracking/sends"
    assert calls[sends] == len({a for a, c in tracked.items() if c in moved})
    assert calls[sends] < len(tracked)


def canonical_counter(counter: Counter[tuple[str, ...]]) -> Counter[tuple[t.Any, ...]]:
    return Counter({tuple(canonical(part) for part in key): n for key, n in counter.items()})


def test_tracking_window_bounds_which_activities_are_polled_and_how_far_back(
    emulator_factory: t.Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = emulator_factory(contacts=300, campaigns=10)
    sent = emulator.actions(campaign_send=1)["campaigns_sent"]
    emulator.actions(tracking=30)
    config = tap_config(emulator, tmp_path, tracking_lookback_days=1)
    before = emulator.stats()["requests"]
    run = run_tap(config)
    calls = _calls(before, emulator.stats()["requests"])

    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=1, minutes=5)
    tracked = tracked_activities(emulator, since=since)
    assert set(tracked.values()) >= set(sent)
    polled = {
        p["context"]["campaign_activity_id"]
        for p in run.final_state["bookmarks"]["campaign_tracking_sends"]["partitions"]
    }
    assert polled == set(tracked)
    assert len(polled) < len(tracked_activities(emulator)), "old campaigns are not polled"
    endpoint = "GET /v3/reports/email_reports/{campaign_activity_id}/tracking/sends"
    assert calls[endpoint] == len(tracked)
    for stream in TRACKING_STREAMS:
        for record in run.records(stream):
            assert record["campaign_activity_id"] in tracked
            assert parse(record["created_time"]) >= since
