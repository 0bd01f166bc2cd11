"""Seeded campaigns (`--campaigns M`): deterministic, realistic, and consistent with the seeded
contacts; the state file keeps them."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import EmulatorFactory

from constantcontact_emulator.seed_campaigns import MAX_SENDS_PER_ACTIVITY, TRACKING_WINDOW
from constantcontact_emulator.testing import EmulatorProcess

Row = dict[str, Any]
ANCHOR = 1_750_000_000  # 2025-06-15T15:06:40Z: seeded history ends here


def _time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with EmulatorProcess(
        contacts=3000,
        campaigns=30,
        seed=11,
        rps=0,
        daily_limit=0,
        token_rps=0,
        seed_anchor=ANCHOR,
        workdir=tmp_path_factory.mktemp("seeded"),
    ) as emu:
        yield {
            name: emu.export(name)
            for name in ("contacts", "campaigns", "campaign_activities", "tracking")
        }


def _sent(activities: list[Row]) -> list[Row]:
    return [
        a
        for a in activities
        if a["role"] in ("primary_email", "resend")
        and any(s["send_status"] == "COMPLETED" for s in a["send_history"])
    ]


def _by_activity(tracking: list[Row]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in tracking:
        grouped[row["campaign_activity_id"]].append(row)
    return grouped


def test_same_seed_same_campaigns(emulator_factory: EmulatorFactory) -> None:
    def snapshot(seed: int) -> list[Any]:
        emu = emulator_factory(contacts=600, campaigns=8, seed=seed, seed_anchor=ANCHOR)
        return [emu.export(n) for n in ("campaigns", "campaign_activities", "tracking")]

    first, again, other = snapshot(5), snapshot(5), snapshot(6)
    assert first == again
    assert first[0] != other[0]
    assert first[2] != other[2]


def test_statuses_types_and_formats_vary(seeded: dict[str, Any]) -> None:
    campaigns, activities = seeded["campaigns"], seeded["campaign_activities"]
    assert len(campaigns) == 30
    assert {c["current_status"] for c in campaigns} == {
        "Draft",
        "Scheduled",
        "Done",
        "Removed",
        "Error",
    }
    assert len({c["type_code"] for c in campaigns}) >= 4
    assert {a["format_type"] for a in activities} >= {4, 5}
    assert {a["role"] for a in activities} == {"primary_email", "permalink", "resend"}
    assert len({c["name"].lower() for c in campaigns}) == 30
    for campaign in campaigns:
        assert _time(campaign["created_at"]) <= _time(campaign["updated_at"]) <= ANCHOR
    created = sorted(_time(c["created_at"]) for c in campaigns)
    assert created[-1] - created[0] > 300 * 86400  # spread over time
    errored = [
        a for a in activities if a["current_status"] == "ERROR" and a["role"] == "primary_email"
    ]
    assert errored
    assert all(a["send_history"][0]["send_status"] == "ERRORED" for a in errored)


def test_sends_reach_contacts_that_existed_and_could_be_mailed(seeded: dict[str, Any]) -> None:
    contacts = {c["contact_id"]: c for c in seeded["contacts"]}
    grouped = _by_activity(seeded["tracking"])
    for activity in _sent(seeded["campaign_activities"]):
        (send,) = activity["send_history"]
        run = _time(send["run_date"])
        rows = grouped[activity["campaign_activity_id"]]
        recipients = [r for r in rows if r["tracking_activity_type"] == "em_sends"]
        assert send["count"] == len(recipients) == len({r["contact_id"] for r in recipients})
        assert len(recipients) <= MAX_SENDS_PER_ACTIVITY
        for row in recipients:
            contact = contacts[row["contact_id"]]
            assert _time(contact["created_at"]) <= run
            assert row["email_address"] == contact["email_address"]["address"]
            assert row.get("first_name") == contact.get("first_name")
            assert row.get("deleted_at") == contact.get("deleted_at")
            if "deleted_at" in contact:
                assert contact["deleted_at"] >= send["run_date"][:10]
            email = contact["email_address"]
            if "opt_out_date" in email:
                assert _time(email["opt_out_date"]) > run
            else:
                assert email["permission_to_send"] in ("implicit", "explicit")


def test_engagement_follows_the_send(seeded: dict[str, Any]) -> None:
    grouped = _by_activity(seeded["tracking"])
    kinds: Counter[str] = Counter()
    for activity in _sent(seeded["campaign_activities"]):
        rows = grouped[activity["campaign_activity_id"]]
        sent_at = {
            r["contact_id"]: _time(r["created_time"])
            for r in rows
            if r["tracking_activity_type"] == "em_sends"
        }
        who: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            kind = row["tracking_activity_type"]
            kinds[kind] += 1
            who[kind].add(row["contact_id"])
            when = _time(row["created_time"])
            assert row["contact_id"] in sent_at
            assert sent_at[row["contact_id"]] <= when <= ANCHOR
            assert when - sent_at[row["contact_id"]] <= TRACKING_WINDOW
        assert not who["em_bounces"] & who["em_opens"]
        assert who["em_clicks"] | who["em_forwards"] | who["em_optouts"] <= who["em_opens"]
        assert who["em_didnotopens"] == set(sent_at) - who["em_opens"] - who["em_bounces"]
    assert kinds["em_opens"] > kinds["em_clicks"] > kinds["em_forwards"] > 0
    assert kinds["em_bounces"] > 0
    assert kinds["em_optouts"] > 0
    devices = Counter(
        r.get("device_type")
        for r in seeded["tracking"]
        if r["tracking_activity_type"] == "em_opens"
    )
    assert {"computer", "mobile", "tablet"} <= set(devices)


def test_opt_outs_are_the_contacts_who_unsubscribed(seeded: dict[str, Any]) -> None:
    contacts = {c["contact_id"]: c for c in seeded["contacts"]}
    optouts = [r for r in seeded["tracking"] if r["tracking_activity_type"] == "em_optouts"]
    assert optouts
    assert len({r["contact_id"] for r in optouts}) == len(optouts)  # one opt-out per contact
    for row in optouts:
        email = contacts[row["contact_id"]]["email_address"]
        assert email["permission_to_send"] == "unsubscribed"
        assert email["opt_out_source"] == "Contact"
        assert email["opt_out_date"] == row["created_time"].replace(".000Z", "Z")
        assert row.get("opt_out_reason") == email.get("opt_out_reason")


def test_resend_goes_to_primary_non_openers(seeded: dict[str, Any]) -> None:
    activities = seeded["campaign_activities"]
    grouped = _by_activity(seeded["tracking"])
    resends = [a for a in _sent(activities) if a["role"] == "resend"]
    assert resends
    for resend in resends:
        primary = next(
            a
            for a in activities
            if a["campaign_id"] == resend["campaign_id"] and a["role"] == "primary_email"
        )
        resent_at = resend["send_history"][0]["run_date"]
        assert resent_at > primary["send_history"][0]["run_date"]
        assert resend["subject"].startswith("Reminder: ")
        primary_rows = grouped[primary["campaign_activity_id"]]
        reached_before = {
            r["contact_id"]
            for r in primary_rows
            if r["tracking_activity_type"] in ("em_opens", "em_bounces")
            and r["created_time"] <= resent_at
        }
        recipients = {
            r["contact_id"]
            for r in grouped[resend["campaign_activity_id"]]
            if r["tracking_activity_type"] == "em_sends"
        }
        primary_recipients = {
            r["contact_id"] for r in primary_rows if r["tracking_activity_type"] == "em_sends"
        }
        assert recipients <= primary_recipients - reached_before


def test_big_lists_are_sampled_to_the_cap(emulator_factory: EmulatorFactory) -> None:
    emu = emulator_factory(contacts=20000, campaigns=6, seed=2)
    sent = _sent(emu.export("campaign_activities"))
    counts = [a["send_history"][0]["count"] for a in sent]
    assert max(counts) == MAX_SENDS_PER_ACTIVITY
    summaries = emu.export("campaign_summaries")
    assert max(s["unique_counts"]["sends"] for s in summaries) >= MAX_SENDS_PER_ACTIVITY


def test_empty_and_contactless_accounts(emulator_factory: EmulatorFactory) -> None:
    empty = emulator_factory(contacts=0, campaigns=0)
    assert empty.api("GET", "/emails").json() == {"campaigns": []}
    assert empty.api("GET", "/reports/summary_reports/email_campaign_summaries").json() == {
        "bulk_email_campaign_summaries": [],
        "aggregate_percents": {
            "open": 0.0,
            "click": 0.0,
            "did_not_open": 0.0,
            "bounce": 0.0,
            "unsubscribe": 0.0,
        },
    }
    no_contacts = emulator_factory(contacts=0, campaigns=4)
    assert len(no_contacts.export("campaigns")) == 4
    assert no_contacts.export("tracking") == []
    for activity in _sent(no_contacts.export("campaign_activities")):
        (send,) = activity["send_history"]
        assert (send["count"], send["send_status"], send["reason_code"]) == (0, "COMPLETED", 12)


def test_state_file_keeps_campaigns_and_tracking(
    emulator_factory: EmulatorFactory, tmp_path: Path
) -> None:
    path = tmp_path / "account.json"
    first = emulator_factory(contacts=300, campaigns=5, state_file=path)
    first.actions(campaign_create=1, campaign_send=1, tracking=10)
    names = ("campaigns", "campaign_activities", "tracking", "campaign_summaries")
    before = {n: first.export(n) for n in names}
    first.stop()
    second = emulator_factory(contacts=300, campaigns=5, state_file=path)
    assert {n: second.export(n) for n in names} == before
    created = second.actions(campaign_create=1)["campaigns_created"][0]
    assert created not in {c["campaign_id"] for c in before["campaigns"]}
