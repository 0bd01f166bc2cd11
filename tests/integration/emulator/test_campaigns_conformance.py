"""Every campaign and report operation, successes and errors, validated against the official
spec (`openapi3.yaml`, via tests/support/openapi.py): the requests and the responses.

Spec deviations, also listed in docs/spec-deviations.md:
- `POST /emails` answers 200 with the created campaign: that is what the spec documents (not
  the 201 other creates use), so it validates as is.
- Tracking reports always carry `_links` (`{}` on the last page): the spec requires `_links`
  for the optouts and bounces reports, and `{}` is one of the real API's last-page forms.
- Nothing had to be patched in the spec for these operations.
"""

from __future__ import annotations

import pytest
from conftest import EmulatorFactory
from support.openapi import assert_conforms

from constantcontact_emulator.testing import EmulatorProcess

REPORTS = (
    "sends",
    "opens",
    "unique_opens",
    "didnotopens",
    "clicks",
    "forwards",
    "optouts",
    "bounces",
)


@pytest.fixture
def emu(emulator_factory: EmulatorFactory) -> EmulatorProcess:
    return emulator_factory(contacts=1500, campaigns=12, seed=4, record_exchanges=True)


def _campaign(name: str) -> dict[str, object]:
    return {
        "name": name,
        "email_campaign_activities": [
            {
                "format_type": 5,
                "from_name": "Jake Dodge",
                "from_email": "jdodge@example.com",
                "reply_to_email": "jdodge@example.com",
                "subject": "Spring news",
                "preheader": "All the news",
                "html_content": "<html><body>[[trackingImage]]<a href='https://example.com'>x</a></body></html>",
                "physical_address_in_footer": {
                    "address_line1": "123 Maple Street",
                    "city": "Boston",
                    "country_code": "US",
                    "organization_name": "Jake Dodge's Pancakes",
                    "postal_code": "02451",
                    "state_code": "MA",
                },
            }
        ],
    }


def test_campaign_and_report_operations_conform(emu: EmulatorProcess) -> None:
    emu.actions(campaign_send=1, tracking=40)
    campaigns = emu.export("campaigns")
    activities = emu.export("campaign_activities")
    sent = [
        a
        for a in activities
        if a["role"] in ("primary_email", "resend")
        and a["send_history"]
        and a["current_status"] == "DONE"
    ]
    assert sent
    emu.clear_exchanges()
    calls: list[tuple[str, str, int]] = []

    def call(method: str, path: str, status: int, **kwargs: object) -> dict | list | None:
        response = emu.api(method, path, **kwargs)
        assert response.status_code == status, (method, path, response.text[:300])
        calls.append((method, path, status))
        return response.json() if response.content else None

    # /emails
    first = call("GET", "/emails?limit=3", 200)
    assert isinstance(first, dict)
    call("GET", first["_links"]["next"]["href"], 200)
    call("GET", "/emails?after_date=2020-01-01T00:00:00.000Z&before_date=2100-01-01T00:00:00Z", 200)
    call("GET", "/emails?limit=0", 400)
    created = call("POST", "/emails", 200, json=_campaign("Conformance campaign"))
    assert isinstance(created, dict)
    call("POST", "/emails", 409, json=_campaign("Conformance campaign"))
    call("POST", "/emails", 400, json={"name": "No activities"})
    call("POST", "/emails", 415, data="x", headers={"Content-Type": "text/plain"})
    campaign_id = created["campaign_id"]
    call("GET", f"/emails/{campaign_id}", 200)
    call("GET", "/emails/00000000-0000-1000-8000-000000000000", 404)
    call("PATCH", f"/emails/{campaign_id}", 200, json={"name": "Conformance renamed"})
    call("PATCH", f"/emails/{campaign_id}", 409, json={"name": campaigns[0]["name"]})
    call("DELETE", f"/emails/{campaign_id}", 204)
    call("DELETE", f"/emails/{campaign_id}", 404)
    scheduled = next(c for c in campaigns if c["current_status"] == "Scheduled")
    call("DELETE", f"/emails/{scheduled['campaign_id']}", 400)

    # activities
    for activity in activities:
        if activity["current_status"] == "REMOVED":
            continue
        path = f"/emails/activities/{activity['campaign_activity_id']}"
        call("GET", path, 200)
        call(
            "GET",
            f"{path}?include=physical_address_in_footer,permalink_url,html_content,document_properties",
            200,
        )
        call("GET", f"{path}/send_history", 200)
    removed = next(a for a in activities if a["current_status"] == "REMOVED")
    call("GET", f"/emails/activities/{removed['campaign_activity_id']}", 404)
    call("GET", f"/emails/activities/{activities[0]['campaign_activity_id']}?include=nope", 400)

    # tracking reports
    for activity in sent[:3]:
        activity_id = activity["campaign_activity_id"]
        for report in REPORTS:
            page = call(
                "GET", f"/reports/email_reports/{activity_id}/tracking/{report}?limit=5", 200
            )
            assert isinstance(page, dict)
            if page["_links"]:
                call("GET", page["_links"]["next"]["href"], 200)
            call("GET", f"/reports/email_reports/{activity_id}/tracking/{report}", 200)
        clicks = [
            r
            for r in emu.export("tracking")
            if r["campaign_activity_id"] == activity_id
            and r["tracking_activity_type"] == "em_clicks"
        ]
        if clicks:
            call(
                "GET",
                f"/reports/email_reports/{activity_id}/tracking/clicks?url_id={clicks[0]['url_id']}",
                200,
            )
        call(
            "GET",
            f"/reports/email_reports/{activity_id}/tracking/bounces?bounce_code=B&bounce_code=V",
            200,
        )
        call("GET", f"/reports/email_reports/{activity_id}/tracking/bounces?bounce_code=Q", 400)
        call("GET", f"/reports/email_reports/{activity_id}/tracking/opens?limit=501", 400)
        call("GET", f"/reports/email_reports/{activity_id}/links", 200)
        call("GET", f"/reports/email_reports/{activity_id}/links?no_clicks=true", 200)
    call("GET", f"/reports/email_reports/{removed['campaign_activity_id']}/tracking/sends", 404)

    # summaries and stats
    summaries = call("GET", "/reports/summary_reports/email_campaign_summaries?limit=2", 200)
    assert isinstance(summaries, dict)
    call("GET", summaries["_links"]["next"]["href"], 200)
    call("GET", "/reports/summary_reports/email_campaign_summaries", 200)
    call("GET", "/reports/summary_reports/email_campaign_summaries?limit=501", 400)
    ids = ",".join(c["campaign_id"] for c in campaigns)
    call("GET", f"/reports/stats/email_campaigns/{ids}", 200)
    call("GET", f"/reports/stats/email_campaigns/{ids},00000000-0000-1000-8000-000000000000", 404)
    activity_ids = ",".join(a["campaign_activity_id"] for a in activities[:10])
    call("GET", f"/reports/stats/email_campaign_activities/{activity_ids}", 200)
    call("GET", "/reports/stats/email_campaign_activities/nope", 404)

    exchanges = emu.exchanges()
    assert [(x["method"], x["status"]) for x in exchanges] == [(m, s) for m, _, s in calls]
    # invalid requests are sent on purpose above; their answers are still checked
    assert assert_conforms(exchanges, check_failed_requests=False) == len(calls)
