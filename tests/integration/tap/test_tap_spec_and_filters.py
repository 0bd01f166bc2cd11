"""Every request the tap sends conforms to the spec; the query filters select the right contacts."""

from __future__ import annotations

import typing as t

import pytest
from singer_sdk.exceptions import ConfigValidationError
from support.openapi import assert_conforms
from tap_harness import lookback_overlap, run_tap, tap_config

if t.TYPE_CHECKING:
    from pathlib import Path

    from constantcontact_emulator.testing import EmulatorProcess


def test_every_request_the_tap_sends_conforms_to_the_spec(
    emulator_factory: t.Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = emulator_factory(contacts=1200, campaigns=8, record_exchanges=True)
    config = tap_config(emulator, tmp_path, tracking_lookback_days=3650)
    first = run_tap(config)
    emulator.actions(create=3, update=3, delete=2, unsubscribe=2)
    emulator.actions(campaign_create=1, campaign_update=1, campaign_delete=1, tracking=20)
    run_tap(config, state=first.final_state)  # the incremental passes: updated_*, optout_*
    lists = [item for item in emulator.export("contact_lists") if not item.get("deleted_at")]
    run_tap(
        {**config, "contacts_list_names": [lists[0]["name"]], "contacts_tag_ids": []},
        state=first.final_state,
    )

    exchanges = [e for e in emulator.exchanges() if e["path"].startswith("/v3/")]
    queries = " ".join(e.get("query", "") for e in exchanges)
    for parameter in (
        "updated_after",
        "updated_before",
        "optout_after",
        "optout_before",
        "include_count",
        "lists=",
        "after_date",
        "before_date",
        "include=physical_address_in_footer",
    ):
        assert parameter in queries, parameter
    paths = {e["path"] for e in exchanges}
    for report in ("sends", "opens", "unique_opens", "clicks", "bounces", "optouts", "forwards"):
        assert any(path.endswith(f"/tracking/{report}") for path in paths), report
    assert "/v3/reports/summary_reports/email_campaign_summaries" in paths
    assert assert_conforms(exchanges) == len(exchanges) > 15


def _ids(run: t.Any) -> set[str]:
    return {r["contact_id"] for r in run.records("contacts")}


def test_list_tag_email_and_status_filters(emulator: EmulatorProcess, tmp_path: Path) -> None:
    emulator.reset()
    contacts = emulator.export("contacts")
    lists = [item for item in emulator.export("contact_lists") if not item.get("deleted_at")]
    tags = emulator.export("contact_tags")
    config = tap_config(emulator, tmp_path)

    by_name = run_tap(
        {**config, "contacts_list_names": [lists[0]["name"].upper(), lists[1]["name"]]}
    )
    wanted = {lists[0]["list_id"], lists[1]["list_id"]}
    assert _ids(by_name) == {
        c["contact_id"] for c in contacts if wanted & set(c.get("list_memberships") or [])
    }

    by_tag = run_tap({**config, "contacts_tag_ids": [tags[0]["tag_id"]]})
    assert _ids(by_tag) == {
        c["contact_id"] for c in contacts if tags[0]["tag_id"] in (c.get("taggings") or [])
    }

    someone = next(c for c in contacts if not c.get("deleted_at"))
    by_email = run_tap({**config, "contacts_email": someone["email_address"]["address"]})
    assert _ids(by_email) == {someone["contact_id"]}

    deleted = run_tap({**config, "contacts_status": ["deleted"]})
    assert _ids(deleted) == {c["contact_id"] for c in contacts if c.get("deleted_at")}
    assert all(r["_sdc_deleted_at"] for r in deleted.records("contacts"))


def test_unknown_list_name_is_a_config_error_naming_it(
    emulator: EmulatorProcess, tmp_path: Path
) -> None:
    with pytest.raises(ConfigValidationError, match="contacts_list_names: 'No such list'"):
        run_tap({**tap_config(emulator, tmp_path), "contacts_list_names": ["No such list"]})


def test_segment_filter_waits_for_processing_and_keeps_the_window(
    emulator_factory: t.Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = emulator_factory(contacts=400)
    segment = emulator.export("segments")[0]
    config = {**tap_config(emulator, tmp_path), "contacts_segment_id": segment["segment_id"]}
    emulator.faults(segment_processing_next=2)
    full = run_tap(config)

    expected = {
        c["contact_id"]
        for c in emulator.api(
            "GET", "/contacts", params={"segment_id": segment["segment_id"], "limit": 500}
        ).json()["contacts"]
    }
    assert expected
    assert _ids(full) == expected
    assert emulator.stats()["by_status"]["202"] == 2

    changed = emulator.actions(update=40)
    incremental = run_tap(config, state=full.final_state)
    in_segment_now = {
        c["contact_id"]
        for c in emulator.api(
            "GET", "/contacts", params={"segment_id": segment["segment_id"], "limit": 500}
        ).json()["contacts"]
    }
    changed_in_segment = set(changed["updated"]) & in_segment_now
    assert changed_in_segment, "some updated contacts are in the segment"
    assert changed_in_segment <= _ids(incremental)
    overlap = lookback_overlap(full.records("contacts"), full.bookmark())
    assert _ids(incremental) - changed_in_segment <= overlap, "the window is kept client-side"
