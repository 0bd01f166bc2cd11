"""The command line: discovery, the connection test, and one clear line per failure."""

from __future__ import annotations

import json
import subprocess
import sys
import typing as t

import pytest
from tap_harness import run_cli, run_tap, tap_config, write_json

if t.TYPE_CHECKING:
    from pathlib import Path

    from constantcontact_emulator.testing import EmulatorProcess


def _discover(config_path: Path) -> dict[str, t.Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tap_constantcontact", "--config", str(config_path), "--discover"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def test_discover_lists_the_streams_with_keys_and_custom_field_columns(
    emulator: EmulatorProcess, tmp_path: Path
) -> None:
    catalog = _discover(write_json(tmp_path / "config.json", tap_config(emulator, tmp_path)))
    streams = {entry["tap_stream_id"]: entry for entry in catalog["streams"]}

    assert set(streams) == {
        "contacts",
        "contact_lists",
        "contact_tags",
        "custom_fields",
        "segments",
        "campaigns",
        "campaign_activities",
        "campaign_summaries",
        "campaign_tracking_sends",
        "campaign_tracking_opens",
        "campaign_tracking_unique_opens",
        "campaign_tracking_clicks",
        "campaign_tracking_bounces",
        "campaign_tracking_optouts",
        "campaign_tracking_forwards",
        "campaign_tracking_didnotopens",
        "change_events",
    }
    contacts = streams["contacts"]
    assert contacts["key_properties"] == ["contact_id"]
    assert contacts["replication_key"] == "updated_at"
    assert contacts["replication_method"] == "INCREMENTAL"
    properties = contacts["schema"]["properties"]
    for definition in emulator.export("custom_fields"):
        assert f"cf_{definition['name']}" in properties
    assert properties["cf_Loyalty_Points"]["type"] == ["integer", "null"]
    assert properties["cf_Interests"]["type"] == ["array", "null"]
    assert properties["_sdc_deleted_at"]["format"] == "date-time"
    for name in ("contact_lists", "contact_tags", "custom_fields", "segments"):
        assert streams[name]["replication_method"] == "FULL_TABLE"
    assert streams["campaign_summaries"]["replication_method"] == "FULL_TABLE"
    expected_incremental = {
        "campaigns": (["campaign_id"], "updated_at"),
        "campaign_activities": (["campaign_activity_id"], "campaign_updated_at"),
        "campaign_tracking_clicks": (["tracking_event_id"], "created_time"),
        "change_events": (["event_id"], "event_date"),
    }
    for name, (keys, replication_key) in expected_incremental.items():
        assert streams[name]["key_properties"] == keys
        assert streams[name]["replication_key"] == replication_key
        assert streams[name]["replication_method"] == "INCREMENTAL"
    clicks = streams["campaign_tracking_clicks"]["schema"]["properties"]
    assert {"url_id", "link_url", "device_type"} <= set(clicks)
    assert "bounce_code" not in clicks


def _test(config: dict[str, t.Any], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    config_path = write_json(tmp_path / "test-config.json", config)
    return subprocess.run(
        [sys.executable, "-m", "tap_constantcontact", "--config", str(config_path), "--test"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_connection_test_passes_with_good_credentials(
    emulator: EmulatorProcess, tmp_path: Path
) -> None:
    done = _test(tap_config(emulator, tmp_path), tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Connection test passed: token accepted" in done.stderr
    assert "Connection test passed: GET /contact_lists answered" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"client_secret": "wrong"}, "client"),
        ({"refresh_token": "revoked-or-never-issued"}, "invalid_grant"),
    ],
    ids=["bad-client", "revoked-token"],
)
def test_connection_test_names_a_credentials_failure(
    emulator: EmulatorProcess, tmp_path: Path, change: dict[str, str], expected: str
) -> None:
    done = _test({**tap_config(emulator, tmp_path), **change}, tmp_path)
    assert done.returncode == 1
    failures = [line for line in done.stderr.splitlines() if "Connection test FAILED" in line]
    assert len(failures) == 1
    assert expected in failures[0]
    assert "Traceback" not in done.stderr


def test_connection_test_names_a_missing_scope(emulator: EmulatorProcess, tmp_path: Path) -> None:
    config = {
        **tap_config(emulator, tmp_path),
        "refresh_token": emulator.mint_refresh_token("campaign_data account_read offline_access"),
    }
    done = _test(config, tmp_path)
    assert done.returncode == 1
    failures = [line for line in done.stderr.splitlines() if "Connection test FAILED" in line]
    assert len(failures) == 1
    assert "missing scope contact_data" in failures[0]


def test_a_sync_with_bad_credentials_ends_with_one_clear_line(
    emulator: EmulatorProcess, tmp_path: Path
) -> None:
    # `meltano config tap-constantcontact test` runs a sync and shows its last line.
    config = {**tap_config(emulator, tmp_path), "client_secret": "wrong"}
    run = run_cli(write_json(tmp_path / "config.json", config))
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "client" in run.stderr.strip().splitlines()[-1]
    assert run.records("contacts") == []


def test_bad_config_is_one_line_naming_the_setting_before_any_request(
    emulator: EmulatorProcess, tmp_path: Path
) -> None:
    before = emulator.stats()["requests"]
    config = {**tap_config(emulator, tmp_path), "lookback_minutes": "ten"}
    run = run_cli(write_json(tmp_path / "config.json", config))
    assert run.returncode == 1
    assert "lookback_minutes" in run.stderr
    assert "Traceback" not in run.stderr
    assert emulator.stats()["requests"] == before


def test_activate_version_messages_for_full_table_streams_when_asked(
    emulator: EmulatorProcess, tmp_path: Path
) -> None:
    run = run_tap({**tap_config(emulator, tmp_path), "emit_activate_version_messages": True})
    activated = {m["stream"] for m in run.messages if m["type"] == "ACTIVATE_VERSION"}
    assert activated == {
        "contact_lists",
        "contact_tags",
        "custom_fields",
        "segments",
        "campaign_summaries",
    }
    versions = {
        m["version"] for m in run.messages if m["type"] == "RECORD" and m["stream"] == "segments"
    }
    assert len(versions) == 1
    assert None not in versions
