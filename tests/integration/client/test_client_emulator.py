"""The client against a live emulator process: tokens, limits, retries, errors, logs."""

from __future__ import annotations

import json
import logging
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from constantcontact_client import (
    ConflictError,
    ConstantContactClient,
    CredentialsError,
    QuotaExceededError,
    ScopeError,
    TokenStore,
)
from constantcontact_emulator.testing import EmulatorProcess

Factory = Callable[..., EmulatorProcess]


def client_config(emu: EmulatorProcess, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    return emu.config | {"token_store_path": str(tmp_path / "state" / "token.json")} | overrides


def stored_refresh_token(config: dict[str, Any]) -> str:
    token = TokenStore(config["token_store_path"]).read()
    assert token is not None
    assert token.refresh_token
    return token.refresh_token


def api_stats(emu: EmulatorProcess) -> dict[str, Any]:
    return emu.stats()


def test_token_from_token_url_and_calls_counted_like_the_server(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    emu = emulator_factory(contacts=30, campaigns=0)
    config = client_config(emu, tmp_path)
    with ConstantContactClient(config) as client:
        contacts = list(
            client.paginate(
                "/contacts", params={"limit": 7, "status": "all"}, records_key="contacts"
            )
        )
        usage = client.usage.calls_by_endpoint_status
    exported = emu.export("contacts")
    assert sorted(c["contact_id"] for c in contacts) == sorted(c["contact_id"] for c in exported)
    stats = api_stats(emu)
    assert stats["token_requests"] == 1
    assert usage == stats["by_endpoint_status"] == {"GET /v3/contacts": {"200": 5}}
    path = Path(config["token_store_path"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stored_refresh_token(config) != config["refresh_token"]  # rotated and saved


@pytest.mark.slow
def test_refresh_near_expiry_keeps_the_newest_refresh_token(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    emu = emulator_factory(contacts=5, campaigns=0, rps=4, access_token_ttl=2)
    config = client_config(emu, tmp_path)
    seen_refresh_tokens = set()
    with ConstantContactClient(config) as client:
        for _ in range(16):  # about 4 s at 4 requests/s: the 2 s token expires twice
            client.request("GET", "/contact_lists")
            seen_refresh_tokens.add(stored_refresh_token(config))
        refreshes = client.usage.token_refreshes
    stats = api_stats(emu)
    assert refreshes >= 2
    assert stats["token_requests"] == refreshes
    assert stats["by_status"] == {"200": 16}  # refreshed ahead of expiry: no 401
    assert stat.S_IMODE(Path(config["token_store_path"]).stat().st_mode) == 0o600
    newest = stored_refresh_token(config)
    for old in seen_refresh_tokens - {newest}:
        with pytest.raises(Exception, match="400"):
            emu.token_response(refresh_token=old)  # rotated out
    assert emu.token_response(refresh_token=newest)["access_token"]  # the store has the live one


def test_second_process_with_old_config_token_uses_the_newer_store(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    emu = emulator_factory(contacts=5, campaigns=0)
    config = client_config(emu, tmp_path)
    with ConstantContactClient(config) as first:
        first.request("GET", "/contact_lists")
    # The same config (its refresh_token is rotated out by now) in a new process:
    with ConstantContactClient(config) as second:
        second.request("GET", "/contact_lists")  # reuses the stored access token
        assert emu.stats()["token_requests"] == 1
        emu.faults(expire_access_tokens=True)
        second.request("GET", "/contact_lists")  # 401, refresh with the store's token, retry
    stats = api_stats(emu)
    assert stats["token_requests"] == 2
    assert stats["by_status"] == {"200": 3, "401": 1}
    assert stats["oauth"]["POST /oauth2/default/v1/token"] == {"200": 2}  # no invalid_grant


def test_401_refreshes_once_and_retries(emulator_factory: Factory, tmp_path: Path) -> None:
    emu = emulator_factory(contacts=5, campaigns=0)
    with ConstantContactClient(client_config(emu, tmp_path)) as client:
        client.request("GET", "/contact_tags")
        emu.faults(expire_access_tokens=True)
        response = client.request("GET", "/contact_tags")
        assert response.status_code == 200
        usage = client.usage
        assert usage.token_refreshes == 2
        assert usage.calls_by_endpoint_status == {"GET /v3/contact_tags": {"200": 2, "401": 1}}
    assert api_stats(emu)["by_endpoint_status"] == {"GET /v3/contact_tags": {"200": 2, "401": 1}}


@pytest.mark.slow
def test_forced_429_5xx_and_dropped_connections_are_retried(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    emu = emulator_factory(contacts=5, campaigns=0)
    with ConstantContactClient(client_config(emu, tmp_path)) as client:
        client.request("GET", "/contact_lists")
        emu.faults(throttle_next=2)
        assert client.request("GET", "/contact_lists").status_code == 200
        emu.faults(fail_next=2)
        assert client.request("GET", "/contact_lists").status_code == 200
        emu.faults(drop_next=1)
        assert client.request("GET", "/contact_lists").status_code == 200
        usage = client.usage
        assert usage.retries == 5
        ours = usage.calls_by_status
    stats = api_stats(emu)
    assert stats["throttled"] == 2
    assert ours["429"] == stats["by_status"]["429"] == 2
    assert ours["200"] == stats["by_status"]["200"] == 4
    assert ours["connection_error"] == 1
    assert sum(v for k, v in ours.items() if k.startswith("5")) == 2


def test_quota_exceeded_is_fatal_with_a_clear_message(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    emu = emulator_factory(contacts=5, campaigns=0, daily_limit=3)
    with ConstantContactClient(client_config(emu, tmp_path)) as client:
        for _ in range(3):
            client.request("GET", "/contact_lists")
        with pytest.raises(QuotaExceededError) as info:
            client.request("GET", "/contact_lists")
    message = str(info.value)
    assert message.startswith("GET /v3/contact_lists: HTTP 429 quota_exceeded")
    assert "resets at 00:00 UTC, in " in message
    assert api_stats(emu)["quota_exceeded"] == 1  # not retried


def test_local_daily_budget_refuses_before_the_api(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    emu = emulator_factory(contacts=5, campaigns=0)
    config = client_config(emu, tmp_path, daily_request_limit=2)
    with ConstantContactClient(config) as client:
        client.request("GET", "/contact_lists")
        client.request("GET", "/contact_lists")
        with pytest.raises(QuotaExceededError, match="daily_request_limit"):
            client.request("GET", "/contact_lists")
    assert api_stats(emu)["by_status"] == {"200": 2}


@pytest.mark.slow
def test_a_burst_against_the_real_4_per_second_limit_gets_no_429(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    emu = emulator_factory(contacts=5, campaigns=0, rps=4)
    with ConstantContactClient(client_config(emu, tmp_path)) as client:
        for _ in range(20):
            client.request("GET", "/contact_lists")
    stats = api_stats(emu)
    assert stats["throttled"] == 0
    assert stats["by_status"] == {"200": 20}


@pytest.mark.slow
def test_tap_and_target_sharing_a_sqlite_backend_get_no_429(
    emulator_factory: Factory, tmp_path: Path
) -> None:
    """Two clients of one application (say the tap and the target), bursting at once."""
    emu = emulator_factory(contacts=5, campaigns=0, rps=4)
    backend = f"sqlite:///{tmp_path}/limits.db"
    config = client_config(emu, tmp_path, rate_limit_backend=backend)
    errors: list[BaseException] = []

    def burst() -> None:
        try:
            with ConstantContactClient(config) as client:
                for _ in range(10):
                    client.request("GET", "/contact_tags")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=burst) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    stats = api_stats(emu)
    assert stats["throttled"] == 0
    assert stats["requests"]["GET /v3/contact_tags"] == 20


def test_invalid_client_message(emulator_factory: Factory, tmp_path: Path) -> None:
    emu = emulator_factory(contacts=5, campaigns=0)
    config = client_config(emu, tmp_path, client_secret="not-the-secret-000")
    with ConstantContactClient(config) as client, pytest.raises(CredentialsError) as info:
        client.request("GET", "/contact_lists")
    message = str(info.value)
    assert "invalid_client" in message
    assert "client_id and client_secret" in message
    assert "not-the-secret-000" not in message
    assert api_stats(emu).get("by_status", {}) == {}  # nothing reached the API


def test_invalid_grant_message(emulator_factory: Factory, tmp_path: Path) -> None:
    emu = emulator_factory(contacts=5, campaigns=0)
    config = client_config(emu, tmp_path)
    emu.token_response(refresh_token=config["refresh_token"])  # someone else rotated it
    with ConstantContactClient(config) as client, pytest.raises(CredentialsError) as info:
        client.request("GET", "/contact_lists")
    message = str(info.value)
    assert "invalid_grant" in message
    assert "revoked, rotated by another process, or not used for 180 days" in message
    assert "constantcontact-login" in message


def test_scope_error_names_the_missing_scope(emulator_factory: Factory, tmp_path: Path) -> None:
    emu = emulator_factory(contacts=5, campaigns=0)
    narrow = emu.mint_refresh_token("contact_data offline_access")
    config = client_config(emu, tmp_path, refresh_token=narrow)
    with ConstantContactClient(config) as client:
        client.request("GET", "/contact_lists")
        with pytest.raises(ScopeError) as info:
            client.request("GET", "/account/summary")
    assert info.value.scope == "account_read"
    assert str(info.value).startswith("GET /v3/account/summary: HTTP 403")
    assert "`account_read` scope" in str(info.value)


def test_no_secret_token_or_email_reaches_the_logs(
    emulator_factory: Factory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    emu = emulator_factory(contacts=20, campaigns=0)
    config = client_config(emu, tmp_path)
    emails = [c["email_address"]["address"] for c in emu.export("contacts")]
    with ConstantContactClient(config) as client:
        client.request("GET", "/contacts", params={"email": emails[0], "status": "all"})
        emu.faults(expire_access_tokens=True, fail_next=1)
        client.request("GET", "/contacts", params={"email": emails[1], "status": "all"})
        with pytest.raises(ConflictError):
            client.request(
                "POST",
                "/contacts",
                json={"email_address": {"address": emails[2]}, "create_source": "Account"},
            )
    store = json.loads(Path(config["token_store_path"]).read_text())
    secrets = [
        config["client_secret"],
        config["refresh_token"],
        store["refresh_token"],
        store["access_token"],
    ]
    assert "Refreshed the Constant Contact access token" in caplog.text
    assert "GET /v3/contacts" in caplog.text
    for secret in secrets:
        assert secret not in caplog.text
    for email in emails:
        assert email not in caplog.text
        assert email.replace("@", "%40") not in caplog.text
