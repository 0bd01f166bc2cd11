"""Campaign kinds of `POST /_emulator/actions`: UI-like changes, visible through the API."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import requests
from support.paging import collect

from constantcontact_emulator.testing import EmulatorProcess


@pytest.fixture(autouse=True)
def fresh(emulator: EmulatorProcess) -> None:
    emulator.reset()


def _latest_update(emu: EmulatorProcess) -> str:
    return max(c["updated_at"] for c in emu.export("campaigns"))


def test_create_update_delete_are_exactly_what_after_date_returns(
    emulator: EmulatorProcess,
) -> None:
    before = {c["campaign_id"]: c for c in emulator.export("campaigns")}
    bookmark = _latest_update(emulator)
    result = emulator.actions(campaign_create=2, campaign_update=2, campaign_delete=1)
    assert {k: len(v) for k, v in result.items()} == {
        "campaigns_created": 2,
        "campaigns_updated": 2,
        "campaigns_deleted": 1,
    }
    # after_date is inclusive: exclude what was already at the bookmark
    changed = [
        c
        for c in collect(emulator, f"/emails?after_date={bookmark}", "campaigns")[0]
        if c["updated_at"] > bookmark
    ]
    affected = {
        *result["campaigns_created"],
        *result["campaigns_updated"],
        *result["campaigns_deleted"],
    }
    assert {c["campaign_id"] for c in changed} == affected
    now = {c["campaign_id"]: c for c in emulator.export("campaigns")}
    for campaign_id in result["campaigns_created"]:
        assert campaign_id not in before
        created = now[campaign_id]
        assert created["current_status"] == "Draft"
        assert created["created_at"] == created["updated_at"]
        assert [a["role"] for a in created["campaign_activities"]] == ["primary_email", "permalink"]
    for campaign_id in result["campaigns_updated"]:
        old, new = before.get(campaign_id) or now[campaign_id], now[campaign_id]
        assert new["updated_at"] > bookmark
        if campaign_id in result["campaigns_deleted"]:
            continue
        if old["current_status"] != "Draft":
            assert new["name"] != old["name"]
    (deleted,) = result["campaigns_deleted"]
    assert now[deleted]["current_status"] == "Removed"
    assert before.get(deleted, {}).get("current_status") not in ("Scheduled", "Removed")


def test_send_makes_sends_and_did_not_opens_now(emulator: EmulatorProcess) -> None:
    drafts = {
        c["campaign_id"] for c in emulator.export("campaigns") if c["current_status"] == "Draft"
    }
    bookmark = _latest_update(emulator)
    result = emulator.actions(campaign_send=2)
    sent = result["campaigns_sent"]
    assert len(sent) == 2
    assert drafts <= set(sent)  # the seeded Draft is sent; one more Draft is created for it
    contacts = {c["contact_id"]: c for c in emulator.export("contacts")}
    for campaign_id in sent:
        campaign = emulator.api("GET", f"/emails/{campaign_id}").json()
        assert campaign["current_status"] == "Done"
        assert campaign["updated_at"] > bookmark
        primary = campaign["campaign_activities"][0]["campaign_activity_id"]
        activity = emulator.api("GET", f"/emails/activities/{primary}?include=permalink_url").json()
        assert activity["current_status"] == "DONE"
        assert activity["permalink_url"].startswith("https://conta.cc/")
        (history,) = emulator.api("GET", f"/emails/activities/{primary}/send_history").json()
        sends, _ = collect(
            emulator, f"/reports/email_reports/{primary}/tracking/sends", "tracking_activities"
        )
        assert history["count"] == len(sends) > 0
        assert history["contact_list_ids"] == activity["contact_list_ids"]
        # every recipient is a sendable member of the campaign's lists
        for row in sends:
            contact = contacts[row["contact_id"]]
            assert set(contact["list_memberships"]) & set(activity["contact_list_ids"])
            assert contact["email_address"]["permission_to_send"] in ("implicit", "explicit")
            assert "deleted_at" not in contact
            assert row["email_address"] == contact["email_address"]["address"]
        did_not_open, _ = collect(
            emulator,
            f"/reports/email_reports/{primary}/tracking/didnotopens",
            "tracking_activities",
        )
        assert [r["contact_id"] for r in did_not_open] == [r["contact_id"] for r in sends]
        assert [r["created_time"] for r in did_not_open] == [r["created_time"] for r in sends]
        summary = emulator.api("GET", f"/reports/stats/email_campaigns/{campaign_id}").json()
        assert summary["results"][0]["stats"]["em_sends"] == len(sends)
        assert summary["results"][0]["stats"]["em_not_opened"] == len(sends)


def _reports(emu: EmulatorProcess, activity_id: str) -> dict[str, list[dict[str, Any]]]:
    return {
        report: collect(
            emu, f"/reports/email_reports/{activity_id}/tracking/{report}", "tracking_activities"
        )[0]
        for report in ("sends", "opens", "clicks", "forwards", "optouts", "bounces", "didnotopens")
    }


def test_tracking_adds_events_now_at_the_top_of_the_reports(emulator: EmulatorProcess) -> None:
    emulator.actions(campaign_send=1)
    sent = [
        a
        for a in emulator.export("campaign_activities")
        if a["role"] in ("primary_email", "resend")
        and a["send_history"]
        and a["current_status"] == "DONE"
    ]
    before = {
        a["campaign_activity_id"]: _reports(emulator, a["campaign_activity_id"]) for a in sent
    }
    stats_before = {
        a["campaign_activity_id"]: emulator.api(
            "GET", f"/reports/stats/email_campaign_activities/{a['campaign_activity_id']}"
        ).json()["results"][0]["stats"]
        for a in sent
    }
    result = emulator.actions(tracking=60)
    events = result["tracking"]
    assert len(events) == 60
    kinds = Counter(e["tracking_activity_type"] for e in events)
    assert {"em_opens", "em_clicks"} <= set(kinds)
    assert set(kinds) <= {"em_opens", "em_clicks", "em_forwards", "em_bounces", "em_optouts"}
    touched = {e["campaign_activity_id"] for e in events}
    assert 1 <= len(touched) <= 3
    for activity_id in touched:
        mine = [e for e in events if e["campaign_activity_id"] == activity_id]
        after = _reports(emulator, activity_id)
        old = before[activity_id]
        for report, rows in after.items():
            if report in ("sends", "didnotopens"):
                continue
            new = [e for e in mine if e["tracking_activity_type"] == f"em_{report}"]
            # the new events are on top (newest first, the last recorded first), then the old ones
            assert rows[len(new) :] == old[report]
            assert [(r["contact_id"], r["created_time"]) for r in rows[: len(new)]] == [
                (e["contact_id"], e["created_time"]) for e in reversed(new)
            ]
        opened_or_bounced = {r["contact_id"] for r in after["opens"] + after["bounces"]}
        assert [r["contact_id"] for r in after["didnotopens"]] == [
            r["contact_id"] for r in after["sends"] if r["contact_id"] not in opened_or_bounced
        ]
        stats = emulator.api(
            "GET", f"/reports/stats/email_campaign_activities/{activity_id}"
        ).json()["results"][0]["stats"]
        assert stats["em_opens_all"] == stats_before[activity_id]["em_opens_all"] + sum(
            1 for e in mine if e["tracking_activity_type"] == "em_opens"
        )
        assert stats["em_opens"] == len({r["contact_id"] for r in after["opens"]})
        assert stats["em_not_opened"] == len(after["didnotopens"])
        # no opens after a bounce, clicks and forwards only by openers
        openers = {r["contact_id"] for r in after["opens"]}
        assert {r["contact_id"] for r in after["clicks"] + after["forwards"]} <= openers
        assert not {r["contact_id"] for r in after["bounces"]} & openers


def test_tracking_opt_out_unsubscribes_the_contact(emulator: EmulatorProcess) -> None:
    emulator.actions(campaign_send=1)
    result = emulator.actions(tracking=150)
    optouts = [e for e in result["tracking"] if e["tracking_activity_type"] == "em_optouts"]
    assert optouts
    contacts = {c["contact_id"]: c for c in emulator.export("contacts")}
    for event in optouts:
        email = contacts[event["contact_id"]]["email_address"]
        assert email["permission_to_send"] == "unsubscribed"
        assert email["opt_out_source"] == "Contact"
        assert email["opt_out_date"] == event["created_time"].replace(".000Z", "Z")
    first = min(e["created_time"] for e in optouts).replace(".000Z", "Z")
    opted = emulator.api("GET", f"/contacts?optout_after={first}&limit=500").json()["contacts"]
    assert {e["contact_id"] for e in optouts} <= {c["contact_id"] for c in opted}


def test_tracking_without_sent_campaigns_adds_nothing(emulator: EmulatorProcess) -> None:
    emulator.reset(campaigns=0)
    try:
        assert emulator.actions(tracking=5) == {"tracking": []}
        result = emulator.actions(campaign_create=1, campaign_send=1, tracking=3)
        assert result["campaigns_sent"] == result["campaigns_created"]
        assert len(result["tracking"]) == 3
        assert {e["campaign_id"] for e in result["tracking"]} == set(result["campaigns_sent"])
    finally:
        emulator.reset(campaigns=5)


def test_bad_counts_are_400(emulator: EmulatorProcess) -> None:
    for body in ({"campaign_send": -1}, {"tracking": "3"}, {"campaign_explode": 1}):
        response = requests.post(f"{emulator.base_url}/_emulator/actions", json=body, timeout=30)
        assert response.status_code == 400
