"""A killed run resumes without loss; rotated refresh tokens are kept; a stale config works."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
import typing as t

import pytest
import requests
from tap_harness import run_cli, run_tap, tap_config, write_json

if t.TYPE_CHECKING:
    from pathlib import Path

    from constantcontact_emulator.testing import EmulatorProcess


def test_killed_mid_stream_resumes_from_the_last_state_and_loses_nothing(
    emulator_factory: t.Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = emulator_factory(contacts=1200)
    config = tap_config(emulator, tmp_path)
    first = run_tap(config)
    changed = emulator.actions(update=700)
    assert len(changed["updated"]) == 700

    config_path = write_json(tmp_path / "config.json", config)
    state_path = write_json(tmp_path / "state.json", first.final_state)
    command = [
        sys.executable,
        "-m",
        "tap_constantcontact",
        "--config",
        str(config_path),
        "--state",
        str(state_path),
    ]
    # The pipe fills long before the run ends, so the tap is mid-stream when it is killed.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    last_state = None
    killed_after: list[str] = []
    for line in process.stdout:
        message = json.loads(line)
        if message["type"] == "STATE":
            last_state = message["value"]
        elif message["type"] == "RECORD" and message["stream"] == "contacts":
            killed_after.append(message["record"]["contact_id"])
            if len(killed_after) == 300:
                process.send_signal(signal.SIGKILL)
                break
    process.wait(timeout=60)
    process.stdout.close()
    assert process.returncode == -signal.SIGKILL
    assert last_state is not None
    # Nothing past an unemitted record: the contacts bookmark is still the first run's.
    assert last_state["bookmarks"]["contacts"]["replication_key_value"] == first.bookmark()

    resumed = run_tap(config, state=last_state)
    emitted = resumed.by_id("contacts", "contact_id")
    assert set(changed["updated"]) <= emitted.keys(), "every change comes after the kill"
    stored = {c["contact_id"]: c for c in emulator.export("contacts")}
    for contact_id in changed["updated"]:
        assert emitted[contact_id]["updated_at"][:19] == stored[contact_id]["updated_at"][:19]
    assert resumed.bookmark() > first.bookmark()


def test_rotation_with_short_lived_tokens_keeps_the_newest_refresh_token_0600(
    emulator_factory: t.Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = emulator_factory(contacts=600, access_token_ttl=1, latency_ms=150)
    config = tap_config(emulator, tmp_path, page_size=50)
    original = config["refresh_token"]
    run = run_tap(config)

    assert len(run.records("contacts")) == 600
    assert emulator.stats()["token_requests"] >= 2, "the access token expired during the run"
    store_path = tmp_path / "tokens" / "store.json"
    assert stat.S_IMODE(store_path.stat().st_mode) == 0o600
    stored = json.loads(store_path.read_text())["refresh_token"]
    assert stored != original
    # The stored token is the newest: the emulator still accepts it ...
    assert emulator.token_response(refresh_token=stored)["access_token"]
    # ... and the one the run started with was rotated out.
    with pytest.raises(requests.HTTPError):
        emulator.token_response(refresh_token=original)


def test_a_second_process_with_the_old_config_token_uses_the_newer_store(
    emulator_factory: t.Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = emulator_factory(contacts=50)
    config = tap_config(emulator, tmp_path)
    config_path = write_json(tmp_path / "config.json", config)
    first = run_cli(config_path)
    assert first.returncode == 0, first.stderr[-2000:]
    store = json.loads((tmp_path / "tokens" / "store.json").read_text())
    assert store["refresh_token"] != config["refresh_token"], "the first process rotated it"

    # Same config file, so the same (now stale) refresh token; the store has the newer one.
    second = run_cli(config_path)
    assert second.returncode == 0, second.stderr[-2000:]
    assert len(second.records("contacts")) == 50
    assert "invalid_grant" not in second.stderr
