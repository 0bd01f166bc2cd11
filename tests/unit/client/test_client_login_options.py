"""`constantcontact-login` option parsing and PKCE, without a browser or a server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from constantcontact_client.login import (
    DEFAULT_AUTHORIZE_URL,
    DEFAULT_SCOPES,
    parse_options,
    pkce_challenge,
    pkce_pair,
)
from constantcontact_client.settings import default_token_store_path


def test_pkce_challenge_matches_rfc_7636() -> None:
    # RFC 7636, appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    verifier, challenge = pkce_pair()
    assert 43 <= len(verifier) <= 128
    assert challenge == pkce_challenge(verifier)


def test_options_from_a_plugin_config(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps(
            {
                "client_id": "app-9",
                "client_secret": "s-1",
                "token_url": "http://127.0.0.1:9/oauth2/default/v1/token",
                "token_store_path": str(tmp_path / "t.json"),
            }
        )
    )
    options = parse_options(["--config", str(config), "--no-browser"])
    assert options.client_id == "app-9"
    assert options.client_secret == "s-1"
    assert not options.pkce
    assert options.authorize_url == "http://127.0.0.1:9/oauth2/default/v1/authorize"
    assert options.token_store_path == tmp_path / "t.json"
    assert options.scope == DEFAULT_SCOPES
    assert (options.redirect_host, options.port, options.redirect_path) == (
        "127.0.0.1",
        0,
        "/callback",
    )
    assert not options.open_browser


def test_defaults_and_redirect_uri(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    monkeypatch.setenv("CONSTANTCONTACT_CLIENT_SECRET", "from-env")
    options = parse_options(
        ["--client-id", "app-1", "--redirect-uri", "http://localhost:8765/cc/callback"]
    )
    assert options.client_secret == "from-env"
    assert options.authorize_url == DEFAULT_AUTHORIZE_URL
    assert options.token_store_path == default_token_store_path("app-1")
    assert (options.redirect_host, options.port, options.redirect_path) == (
        "localhost",
        8765,
        "/cc/callback",
    )


def test_pkce_drops_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONSTANTCONTACT_CLIENT_SECRET", raising=False)
    options = parse_options(["--client-id", "app-1", "--client-secret", "x", "--pkce"])
    assert options.pkce
    assert options.client_secret is None
    assert parse_options(["--client-id", "app-1"]).pkce  # no secret at all: PKCE


def test_client_id_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        parse_options([])
    assert info.value.code == 2
    assert "--client-id" in capsys.readouterr().err
