"""Token store: atomic 0600 writes, loud failures, rotation bookkeeping."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from constantcontact_client import ConfigError, CredentialsError, StoredToken, TokenStore
from constantcontact_client.redaction import secret_hash
from constantcontact_client.tokenstore import rotated


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_write_creates_a_private_file_in_a_private_directory(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "new" / "dir" / "token.json")
    store.write(StoredToken(client_id="app", refresh_token="rt-1", access_token="at-1"))
    assert mode(store.path) == 0o600
    assert mode(store.path.parent) == 0o700
    data = json.loads(store.path.read_text())
    assert data["refresh_token"] == "rt-1"
    assert data["client_id"] == "app"
    assert data["version"] == 1
    assert store.read() == StoredToken(client_id="app", refresh_token="rt-1", access_token="at-1")
    assert [p.name for p in store.path.parent.iterdir()] == ["token.json"]  # no temp left


def test_write_replaces_atomically_and_fixes_a_loose_mode(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    path.write_text(json.dumps({"refresh_token": "old"}))
    path.chmod(0o644)
    inode_before = path.stat().st_ino
    TokenStore(path).write(StoredToken(refresh_token="new"))
    assert mode(path) == 0o600
    assert path.stat().st_ino != inode_before  # renamed over, never rewritten in place
    assert TokenStore(path).read().refresh_token == "new"


def test_existing_directory_permissions_are_left_alone(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    TokenStore(tmp_path / "token.json").write(StoredToken(refresh_token="rt"))
    assert mode(tmp_path) == 0o755


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_failed_write_raises_loudly_non_root(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(CredentialsError, match="Could not save the OAuth tokens"):
            TokenStore(tmp_path / "token.json").write(StoredToken(refresh_token="rt"))
    finally:
        tmp_path.chmod(0o700)


def test_failed_write_raises_loudly(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the store's directory should be")
    store = TokenStore(blocker / "token.json")
    with pytest.raises(CredentialsError) as info:
        store.write(StoredToken(refresh_token="rt-secret-value-1"))
    message = str(info.value)
    assert "token_store_path" in message
    assert str(store.path) in message
    assert "constantcontact-login" in message
    assert "rt-secret-value-1" not in message


def test_garbage_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "token.json"
    path.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="does not hold a token store"):
        TokenStore(path).read()
    assert TokenStore(tmp_path / "missing.json").read() is None


def test_rotation_remembers_replaced_tokens() -> None:
    first = rotated(
        None,
        client_id="app",
        used_refresh_token="rt-config",
        response={"access_token": "at-1", "refresh_token": "rt-1", "expires_in": 86400},
        now=1000.0,
    )
    assert first.refresh_token == "rt-1"
    assert first.expires_at == 1000.0 + 86400
    assert first.lifetime == 86400
    assert first.knows_as_replaced("rt-config")
    assert not first.knows_as_replaced("rt-1")

    second = rotated(
        first,
        client_id="app",
        used_refresh_token="rt-1",
        response={"access_token": "at-2", "refresh_token": "rt-2", "expires_in": 60},
        now=2000.0,
    )
    assert second.knows_as_replaced("rt-config")
    assert second.knows_as_replaced("rt-1")
    assert second.refreshed_at == 2000.0


def test_long_lived_tokens_are_never_marked_stale() -> None:
    state = rotated(
        StoredToken(refresh_token="rt-same"),
        client_id="app",
        used_refresh_token="rt-same",
        response={"access_token": "at", "expires_in": 60},  # no refresh_token: unchanged
        now=1.0,
    )
    assert state.refresh_token == "rt-same"
    assert not state.knows_as_replaced("rt-same")


def test_a_new_chain_supersedes_the_stored_one_and_refused_tokens() -> None:
    state = rotated(
        StoredToken(refresh_token="rt-stored"),
        client_id="app",
        used_refresh_token="rt-config-new",
        refused_refresh_tokens=["rt-dead"],
        response={"access_token": "at", "refresh_token": "rt-next"},
        now=1.0,
    )
    assert state.replaced_refresh_token_hashes == [
        secret_hash("rt-config-new"),
        secret_hash("rt-stored"),
        secret_hash("rt-dead"),
    ]
