"""`constantcontact-login` end to end against the emulator's auto-approving authorize endpoint."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from constantcontact_client import ConstantContactClient, TokenStore
from constantcontact_client.login import LoginError, exchange_code, parse_options
from constantcontact_emulator.testing import EmulatorProcess

Factory = Callable[..., EmulatorProcess]


def login_command() -> list[str]:
    script = Path(sys.executable).parent / "constantcontact-login"
    return (
        [str(script)] if script.exists() else [sys.executable, "-m", "constantcontact_client.login"]
    )


def run_login(args: list[str], approve: bool = True) -> tuple[int, str, str]:
    """Start the CLI, open the printed URL like a browser would, return (code, stdout, stderr)."""
    process = subprocess.Popen(
        [*login_command(), "--no-browser", "--timeout", "60", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline(), process.stdout.readline()]
        url = lines[1].strip()
        assert lines[0].startswith("Open this URL")
        assert url.startswith("http://127.0.0.1:")
        if approve:
            page = requests.get(url, timeout=30)  # authorize redirects to the listener
            assert "authorization received" in page.text
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    return process.returncode, "".join(lines) + out, err


def test_login_writes_a_store_the_client_uses(emulator_factory: Factory, tmp_path: Path) -> None:
    emu = emulator_factory(contacts=5, campaigns=0)
    store_path = tmp_path / "login" / "token.json"
    code, out, err = run_login(["--config", str(emu.config_path), "--token-store", str(store_path)])
    assert code == 0, err
    assert "Saved the tokens (with a refresh token" in out
    assert stat.S_IMODE(store_path.stat().st_mode) == 0o600
    stored = TokenStore(store_path).read()
    assert stored is not None
    assert stored.client_id == emu.config["client_id"]
    assert stored.refresh_token
    assert stored.access_token
    assert "offline_access" in (stored.scope or "")
    for secret in (stored.refresh_token, stored.access_token, emu.config["client_secret"]):
        assert secret not in out
        assert secret not in err

    config: dict[str, Any] = {
        key: emu.config[key] for key in ("client_id", "client_secret", "api_url", "token_url")
    } | {"token_store_path": str(store_path)}
    with ConstantContactClient(config) as client:
        client.request("GET", "/contact_lists")  # the stored access token, no refresh
        emu.faults(expire_access_tokens=True)
        client.request("GET", "/contact_lists")  # refreshed with the stored refresh token
    stats = emu.stats()
    assert stats["oauth"]["POST /oauth2/default/v1/token"] == {"200": 2}  # code + one refresh
    assert TokenStore(store_path).read().knows_as_replaced(stored.refresh_token)


def test_pkce_login_for_a_public_application(emulator_factory: Factory, tmp_path: Path) -> None:
    emu = emulator_factory(contacts=5, campaigns=0)
    public = {k: emu.config[k] for k in ("client_id", "api_url", "token_url")}
    config_path = tmp_path / "public.json"
    config_path.write_text(json.dumps(public))
    store_path = tmp_path / "pkce.json"
    code, _out, err = run_login(
        ["--config", str(config_path), "--pkce", "--token-store", str(store_path)]
    )
    assert code == 0, err
    with ConstantContactClient(public | {"token_store_path": str(store_path)}) as client:
        emu.faults(expire_access_tokens=True)
        assert client.request("GET", "/contact_lists").status_code == 200
        assert client.usage.token_refreshes == 1  # refreshed with client_id, no secret


def test_wrong_secret_fails_with_a_clear_message(emulator_factory: Factory, tmp_path: Path) -> None:
    emu = emulator_factory(contacts=5, campaigns=0)
    store_path = tmp_path / "token.json"
    code, _out, err = run_login(
        [
            "--config",
            str(emu.config_path),
            "--client-secret",
            "not-the-secret-0000",
            "--token-store",
            str(store_path),
        ]
    )
    assert code == 1
    assert "invalid_client" in err
    assert "client_id and client_secret" in err
    assert "not-the-secret-0000" not in err
    assert not store_path.exists()


def test_a_refused_code_says_to_log_in_again(emulator_factory: Factory) -> None:
    emu = emulator_factory(contacts=5, campaigns=0)
    options = parse_options(["--config", str(emu.config_path), "--no-browser"])
    with pytest.raises(LoginError) as info:
        exchange_code(
            options,
            code="not-an-issued-code",
            redirect_uri="http://127.0.0.1:8765/callback",
            verifier=None,
        )
    message = str(info.value)
    assert message.startswith("POST /oauth2/default/v1/token: HTTP 400 invalid_grant")
    assert "constantcontact-login again" in message
    assert emu.config["client_secret"] not in message
    # Refused once, not retried: a 400 is not transient.
    assert emu.stats()["oauth"]["POST /oauth2/default/v1/token"] == {"400": 1}


@pytest.mark.parametrize("uri", ["https://127.0.0.1:8765/cb", "http://example.com:8765/cb"])
def test_redirect_uri_must_be_loopback_http(uri: str) -> None:
    result = subprocess.run(
        [*login_command(), "--client-id", "x", "--pkce", "--redirect-uri", uri],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--redirect-uri must be" in result.stderr
