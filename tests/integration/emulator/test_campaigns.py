"""Email campaigns and activities (`/v3/emails*`) against a live emulator, compared with its
stored state (`/_emulator/export/campaigns`, `.../campaign_activities`)."""

from __future__ import annotations

from typing import Any

import pytest
from support.paging import collect

from constantcontact_emulator.testing import EmulatorProcess

LIST_FIELDS = ("campaign_id", "created_at", "current_status", "name", "type", "type_code")


@pytest.fixture(autouse=True)
def fresh(emulator: EmulatorProcess) -> None:
    emulator.reset()


def _newest_first(campaigns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # updated_at strings are all `...:SS.000Z`, so they sort as times; ties: later created first
    order = {c["campaign_id"]: i for i, c in enumerate(campaigns)}
    return sorted(campaigns, key=lambda c: (c["updated_at"], order[c["campaign_id"]]), reverse=True)


def _summary(campaign: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in campaign.items() if k != "campaign_activities"}


def _new_campaign(name: str, **activity: Any) -> dict[str, Any]:
    body = {
        "format_type": 5,
        "from_name": "Jake Dodge",
        "from_email": "jdodge@example.com",
        "reply_to_email": "jdodge@example.com",
        "subject": "Holiday Special Newsletter",
        "html_content": (
            '<html><body>[[trackingImage]] <a href="https://www.example.com/sale">Sale</a>'
            '<a href="https://www.example.com/blog">Blog</a></body></html>'
        ),
        **activity,
    }
    return {"name": name, "email_campaign_activities": [body]}


def test_list_returns_every_campaign_newest_updated_first(emulator: EmulatorProcess) -> None:
    stored = emulator.export("campaigns")
    assert {c["current_status"] for c in stored} >= {"Draft", "Scheduled", "Done", "Removed"}
    records, pages = collect(emulator, "/emails?limit=2", "campaigns")
    assert pages == -(-len(stored) // 2)
    assert records == [_summary(c) for c in _newest_first(stored)]
    assert all(set(r) == {*LIST_FIELDS, "updated_at"} for r in records)
    assert all(r["updated_at"].endswith(".000Z") for r in records)


def test_default_limit_is_50_and_the_limit_is_bounded(emulator: EmulatorProcess) -> None:
    emulator.actions(campaign_create=50)
    body = emulator.api("GET", "/emails").json()
    assert len(body["campaigns"]) == 50
    assert body["_links"]["next"]["href"].startswith("/v3/emails?cursor=")
    assert len(emulator.api("GET", "/emails?limit=500").json()["campaigns"]) == 55
    for bad in ("0", "501", "ten"):
        response = emulator.api("GET", f"/emails?limit={bad}")
        assert response.status_code == 400
        assert "'limit'" in response.json()[0]["error_message"]


def test_after_and_before_date_filter_on_updated_at(emulator: EmulatorProcess) -> None:
    stored = _newest_first(emulator.export("campaigns"))
    pivot = stored[2]["updated_at"]  # after_date is inclusive, before_date exclusive
    after = emulator.api("GET", f"/emails?after_date={pivot}").json()["campaigns"]
    assert [c["campaign_id"] for c in after] == [
        c["campaign_id"] for c in stored if c["updated_at"] >= pivot
    ]
    before = emulator.api("GET", f"/emails?before_date={pivot}").json()["campaigns"]
    assert [c["campaign_id"] for c in before] == [
        c["campaign_id"] for c in stored if c["updated_at"] < pivot
    ]
    low, high = stored[3]["updated_at"], stored[1]["updated_at"]
    window, _ = collect(
        emulator, f"/emails?after_date={low}&before_date={high}&limit=1", "campaigns"
    )
    assert [c["campaign_id"] for c in window] == [
        c["campaign_id"] for c in stored if low <= c["updated_at"] < high
    ]
    response = emulator.api("GET", "/emails?after_date=yesterday")
    assert response.status_code == 400
    assert "after_date" in response.json()[0]["error_message"]


def test_get_campaign_by_id_lists_its_activities(emulator: EmulatorProcess) -> None:
    stored = emulator.export("campaigns")
    activities = {a["campaign_activity_id"]: a for a in emulator.export("campaign_activities")}
    for campaign in stored:
        body = emulator.api("GET", f"/emails/{campaign['campaign_id']}").json()
        assert body == campaign
        roles = [a["role"] for a in body["campaign_activities"]]
        assert roles[:2] == ["primary_email", "permalink"]
        assert set(roles[2:]) <= {"resend"}
        for reference in body["campaign_activities"]:
            assert (
                activities[reference["campaign_activity_id"]]["campaign_id"]
                == campaign["campaign_id"]
            )
    assert any(a["role"] == "resend" for a in activities.values())
    for missing in ("00000000-0000-1000-8000-000000000000", "not-a-campaign"):
        response = emulator.api("GET", f"/emails/{missing}")
        assert response.status_code == 404
        assert response.json()[0]["error_key"] == "contacts.api.not_found"


def test_create_makes_a_draft_with_primary_and_permalink(emulator: EmulatorProcess) -> None:
    response = emulator.api(
        "POST", "/emails", json=_new_campaign("API campaign", preheader="Read this")
    )
    assert response.status_code == 200
    created = response.json()
    assert created["name"] == "API campaign"
    assert created["current_status"] == "Draft"
    assert (created["type"], created["type_code"]) == ("CUSTOM_CODE_EMAIL", 26)
    assert created["created_at"] == created["updated_at"]
    assert [a["role"] for a in created["campaign_activities"]] == ["primary_email", "permalink"]
    assert created in emulator.export("campaigns")
    newest = emulator.api("GET", "/emails?limit=1").json()["campaigns"][0]
    assert newest == _summary(created)
    primary_id = created["campaign_activities"][0]["campaign_activity_id"]
    activity = emulator.api("GET", f"/emails/activities/{primary_id}?include=html_content").json()
    assert activity["current_status"] == "DRAFT"
    assert activity["format_type"] == 5
    assert activity["subject"] == "Holiday Special Newsletter"
    assert activity["preheader"] == "Read this"
    assert activity["html_content"].startswith("<html><body>[[trackingImage]]")
    assert (
        "permalink_url"
        not in emulator.api("GET", f"/emails/activities/{primary_id}?include=permalink_url").json()
    )
    history = emulator.api("GET", f"/emails/activities/{primary_id}/send_history")
    assert (history.status_code, history.json()) == (200, [])


def test_duplicate_name_is_409(emulator: EmulatorProcess) -> None:
    existing = next(c for c in emulator.export("campaigns") if c["current_status"] == "Done")
    response = emulator.api("POST", "/emails", json=_new_campaign(existing["name"].upper()))
    assert response.status_code == 409
    assert response.json()[0]["error_key"] == "contacts.api.conflict"
    assert existing["name"].upper() in response.json()[0]["error_message"]
    # a Removed campaign's name is free again
    removed = next(c for c in emulator.export("campaigns") if c["current_status"] == "Removed")
    assert emulator.api("POST", "/emails", json=_new_campaign(removed["name"])).status_code == 200


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"email_campaign_activities": []}, "'name'"),
        ({"name": "x" * 81, "email_campaign_activities": []}, "'name'"),
        ({"name": "No activity"}, "'email_campaign_activities'"),
        (_new_campaign("Bad format", format_type=3), "email_campaign_activities[0].format_type"),
        (_new_campaign("No image", html_content="<p>hi</p>"), "[[trackingImage]]"),
        (_new_campaign("Bad email", from_email="nope"), "email_campaign_activities[0].from_email"),
        (_new_campaign("No subject", subject=None), "email_campaign_activities[0].subject"),
        (
            _new_campaign("Bad footer", physical_address_in_footer={"address_line1": "1 Main St"}),
            "physical_address_in_footer.country_code",
        ),
    ],
)
def test_create_validation_names_the_field(
    emulator: EmulatorProcess, body: dict[str, Any], named: str
) -> None:
    response = emulator.api("POST", "/emails", json=body)
    assert response.status_code == 400
    assert named in response.json()[0]["error_message"]
    assert len(emulator.export("campaigns")) == 5


def test_create_needs_json(emulator: EmulatorProcess) -> None:
    response = emulator.api(
        "POST", "/emails", data="name=x", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415


def test_rename(emulator: EmulatorProcess) -> None:
    stored = emulator.export("campaigns")
    done = next(c for c in stored if c["current_status"] == "Done")
    response = emulator.api("PATCH", f"/emails/{done['campaign_id']}", json={"name": "Renamed"})
    assert response.status_code == 200
    renamed = response.json()
    assert renamed["name"] == "Renamed"
    assert renamed["updated_at"] > done["updated_at"]
    assert {k: v for k, v in renamed.items() if k not in ("name", "updated_at")} == {
        k: v for k, v in done.items() if k not in ("name", "updated_at")
    }
    assert emulator.api("GET", "/emails?limit=1").json()["campaigns"][0] == _summary(renamed)
    other = next(
        c
        for c in stored
        if c["campaign_id"] != done["campaign_id"] and c["current_status"] != "Removed"
    )
    conflict = emulator.api("PATCH", f"/emails/{done['campaign_id']}", json={"name": other["name"]})
    assert conflict.status_code == 409
    removed = next(c for c in stored if c["current_status"] == "Removed")
    refused = emulator.api("PATCH", f"/emails/{removed['campaign_id']}", json={"name": "Back"})
    assert refused.status_code == 400
    assert "Removed" in refused.json()[0]["error_message"]
    assert emulator.api("PATCH", f"/emails/{done['campaign_id']}", json={}).status_code == 400


def test_delete_removes_but_keeps_listing(emulator: EmulatorProcess) -> None:
    stored = emulator.export("campaigns")
    done = next(c for c in stored if c["current_status"] == "Done")
    response = emulator.api("DELETE", f"/emails/{done['campaign_id']}")
    assert (response.status_code, response.content) == (204, b"")
    after = emulator.api("GET", f"/emails/{done['campaign_id']}").json()
    assert after["current_status"] == "Removed"
    assert after["updated_at"] > done["updated_at"]
    listed = emulator.api("GET", "/emails?limit=1").json()["campaigns"][0]
    assert (listed["campaign_id"], listed["current_status"]) == (done["campaign_id"], "Removed")
    for reference in after["campaign_activities"]:
        activity_id = reference["campaign_activity_id"]
        assert emulator.api("GET", f"/emails/activities/{activity_id}").status_code == 404
        assert (
            emulator.api("GET", f"/emails/activities/{activity_id}/send_history").status_code == 404
        )
    exported = {a["campaign_activity_id"]: a for a in emulator.export("campaign_activities")}
    assert {
        exported[r["campaign_activity_id"]]["current_status"] for r in after["campaign_activities"]
    } == {"REMOVED"}
    assert emulator.api("DELETE", f"/emails/{done['campaign_id']}").status_code == 404


def test_scheduled_campaign_cannot_be_deleted(emulator: EmulatorProcess) -> None:
    scheduled = next(c for c in emulator.export("campaigns") if c["current_status"] == "Scheduled")
    response = emulator.api("DELETE", f"/emails/{scheduled['campaign_id']}")
    assert response.status_code == 400
    assert "Scheduled" in response.json()[0]["error_message"]
    assert emulator.api("GET", f"/emails/{scheduled['campaign_id']}").json() == scheduled


def test_activity_statuses_are_upper_case_and_includes_are_optional(
    emulator: EmulatorProcess,
) -> None:
    stored = {c["campaign_id"]: c for c in emulator.export("campaigns")}
    exported = emulator.export("campaign_activities")
    assert exported
    for activity in exported:
        campaign = stored[activity["campaign_id"]]
        assert activity["current_status"] == campaign["current_status"].upper()
        if activity["current_status"] == "REMOVED":
            continue
        path = f"/emails/activities/{activity['campaign_activity_id']}"
        plain = emulator.api("GET", path).json()
        full = emulator.api(
            "GET",
            f"{path}?include=physical_address_in_footer,permalink_url,html_content,"
            "document_properties",
        ).json()
        history = activity.pop("send_history")
        assert full == activity
        optional = {
            "physical_address_in_footer",
            "permalink_url",
            "html_content",
            "document_properties",
        }
        assert plain == {k: v for k, v in activity.items() if k not in optional}
        assert "physical_address_in_footer" in full
        # a permalink exists once the campaign has been sent
        assert ("permalink_url" in full) == (activity["current_status"] == "DONE")
        assert ("html_content" in full) == (activity["format_type"] in (1, 5))
        expected_history = [] if activity["role"] == "permalink" else history
        assert emulator.api("GET", f"{path}/send_history").json() == expected_history
    response = emulator.api(
        "GET", f"/emails/activities/{exported[0]['campaign_activity_id']}?include=everything"
    )
    assert response.status_code == 400
    assert "include" in response.json()[0]["error_message"]


def test_send_history_of_sent_activities(emulator: EmulatorProcess) -> None:
    tracking = emulator.export("tracking")
    sent = [
        a
        for a in emulator.export("campaign_activities")
        if a["role"] in ("primary_email", "resend") and a["send_history"]
    ]
    assert sent
    for activity in sent:
        (send,) = activity["send_history"]
        sends = [
            t
            for t in tracking
            if t["campaign_activity_id"] == activity["campaign_activity_id"]
            and t["tracking_activity_type"] == "em_sends"
        ]
        if send["send_status"] == "COMPLETED":
            assert send["count"] == len(sends) > 0
            assert send["run_date"] == min(t["created_time"] for t in sends)
            assert send["reason_code"] == 0
        assert send["send_id"] == 1
        assert send["contact_list_ids"] == activity["contact_list_ids"]


def test_campaign_data_scope_is_required(emulator: EmulatorProcess) -> None:
    token = emulator.token_response(emulator.mint_refresh_token("contact_data offline_access"))
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    campaign = emulator.export("campaigns")[0]
    for path in (
        "/emails",
        f"/emails/{campaign['campaign_id']}",
        f"/emails/activities/{campaign['campaign_activities'][0]['campaign_activity_id']}",
        "/reports/summary_reports/email_campaign_summaries",
    ):
        response = emulator.http.get(f"{emulator.api_url}{path}", headers=headers, timeout=30)
        assert response.status_code == 403, path
        assert "campaign_data" in response.json()[0]["error_message"]
