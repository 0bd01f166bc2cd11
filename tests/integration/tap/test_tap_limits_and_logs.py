"""Rate limits, retries, the daily quota, and what the logs may not say."""

from __future__ import annotations

import json
import typing as t

from tap_harness import run_cli, run_tap, tap_config, write_json

if t.TYPE_CHECKING:
    from pathlib import Path

    from constantcontact_emulator.testing import EmulatorProcess


def test_against_the_real_4_per_second_limit_no_429_at_all(
    emulator_factory: t.Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = emulator_factory(contacts=1200, rps=4)
    config = tap_config(emulator, tmp_path, requests_per_second=4, page_size=100)
    run = run_tap(config)

    assert len(run.records("contacts")) == 1200
    stats = emulator.stats()
    assert stats["requests"]["GET /v3/contacts"] >= 12  # enough calls to hit the limit
    assert stats["by_status"].get("429", 0) == 0
    assert stats["throttled"] == 0


def test_forced_429s_and_5xx_are_retried(
    emulator_factory: t.Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = emulator_factory(contacts=1200)
    config = tap_config(emulator, tmp_path)
    emulator.faults(throttle_next=2, path_pattern="/contacts")
    throttled = run_tap(config)
    emulator.faults(
        throttle_next=0, fail_next=3, error_statuses=[500, 503], path_pattern="/contacts"
    )
    failed = run_tap(config)

    stats = emulator.stats()
    assert stats["by_status"]["429"] == 2
    assert stats["by_status"].get("500", 0) + stats["by_status"].get("503", 0) == 3
    stored = {c["contact_id"] for c in emulator.export("contacts")}
    assert {r["contact_id"] for r in throttled.records("contacts")} == stored
    assert {r["contact_id"] for r in failed.records("contacts")} == stored


def test_quota_exceeded_stops_with_one_clear_line(
    emulator_factory: t.Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = emulator_factory(contacts=1200, daily_limit=3)
    config_path = write_json(tmp_path / "config.json", tap_config(emulator, tmp_path))
    run = run_cli(config_path)

    assert run.returncode == 1
    last_line = run.stderr.strip().splitlines()[-1]
    assert "quota_exceeded" in last_line
    assert "resets at 00:00 UTC" in last_line
    assert "Traceback" not in run.stderr
    assert "Constant Contact API calls:" in run.stderr, "the usage line after a fatal error"
    stats = emulator.stats()
    assert stats["by_status"]["429"] == 1, "a spent quota is not retried"


def test_no_secrets_or_emails_in_the_logs_at_info(
    emulator_factory: t.Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = emulator_factory(contacts=300, campaigns=6, access_token_ttl=2, latency_ms=100)
    contacts = emulator.export("contacts")
    # Every stream runs, the tracking reports (which list contact emails) included.
    config = tap_config(emulator, tmp_path, page_size=50, tracking_lookback_days=3650)
    # A retried failure and a token refresh put error and auth paths in the log too.
    emulator.faults(fail_next=1, path_pattern="/contacts")
    config_path = write_json(tmp_path / "config.json", config)
    run = run_cli(config_path, env={"LOGLEVEL": "INFO", "PATH": "/usr/bin:/bin"})
    email_filtered = run_cli(
        write_json(
            tmp_path / "config-email.json",
            {**config, "contacts_email": contacts[0]["email_address"]["address"]},
        ),
        env={"LOGLEVEL": "INFO", "PATH": "/usr/bin:/bin"},
    )

    assert run.returncode == 0, run.stderr[-2000:]
    assert len(run.records("contacts")) == 300
    assert run.records("campaign_tracking_sends")
    assert run.records("change_events")
    assert email_filtered.returncode == 0, email_filtered.stderr[-2000:]
    assert len(email_filtered.records("contacts")) == 1
    store = json.loads((tmp_path / "tokens" / "store.json").read_text())
    secrets = [config["client_secret"], config["refresh_token"], store["refresh_token"]]
    secrets += [store["access_token"]]
    logs = run.stderr + email_filtered.stderr
    assert "API calls" in logs
    assert "daily budget left" in logs
    assert "Stream 'campaign_tracking_opens' used" in logs, "API calls per stream"
    for secret in secrets:
        assert secret not in logs
    for contact in contacts:
        assert contact["email_address"]["address"] not in logs
