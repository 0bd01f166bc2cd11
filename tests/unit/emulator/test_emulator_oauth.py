"""The authorization server's rules, without HTTP."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest

from constantcontact_emulator.config import EmulatorConfig
from constantcontact_emulator.errors import OAuthError
from constantcontact_emulator.oauth import (
    CODE_TTL,
    REFRESH_TOKEN_IDLE_TTL,
    OAuthServer,
    parse_basic,
)

NOW = 1_700_000_000.0


@pytest.fixture
def server() -> OAuthServer:
    return OAuthServer.create(EmulatorConfig(), NOW)


def _basic(server: OAuthServer) -> tuple[str, str]:
    client = server.seeded_client
    assert client is not None
    return client.client_id, client.client_secret


def _code(server: OAuthServer, **extra: str) -> str:
    client_id = _basic(server)[0]
    location = server.authorize(
        {
            "client_id": client_id,
            "redirect_uri": "http://localhost/cb",
            "response_type": "code",
            "scope": "contact_data offline_access",
            **extra,
        },
        NOW,
    )
    return parse_qs(urlsplit(location).query)["code"][0]


def test_same_seed_same_credentials() -> None:
    a = OAuthServer.create(EmulatorConfig(seed=3), NOW)
    b = OAuthServer.create(EmulatorConfig(seed=3), NOW)
    c = OAuthServer.create(EmulatorConfig(seed=4), NOW)
    assert (a.seeded_client, a.seeded_refresh_token) == (b.seeded_client, b.seeded_refresh_token)
    assert a.seeded_refresh_token != c.seeded_refresh_token


def test_code_expires(server: OAuthServer) -> None:
    code = _code(server)
    with pytest.raises(OAuthError) as caught:
        server.token(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": "http://localhost/cb",
            },
            _basic(server),
            NOW + CODE_TTL + 1,
        )
    assert caught.value.error == "invalid_grant"


def test_pkce_s256(server: OAuthServer) -> None:
    verifier = "v" * 64
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    )
    code = _code(server, code_challenge=challenge, code_challenge_method="S256")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://localhost/cb",
        "client_id": _basic(server)[0],
    }
    with pytest.raises(OAuthError, match="code verifier"):
        server.token(form, None, NOW)
    body = server.token({**form, "code_verifier": verifier}, None, NOW)
    assert server.refresh_tokens[body["refresh_token"]].public is True
    plain = server.authorize(
        {
            "client_id": _basic(server)[0],
            "redirect_uri": "http://localhost/cb",
            "response_type": "code",
            "scope": "contact_data",
            "code_challenge": "x",
            "code_challenge_method": "plain",
        },
        NOW,
    )
    assert "error=invalid_request" in plain


def test_rotation_retires_every_earlier_token_of_the_grant(server: OAuthServer) -> None:
    first = server.seeded_refresh_token
    second = server.token(
        {"grant_type": "refresh_token", "refresh_token": first}, _basic(server), NOW
    )["refresh_token"]
    third = server.token(
        {"grant_type": "refresh_token", "refresh_token": second}, _basic(server), NOW
    )["refresh_token"]
    for stale in (first, second):
        with pytest.raises(OAuthError) as caught:
            server.token(
                {"grant_type": "refresh_token", "refresh_token": stale}, _basic(server), NOW
            )
        assert caught.value.description == "unknown, invalid, or expired refresh token"
    other_grant = server.mint_refresh_token(("contact_data",), NOW)
    server.token({"grant_type": "refresh_token", "refresh_token": third}, _basic(server), NOW)
    assert server.token(
        {"grant_type": "refresh_token", "refresh_token": other_grant}, _basic(server), NOW
    )


def test_refresh_token_expires_after_180_idle_days(server: OAuthServer) -> None:
    token = server.seeded_refresh_token
    with pytest.raises(OAuthError):
        server.token(
            {"grant_type": "refresh_token", "refresh_token": token},
            _basic(server),
            NOW + REFRESH_TOKEN_IDLE_TTL + 1,
        )


def test_access_token_ttl_and_early_expiry(server: OAuthServer) -> None:
    server.access_token_ttl = 60
    body = server.token(
        {"grant_type": "refresh_token", "refresh_token": server.seeded_refresh_token},
        _basic(server),
        NOW,
    )
    token = body["access_token"]
    assert len(token) > 800  # JWT-sized, like the real ones
    assert token.count(".") == 2
    assert server.authenticate(token, NOW + 59) is not None
    assert server.authenticate(token, NOW + 60) is None
    server.expire_access_tokens(NOW + 1)
    assert server.authenticate(token, NOW + 2) is None


def test_token_endpoint_window(server: OAuthServer) -> None:
    assert server.allow_token_request("c", 0.0)
    assert not server.allow_token_request("c", 0.5)
    assert server.allow_token_request("c", 1.01)
    assert server.allow_token_request("other", 1.02)


def test_parse_basic() -> None:
    header = "Basic " + base64.b64encode(b"id:se:cret").decode()
    assert parse_basic(header) == ("id", "se:cret")
    assert parse_basic("Basic !!!") is None
    assert parse_basic("Bearer x") is None
    assert parse_basic(None) is None
