"""The `target-constantcontact` command: `_sdc_deleted_at` with default settings, logs without
emails or secrets, the summary line, exit codes and STATE."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from target_harness import flat_messages, target_config

EXECUTABLE = str(Path(sys.executable).with_name("target-constantcontact"))


def run_cli(config: dict, messages: list[dict], tmp_path: Path) -> subprocess.CompletedProcess:
    config_path = tmp_path / "target-config.json"
    config_path.write_text(json.dumps(config))
    return subprocess.run(
        [EXECUTABLE, "--config", str(config_path)],
        input="".join(json.dumps(message) + "\n" for message in messages),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_cli_deletes_by_sdc_deleted_at_and_keeps_emails_out_of_logs(
    emulator_factory, tmp_path
) -> None:
    emu = emulator_factory(contacts=0, campaigns=0)
    # default settings: no add_record_metadata, so the SDK would strip _sdc_* columns
    config = target_config(emu, tmp_path, create_missing_definitions=True)
    secrets = [config["client_secret"], config["refresh_token"]]
    created = run_cli(
        config,
        [
            *flat_messages(
                [
                    {"email_address": "keep.me@example.com", "list_names": ["Main"]},
                    {"email_address": "remove.me@example.com", "list_names": ["Main"]},
                ]
            ),
            {"type": "STATE", "value": {"bookmarks": {"contacts": 1}}},
        ],
        tmp_path,
    )
    assert created.returncode == 0, created.stderr
    assert [json.loads(line) for line in created.stdout.splitlines()] == [
        {"bookmarks": {"contacts": 1}}
    ]

    deleted = run_cli(
        config,
        [
            *flat_messages(
                [
                    {
                        "email_address": "remove.me@example.com",
                        "_sdc_deleted_at": "2026-01-01T00:00:00Z",
                    },
                    {"email_address": "broken-address"},
                ]
            ),
            {"type": "STATE", "value": {"bookmarks": {"contacts": 2}}},
        ],
        tmp_path,
    )
    # one failed record and max_failed_records 0: exit 1, a clear line, no STATE
    assert deleted.returncode == 1
    assert "1 records failed, more than max_failed_records=0" in deleted.stderr
    assert deleted.stdout.strip() == ""
    stored = {c["email_address"]["address"]: c for c in emu.export("contacts")}
    assert stored["remove.me@example.com"].get("deleted_at")
    assert not stored["keep.me@example.com"].get("deleted_at")

    ledger = [json.loads(line) for line in Path(config["results_path"]).read_text().splitlines()]
    assert [(line["key"], line["outcome"]) for line in ledger] == [
        ("keep.me@example.com", "created"),
        ("remove.me@example.com", "created"),
        ("remove.me@example.com", "deleted"),
        ("broken-address", "failed"),
    ]
    assert Path(config["results_path"]).stat().st_mode & 0o777 == 0o600

    for run in (created, deleted):
        assert "Summary:" in run.stderr
        for text in ("keep.me@", "remove.me@", "broken-address", *secrets):
            assert text not in run.stderr
    assert "created=2" in created.stderr
    assert "deleted=1" in deleted.stderr
    assert "failed=1" in deleted.stderr


def test_cli_unknown_stream_is_a_clear_error(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(contacts=0, campaigns=0)
    result = run_cli(
        target_config(emu, tmp_path),
        [
            {
                "type": "SCHEMA",
                "stream": "segments",
                "schema": {"properties": {}},
                "key_properties": [],
            }
        ],
        tmp_path,
    )
    assert result.returncode == 1
    assert "Stream 'segments' is not one the target writes" in result.stderr
    assert "unknown_streams: ignore" in result.stderr


def test_cli_bad_settings_each_named_before_any_call(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(contacts=0, campaigns=0)
    config = target_config(emu, tmp_path, actions={"contacts": "merge"}, default_list_id="a")
    config["default_list_name"] = "b"
    before = emu.stats()["requests"]
    result = run_cli(config, flat_messages([{"email_address": "a@example.com"}]), tmp_path)
    assert result.returncode == 1
    assert "actions.contacts: 'merge' is not one of" in result.stderr
    assert "default_list_id and default_list_name: set one of them" in result.stderr
    assert emu.stats()["requests"] == before
