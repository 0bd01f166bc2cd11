"""`poll_resources` end to end against a live emulator, and malformed entries."""

from __future__ import annotations

import typing as t

import pytest
from campaign_oracle import parse
from singer_sdk.exceptions import ConfigValidationError
from support.openapi import assert_conforms
from tap_harness import LOOKBACK, canonical, run_cli, run_tap, tap_config, write_json

from tap_constantcontact.tap import TapConstantContact

if t.TYPE_CHECKING:
    from pathlib import Path

    from constantcontact_emulator.testing import EmulatorProcess

POLL_RESOURCES = [
    {  # no date filter: read whole, the window kept client-side
        "name": "polled_lists",
        "path": "/contact_lists",
        "records_key": "lists",
        "id_field": "list_id",
        "updated_date_field": "updated_at",
        "created_date_field": "created_at",
        "deleted_date_field": "deleted_at",
        "params": {"status": "all", "include_membership_count": "all"},
    },
    {  # SAP-style formats, both bounds filtered by the API, small pages
        "name": "polled_campaigns",
        "path": "/emails",
        "records_key": "campaigns",
        "id_field": "campaign_id",
        "updated_date_field": "updated_at",
        "updated_date_format": "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'",
        "created_date_field": "created_at",
        "timezone": "UTC",
        "date_filter_param": "after_date",
        "upper_filter_param": "before_date",
        "date_filter_format": "yyyy-MM-dd'T'HH:mm:ss'Z'",
        "page_size": 3,
    },
    {  # a report endpoint: "changed" means sent again
        "name": "email_summaries",
        "path": "/reports/summary_reports/email_campaign_summaries",
        "records_key": "bulk_email_campaign_summaries",
        "id_field": "campaign_id",
        "updated_date_field": "last_sent_date",
    },
]


def _by_id(items: list[dict[str, t.Any]], key: str) -> dict[str, dict[str, t.Any]]:
    return {item[key]: item for item in items}


def test_poll_resources_end_to_end(
    emulator_factory: t.Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = emulator_factory(contacts=300, campaigns=10, record_exchanges=True)
    config = tap_config(emulator, tmp_path, poll_resources=POLL_RESOURCES)
    first = run_tap(config)

    lists = _by_id(emulator.export("contact_lists"), "list_id")
    campaigns = {
        c["campaign_id"]: {k: v for k, v in c.items() if k != "campaign_activities"}
        for c in emulator.export("campaigns")
    }
    summaries = _by_id(emulator.export("campaign_summaries"), "campaign_id")
    polled_lists = first.by_id("polled_lists", "list_id")
    assert polled_lists.keys() == lists.keys()
    for list_id, record in polled_lists.items():
        expected = {**lists[list_id], "_sdc_deleted_at": lists[list_id].get("deleted_at")}
        expected.setdefault("deleted_at", None)
        assert canonical(record) == canonical(expected)
    assert any(r["_sdc_deleted_at"] for r in polled_lists.values())
    polled = first.by_id("polled_campaigns", "campaign_id")
    assert {k: canonical(v) for k, v in polled.items()} == canonical(campaigns)
    reports = first.by_id("email_summaries", "campaign_id")
    assert {k: canonical(v) for k, v in reports.items()} == canonical(summaries)
    first.assert_records_match_schemas()

    events = [e for e in first.records("change_events") if e["object_type"] == "polled_lists"]
    deleted = {i for i, item in lists.items() if item.get("deleted_at")}
    assert {e["object_id"] for e in events} == set(lists)
    assert {e["object_id"] for e in events if e["event_type"] == "DELETED"} == deleted
    summary_events = [
        e for e in first.records("change_events") if e["object_type"] == "email_summaries"
    ]
    assert {e["event_type"] for e in summary_events} == {"UPDATED"}  # no created date

    changed = emulator.actions(campaign_create=1, campaign_update=2)
    sent = emulator.actions(campaign_send=1)["campaigns_sent"]
    second = run_tap(config, state=first.final_state)

    touched = {*changed["campaigns_created"], *changed["campaigns_updated"], *sent}
    overlap = {
        campaign_id
        for campaign_id, record in polled.items()
        if parse(record["updated_at"]) >= parse(first.bookmark("polled_campaigns")) - LOOKBACK
    }
    assert set(second.by_id("polled_campaigns", "campaign_id")) == touched | overlap
    summary_overlap = {
        campaign_id
        for campaign_id, record in reports.items()
        if parse(record["last_sent_date"]) >= parse(first.bookmark("email_summaries")) - LOOKBACK
    }
    assert set(second.by_id("email_summaries", "campaign_id")) == set(sent) | summary_overlap
    lists_overlap = {
        list_id
        for list_id, record in polled_lists.items()
        if parse(record["updated_at"]) >= parse(first.bookmark("polled_lists")) - LOOKBACK
    }
    assert set(second.by_id("polled_lists", "list_id")) == lists_overlap
    second_events = {
        e["object_id"]: e
        for e in second.records("change_events")
        if e["object_type"] == "polled_campaigns"
    }
    for campaign_id in changed["campaigns_created"]:
        assert second_events[campaign_id]["event_type"] == "CREATED"

    exchanges = [e for e in emulator.exchanges() if e["path"].startswith("/v3/")]
    polled_queries = [e["query"] for e in exchanges if e["path"] == "/v3/emails"]
    assert any("before_date=" in q and "after_date=" in q for q in polled_queries)
    assert assert_conforms(exchanges) == len(exchanges)


def test_schema_is_inferred_once_and_taken_from_the_catalog_afterwards(
    emulator: EmulatorProcess, tmp_path: Path
) -> None:
    emulator.reset()
    config = tap_config(emulator, tmp_path, poll_resources=POLL_RESOURCES[:1])
    before = emulator.stats()["requests"].get("GET /v3/contact_lists", 0)
    catalog = TapConstantContact(config=config).catalog_dict
    after_discovery = emulator.stats()["requests"]["GET /v3/contact_lists"]
    schema = next(e for e in catalog["streams"] if e["tap_stream_id"] == "polled_lists")["schema"]
    assert schema["properties"]["updated_at"] == {"type": ["string", "null"], "format": "date-time"}
    assert schema["properties"]["membership_count"]["type"] == ["integer", "null"]
    assert schema["properties"]["_sdc_deleted_at"]["format"] == "date-time"
    assert after_discovery == before + 1, "one sample page at discovery"

    run_tap(config, catalog=catalog)
    calls = emulator.stats()["requests"]["GET /v3/contact_lists"] - after_discovery
    assert calls == 2, "the contact_lists stream and the poll stream; no sample call"


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"path": "/contact_lists"}, "poll_resources[1] (bad): records_key: required"),
        (
            {"updated_date_format": "yyyy-QQ-dd"},
            "poll_resources[1] (bad): updated_date_format: pattern letter 'QQ'",
        ),
        ({"timezone": "Mars/Olympus"}, "poll_resources[1] (bad): timezone: 'Mars/Olympus'"),
        ({"page_size": "ten"}, "poll_resources[1] (bad): page_size: expected an integer"),
        ({"path": "https://evil.example/x"}, "poll_resources[1] (bad): path:"),
        ({"name": "contacts"}, "poll_resources[1] (contacts): name: 'contacts' is a built-in"),
        ({"updated_date_fild": "x"}, "poll_resources[1] (bad): updated_date_fild: unknown field"),
    ],
    ids=["missing", "format", "timezone", "page-size", "absolute-path", "built-in", "typo"],
)
def test_a_malformed_entry_is_one_line_naming_the_entry_and_field(
    emulator: EmulatorProcess, tmp_path: Path, entry: dict[str, t.Any], message: str
) -> None:
    bad = {
        "name": "bad",
        "path": "/contact_tags",
        "records_key": "tags",
        "id_field": "tag_id",
        "updated_date_field": "updated_at",
    }
    if "path" in entry and len(entry) == 1 and entry["path"] == "/contact_lists":
        del bad["records_key"]
    bad.update({k: v for k, v in entry.items() if not (k == "path" and v == "/contact_lists")})
    config = tap_config(emulator, tmp_path, poll_resources=[POLL_RESOURCES[0], bad])
    with pytest.raises(ConfigValidationError) as raised:
        TapConstantContact(config=config)
    assert message in raised.value.errors[0]

    before = emulator.stats()["requests"]
    run = run_cli(write_json(tmp_path / "config.json", config))
    assert run.returncode == 1
    assert message in run.stderr
    assert "Traceback" not in run.stderr
    assert emulator.stats()["requests"] == before, "no request before the config is valid"
