"""TokenManager against a loopback OAuth server with rotating refresh tokens."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import pytest
from cc_fakeapi import CLIENT_SECRET, FakeServer, Recorded, Reply

from constantcontact_client import (
    ClientSettings,
    ConstantContactClient,
    CredentialsError,
    StoredToken,
    TokenManager,
    TokenStore,
)


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def manager(
    config: dict[str, Any], clock: FakeTime | None = None, **overrides: Any
) -> TokenManager:
    settings = ClientSettings.from_config(config | overrides)
    if clock is None:
        return TokenManager(settings)
    return TokenManager(settings, clock=clock.time, sleep=clock.sleep)


def stored(config: dict[str, Any]) -> StoredToken:
    token = TokenStore(config["token_store_path"]).read()
    assert token is not None
    return token


def test_refresh_persists_the_rotated_token_before_using_it(
    fake: FakeServer, config: dict[str, Any]
) -> None:
    store_at_call_time: list[dict[str, Any]] = []

    def contacts(req: Recorded) -> Reply:
        store_at_call_time.append(json.loads(Path(config["token_store_path"]).read_text()))
        return Reply(200, {"contacts": []})

    fake.add("GET", "/v3/contacts", contacts)
    with ConstantContactClient(config) as client:
        client.request("GET", "/contacts")
    assert len(fake.oauth.calls) == 1
    assert fake.oauth.calls[0].form["refresh_token"] == "rt-initial-0001"
    [snapshot] = store_at_call_time
    assert snapshot["refresh_token"] in fake.oauth.valid_refresh  # the newest, already saved
    assert snapshot["access_token"] == fake.api_requests()[0].bearer
    assert snapshot["client_id"] == config["client_id"]


def test_a_second_process_reuses_the_stored_access_token(
    fake: FakeServer, config: dict[str, Any]
) -> None:
    first = manager(config)
    token = first.ensure_active_token()
    second = manager(config)  # same config: its refresh_token is now a known ancestor
    assert second.ensure_active_token() == token
    assert len(fake.oauth.calls) == 1


def test_refresh_only_near_expiry(fake: FakeServer, config: dict[str, Any]) -> None:
    clock = FakeTime()
    fake.oauth.ttl = 3600
    tokens = manager(config, clock)
    first = tokens.ensure_active_token()
    clock.now += 3600 - 301  # outside the 5-minute leeway
    assert tokens.ensure_active_token() == first
    assert len(fake.oauth.calls) == 1
    clock.now += 2  # inside it
    second = tokens.ensure_active_token()
    assert second != first
    assert len(fake.oauth.calls) == 2


def test_short_lived_tokens_use_a_proportional_leeway(
    fake: FakeServer, config: dict[str, Any]
) -> None:
    clock = FakeTime()
    fake.oauth.ttl = 20  # leeway: 2 s
    tokens = manager(config, clock)
    first = tokens.ensure_active_token()
    clock.now += 17.5
    assert tokens.ensure_active_token() == first
    clock.now += 1
    assert tokens.ensure_active_token() != first


def test_token_endpoint_is_called_at_most_once_per_second(
    fake: FakeServer, config: dict[str, Any]
) -> None:
    clock = FakeTime()
    tokens = manager(config, clock)
    tokens.ensure_active_token()
    tokens.refresh(rejected_access_token=tokens.ensure_active_token())
    tokens.refresh(rejected_access_token=tokens.ensure_active_token())
    assert len(fake.oauth.calls) == 3
    assert clock.sleeps == [pytest.approx(1.0), pytest.approx(1.0)]


def test_stale_config_token_defers_to_the_newer_store(
    fake: FakeServer, config: dict[str, Any]
) -> None:
    manager(config).ensure_active_token()  # rotates rt-initial-0001 away
    newest = stored(config).refresh_token
    # Expire the stored access token so the next process must refresh.
    state = stored(config)
    state.expires_at = 0
    TokenStore(config["token_store_path"]).write(state)
    manager(config).ensure_active_token()
    assert [c.form["refresh_token"] for c in fake.oauth.calls] == ["rt-initial-0001", newest]


def test_unknown_config_token_is_tried_first_then_the_store(
    fake: FakeServer, config: dict[str, Any]
) -> None:
    store = TokenStore(config["token_store_path"])
    store.write(StoredToken(client_id=config["client_id"], refresh_token="rt-initial-0001"))
    tokens = manager(config, refresh_token="rt-pasted-but-dead-42")
    tokens.ensure_active_token()
    assert [c.form["refresh_token"] for c in fake.oauth.calls] == [
        "rt-pasted-but-dead-42",
        "rt-initial-0001",
    ]
    after = stored(config)
    assert after.knows_as_replaced("rt-pasted-but-dead-42")  # not tried again next run
    assert after.knows_as_replaced("rt-initial-0001")


def test_refused_config_token_falls_back_to_the_stored_access_token(
    fake: FakeServer, config: dict[str, Any]
) -> None:
    TokenStore(config["token_store_path"]).write(
        StoredToken(
            client_id=config["client_id"],
            refresh_token="rt-initial-0001",
            access_token="at-stored-valid-1",
            expires_at=9e12,
        )
    )
    tokens = manager(config, refresh_token="rt-pasted-but-dead-42")
    assert tokens.ensure_active_token() == "at-stored-valid-1"
    assert [c.form["refresh_token"] for c in fake.oauth.calls] == ["rt-pasted-but-dead-42"]


def test_unknown_config_token_wins_when_valid(fake: FakeServer, config: dict[str, Any]) -> None:
    store = TokenStore(config["token_store_path"])
    store.write(
        StoredToken(
            client_id=config["client_id"],
            refresh_token="rt-old-chain-77",
            access_token="at-old-chain-77",
            expires_at=9e12,
        )
    )
    tokens = manager(config)  # config rt-initial-0001 is new to the store: a fresh login
    token = tokens.ensure_active_token()
    assert token != "at-old-chain-77"
    assert [c.form["refresh_token"] for c in fake.oauth.calls] == ["rt-initial-0001"]
    assert stored(config).knows_as_replaced("rt-old-chain-77")


def test_invalid_grant_rereads_the_store(fake: FakeServer, config: dict[str, Any]) -> None:
    """Another process rotated the token just before our call: use what it stored."""
    original = fake.oauth.handle

    def other_process_rotated_first(req: Recorded) -> Reply:
        if len(fake.oauth.calls) == 0:
            newer = fake.oauth.issue_refresh()
            fake.oauth.valid_refresh.discard("rt-initial-0001")
            TokenStore(config["token_store_path"]).write(
                StoredToken(client_id=config["client_id"], refresh_token=newer)
            )
        return original(req)

    fake.oauth.handle = other_process_rotated_first  # type: ignore[method-assign]
    tokens = manager(config)
    tokens.ensure_active_token()
    assert len(fake.oauth.calls) == 2
    assert fake.oauth.calls[1].form["refresh_token"] != "rt-initial-0001"


def test_invalid_grant_everywhere_says_to_log_in_again(
    fake: FakeServer, config: dict[str, Any]
) -> None:
    fake.oauth.valid_refresh.clear()
    with pytest.raises(CredentialsError) as info:
        manager(config).ensure_active_token()
    message = str(info.value)
    assert "invalid_grant" in message
    assert "constantcontact-login" in message
    assert "revoked" in message
    assert "rt-initial-0001" not in message


def test_invalid_client_names_the_settings(fake: FakeServer, config: dict[str, Any]) -> None:
    with pytest.raises(CredentialsError) as info:
        manager(config, client_secret="wrong-secret-value").ensure_active_token()
    message = str(info.value)
    assert "invalid_client" in message
    assert "client_id" in message
    assert "client_secret" in message
    assert "wrong-secret-value" not in message


def test_pkce_clients_send_client_id_instead_of_basic_auth(
    fake: FakeServer, config: dict[str, Any]
) -> None:
    fake.oauth.require_basic = False
    tokens = manager(config, client_secret=None)
    tokens.ensure_active_token()
    call = fake.oauth.calls[0]
    assert call.form["client_id"] == config["client_id"]
    assert "authorization" not in call.headers


def test_401_refreshes_once_and_retries_through_the_paced_adapter(
    fake: FakeServer, config: dict[str, Any]
) -> None:
    fake.add("GET", "/v3/contacts", Reply(200, {"contacts": [{"contact_id": "c1"}]}))
    with ConstantContactClient(config) as client:
        client.request("GET", "/contacts")
        fake.oauth.valid_access.clear()  # the access token dies early
        response = client.request("GET", "/contacts")
        assert response.json() == {"contacts": [{"contact_id": "c1"}]}
        assert [r.status_code for r in response.history] == [401]
        assert client.usage.calls_by_endpoint_status == {"GET /v3/contacts": {"200": 2, "401": 1}}
        assert client.usage.calls_total == 3
        assert client.limiter.run_used == 3  # the resend was paced too
    assert len(fake.oauth.calls) == 2
    assert len(fake.api_requests()) == 3


def test_a_second_401_is_a_credentials_error(fake: FakeServer, config: dict[str, Any]) -> None:
    fake.add("GET", "/v3/contacts", Reply(401, {"error_key": "unauthorized"}))
    with ConstantContactClient(config) as client, pytest.raises(CredentialsError) as info:
        client.request("GET", "/contacts")
    assert str(info.value).startswith("GET /v3/contacts: HTTP 401")
    assert "even after a token refresh" in str(info.value)
    assert len(fake.api_requests()) == 2  # once, then once more after one refresh
    assert len(fake.oauth.calls) == 2


def test_an_access_token_without_refresh_token(
    fake: FakeServer, config: dict[str, Any], tmp_path: Path
) -> None:
    fake.add("GET", "/v3/contacts", Reply(200, {"contacts": []}))
    fake.oauth.valid_access.add("at-configured-12345")
    short_job = config | {"refresh_token": None, "access_token": "at-configured-12345"}
    with ConstantContactClient(short_job) as client:
        client.request("GET", "/contacts")
        assert fake.api_requests()[0].bearer == "at-configured-12345"
        fake.oauth.valid_access.clear()
        with pytest.raises(CredentialsError, match="no refresh token to renew it"):
            client.request("GET", "/contacts")
    assert fake.oauth.calls == []


def test_a_failed_store_write_stops_before_the_token_is_used(
    fake: FakeServer, config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(self: TokenStore, text: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(TokenStore, "_write_atomically", disk_full)
    fake.add("GET", "/v3/contacts", Reply(200, {"contacts": []}))
    with ConstantContactClient(config) as client, pytest.raises(CredentialsError) as info:
        client.request("GET", "/contacts")
    assert "No space left on device" in str(info.value)
    assert "lost" in str(info.value)
    assert len(fake.oauth.calls) == 1
    assert fake.api_requests() == []  # the new access token was never used


def test_concurrent_refreshes_make_one_token_call(fake: FakeServer, config: dict[str, Any]) -> None:
    TokenStore(config["token_store_path"]).write(
        StoredToken(
            client_id=config["client_id"],
            refresh_token="rt-initial-0001",
            access_token="at-expired",
            expires_at=1.0,
        )
    )
    managers = [manager(config), manager(config)]
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda m=m: results.append(m.ensure_active_token()))
        for m in managers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(results) == 2
    assert results[0] == results[1]
    assert len(fake.oauth.calls) == 1


def test_no_secret_or_token_is_logged(
    fake: FakeServer, config: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.add(
        "POST",
        "/v3/contacts",
        Reply(409, [{"error_key": "contacts.api.conflict", "error_message": "jane@example.com"}]),
    )
    fake.add("GET", "/v3/contacts", Reply(200, {"contacts": []}))
    with ConstantContactClient(config) as client:
        client.request("GET", "/contacts", params={"email": "jane@example.com"})
        fake.oauth.valid_access.clear()
        client.request("GET", "/contacts")
        with pytest.raises(Exception, match="409"):
            client.request("POST", "/contacts", json={"email_address": "jane@example.com"})
    secrets = {CLIENT_SECRET, "rt-initial-0001", *fake.oauth.valid_refresh}
    secrets |= {c.bearer for c in fake.api_requests() if c.bearer}
    assert "Refreshed the Constant Contact access token" in caplog.text
    for secret in secrets:
        assert secret not in caplog.text
    assert "jane@example.com" not in caplog.text
