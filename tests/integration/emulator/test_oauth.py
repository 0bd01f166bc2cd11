"""OAuth: authorization code (+PKCE), refresh rotation, errors, token TTL, scopes."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from constantcontact_emulator.testing import EmulatorProcess

REDIRECT = "http://127.0.0.1:9/callback"


def _authorize(emu: EmulatorProcess, **extra: str) -> dict[str, list[str]]:
    params = {
        "client_id": emu.info["client_id"],
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "contact_data campaign_data offline_access",
        "state": "xyz",
        **extra,
    }
    response = requests.get(emu.authorize_url, params=params, allow_redirects=False, timeout=30)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return parse_qs(location.query)


def _token(
    emu: EmulatorProcess, data: dict[str, str], *, basic: bool = True, in_query: bool = False
) -> requests.Response:
    auth = (emu.info["client_id"], emu.info["client_secret"]) if basic else None
    if in_query:
        return requests.post(emu.token_url, params=data, auth=auth, timeout=30)
    return requests.post(emu.token_url, data=data, auth=auth, timeout=30)


@pytest.fixture
def emu(emulator_factory) -> EmulatorProcess:
    return emulator_factory(contacts=20, campaigns=0)


def test_authorization_code_flow_issues_tokens_that_work(emu: EmulatorProcess) -> None:
    query = _authorize(emu)
    assert query["state"] == ["xyz"]
    response = _token(
        emu,
        {"grant_type": "authorization_code", "code": query["code"][0], "redirect_uri": REDIRECT},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 86400
    assert body["scope"] == "contact_data campaign_data offline_access"
    assert body["refresh_token"]
    api = requests.get(
        f"{emu.api_url}/contact_lists",
        headers={"Authorization": f"Bearer {body['access_token']}"},
        timeout=30,
    )
    assert api.status_code == 200


def test_code_is_single_use_and_bound_to_redirect_uri(emu: EmulatorProcess) -> None:
    code = _authorize(emu)["code"][0]
    wrong = _token(
        emu,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://127.0.0.1:9/other",
        },
    )
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    ok = _token(emu, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT})
    assert ok.status_code == 200
    reused = _token(
        emu, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    )
    assert reused.status_code == 400
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": "The authorization code is invalid or has expired.",
    }


def test_pkce_public_client_sends_client_id_and_verifier(emu: EmulatorProcess) -> None:
    verifier = secrets.token_urlsafe(48)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    )
    code = _authorize(emu, code_challenge=challenge, code_challenge_method="S256")["code"][0]
    base = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": emu.info["client_id"],
    }
    bad = _token(emu, {**base, "code_verifier": "not-the-verifier-" + "x" * 30}, basic=False)
    assert bad.status_code == 400
    assert bad.json()["error"] == "invalid_grant"
    good = _token(emu, {**base, "code_verifier": verifier}, basic=False)
    assert good.status_code == 200, good.text
    refresh = good.json()["refresh_token"]
    # a PKCE grant refreshes with the client_id alone
    again = _token(
        emu,
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh,
            "client_id": emu.info["client_id"],
        },
        basic=False,
    )
    assert again.status_code == 200, again.text


def test_public_client_auth_is_refused_without_pkce(emu: EmulatorProcess) -> None:
    code = _authorize(emu)["code"][0]
    response = _token(
        emu,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": emu.info["client_id"],
        },
        basic=False,
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_without_offline_access_no_refresh_token(emu: EmulatorProcess) -> None:
    code = _authorize(emu, scope="contact_data")["code"][0]
    body = _token(
        emu, {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    ).json()
    assert "refresh_token" not in body
    assert body["scope"] == "contact_data"


def test_rotating_refresh_token_is_single_use(emu: EmulatorProcess) -> None:
    first = emu.info["refresh_token"]
    response = _token(emu, {"grant_type": "refresh_token", "refresh_token": first})
    assert response.status_code == 200
    second = response.json()["refresh_token"]
    assert second != first
    reused = _token(emu, {"grant_type": "refresh_token", "refresh_token": first})
    assert reused.status_code == 400
    assert reused.json() == {
        "error": "invalid_grant",
        "error_description": "unknown, invalid, or expired refresh token",
    }
    # the successor still works (parameters in the query string are accepted too)
    assert (
        _token(
            emu, {"grant_type": "refresh_token", "refresh_token": second}, in_query=True
        ).status_code
        == 200
    )


def test_long_lived_refresh_token_comes_back_unchanged(emulator_factory) -> None:
    emu = emulator_factory(contacts=0, campaigns=0, refresh_token_mode="long_lived")
    token = emu.info["refresh_token"]
    for _ in range(2):
        body = _token(emu, {"grant_type": "refresh_token", "refresh_token": token}).json()
        assert body["refresh_token"] == token


def test_wrong_client_secret_is_invalid_client(emu: EmulatorProcess) -> None:
    response = requests.post(
        emu.token_url,
        data={"grant_type": "refresh_token", "refresh_token": emu.info["refresh_token"]},
        auth=(emu.info["client_id"], "wrong-secret"),
        timeout=30,
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    # a secret in the form body is refused: the app uses HTTP Basic
    post = requests.post(
        emu.token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": emu.info["refresh_token"],
            "client_id": emu.info["client_id"],
            "client_secret": emu.info["client_secret"],
        },
        timeout=30,
    )
    assert post.status_code == 401
    assert post.json()["error"] == "invalid_client"


def test_unsupported_grant_and_missing_parameters(emu: EmulatorProcess) -> None:
    response = _token(emu, {"grant_type": "client_credentials"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    missing = _token(emu, {"grant_type": "refresh_token"})
    assert missing.status_code == 400
    assert missing.json()["error"] == "invalid_request"
    assert "refresh_token" in missing.json()["error_description"]


def test_token_endpoint_allows_one_request_per_second(emulator_factory) -> None:
    emu = emulator_factory(contacts=0, campaigns=0, token_rps=1)
    token = emu.mint_refresh_token("contact_data offline_access")
    statuses = []
    for _ in range(3):
        response = _token(emu, {"grant_type": "refresh_token", "refresh_token": token})
        statuses.append(response.status_code)
        if response.status_code == 200:
            token = response.json()["refresh_token"]
    assert statuses[0] == 200
    assert 429 in statuses[1:]
    assert emu.stats()["oauth"]["POST /oauth2/default/v1/token"]["429"] >= 1


def test_unknown_or_missing_token_is_401_single_object(emu: EmulatorProcess) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}):
        response = requests.get(f"{emu.api_url}/contacts", headers=headers, timeout=30)
        assert response.status_code == 401
        assert response.json() == {"error_key": "unauthorized", "error_message": "Unauthorized"}
    # unauthenticated calls are counted but use no quota
    stats = emu.stats()
    assert stats["by_endpoint_status"]["GET /v3/contacts"]["401"] == 3
    assert stats["quota_used"] == 0


def test_access_token_expires_after_its_ttl(emulator_factory) -> None:
    emu = emulator_factory(contacts=5, campaigns=0, access_token_ttl=1)
    body = emu.token_response()
    assert body["expires_in"] == 1
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert (
        requests.get(f"{emu.api_url}/contact_lists", headers=headers, timeout=30).status_code == 200
    )
    deadline = time.monotonic() + 10
    status = 200
    while status == 200 and time.monotonic() < deadline:
        time.sleep(0.3)
        status = requests.get(
            f"{emu.api_url}/contact_lists", headers=headers, timeout=30
        ).status_code
    assert status == 401


def test_missing_scope_is_403(emu: EmulatorProcess) -> None:
    refresh = emu.mint_refresh_token("campaign_data offline_access")
    access = emu.token_response(refresh)["access_token"]
    headers = {"Authorization": f"Bearer {access}"}
    denied = requests.get(f"{emu.api_url}/contacts", headers=headers, timeout=30)
    assert denied.status_code == 403
    assert denied.json()[0]["error_key"] == "forbidden"
    assert "contact_data" in denied.json()[0]["error_message"]
    assert (
        requests.get(f"{emu.api_url}/account/summary", headers=headers, timeout=30).status_code
        == 403
    )
    # privileges need no scope: the tap's connection test
    assert (
        requests.get(
            f"{emu.api_url}/account/user/privileges", headers=headers, timeout=30
        ).status_code
        == 200
    )


def test_seeded_refresh_token_scopes_come_from_the_cli(emulator_factory) -> None:
    emu = emulator_factory(contacts=5, campaigns=0, scopes="contact_data offline_access")
    body = emu.token_response(emu.info["refresh_token"])
    assert body["scope"] == "contact_data offline_access"
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    assert requests.get(f"{emu.api_url}/contacts", headers=headers, timeout=30).status_code == 200
    assert (
        requests.get(f"{emu.api_url}/account/summary", headers=headers, timeout=30).status_code
        == 403
    )


def test_refresh_may_narrow_but_not_widen_scopes(emu: EmulatorProcess) -> None:
    token = emu.mint_refresh_token("contact_data offline_access")
    narrowed = _token(
        emu, {"grant_type": "refresh_token", "refresh_token": token, "scope": "contact_data"}
    )
    assert narrowed.status_code == 200
    assert narrowed.json()["scope"] == "contact_data"
    widened = _token(
        emu,
        {
            "grant_type": "refresh_token",
            "refresh_token": narrowed.json()["refresh_token"],
            "scope": "contact_data campaign_data",
        },
    )
    assert widened.status_code == 400
    assert widened.json()["error"] == "invalid_scope"


def test_authorize_rejects_unknown_client_and_bad_scope(emu: EmulatorProcess) -> None:
    unknown = requests.get(
        emu.authorize_url,
        params={
            "client_id": "nope",
            "redirect_uri": REDIRECT,
            "response_type": "code",
            "scope": "contact_data",
        },
        allow_redirects=False,
        timeout=30,
    )
    assert unknown.status_code == 400
    assert unknown.json()["error"] == "invalid_client"
    bad_scope = _authorize(emu, scope="contact_data everything")
    assert bad_scope["error"] == ["invalid_scope"]
    assert bad_scope["state"] == ["xyz"]
