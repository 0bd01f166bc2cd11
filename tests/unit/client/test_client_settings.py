"""Settings validation: one clear line naming the setting, before any request."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from singer_sdk.exceptions import ConfigValidationError

from constantcontact_client import (
    CLIENT_SETTINGS,
    ClientSettings,
    ConfigError,
    StoredToken,
    TokenStore,
)
from constantcontact_client.settings import DEFAULT_API_URL, default_token_store_path


@pytest.fixture
def base(tmp_path: Path) -> dict[str, Any]:
    return {
        "client_id": "app-1",
        "client_secret": "s3cret-value-123",
        "refresh_token": "rt-value-12345678",
        "token_store_path": str(tmp_path / "store.json"),
    }


def test_defaults(base: dict[str, Any]) -> None:
    settings = ClientSettings.from_config(base | {"unrelated_tap_setting": 1})
    assert settings.api_url == DEFAULT_API_URL
    assert settings.api_origin == "https://api.cc.email"
    assert settings.token_url == "https://authz.constantcontact.com/oauth2/default/v1/token"
    assert settings.requests_per_second == 4
    assert settings.daily_request_limit == 10000
    assert settings.max_requests_per_run is None
    assert settings.max_retries == 5
    # `local`: one SQLite file next to the token store, shared by the tap and the target
    store_dir = settings.token_store_path.parent.resolve()
    assert settings.rate_limit_backend == f"sqlite:///{store_dir / 'ratelimit.sqlite'}"
    assert settings.user_agent.startswith("constantcontact-singer/")


def test_secrets_are_not_in_repr(base: dict[str, Any]) -> None:
    text = repr(ClientSettings.from_config(base))
    assert "s3cret-value-123" not in text
    assert "rt-value-12345678" not in text


def test_backend_passwords_are_not_in_repr(base: dict[str, Any], tmp_path: Path) -> None:
    backend = "redis://:hunter2@cache:6379/0"
    settings = ClientSettings.from_config(base | {"rate_limit_backend": backend})
    assert settings.rate_limit_backend == backend
    assert "hunter2" not in repr(settings)
    direct = ClientSettings(
        client_id="app-1", token_store_path=tmp_path / "s.json", rate_limit_backend=backend
    )
    assert "hunter2" not in repr(direct)


def test_direct_construction_has_the_schema_defaults(base: dict[str, Any], tmp_path: Path) -> None:
    store = tmp_path / "store.json"
    direct = ClientSettings(client_id="app-1", token_store_path=store)
    validated = ClientSettings.from_config(
        {"client_id": "app-1", "token_store_path": str(store), "access_token": "at-1"}
    )
    defaults = {
        name: prop["default"]
        for name, prop in CLIENT_SETTINGS.to_dict()["properties"].items()
        if "default" in prop
    }
    assert defaults["rate_limit_backend"] == "local"
    for name in defaults:
        assert getattr(direct, name) == getattr(validated, name), name
    assert direct.rate_limit_backend == f"sqlite:///{tmp_path.resolve() / 'ratelimit.sqlite'}"


def test_an_unchanged_store_is_read_once_per_process(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    store = tmp_path / "store.json"
    store.write_text(json.dumps({"client_id": "app-1", "refresh_token": "rt-stored-1"}))
    store.chmod(0o644)  # readable by others: each read logs a warning
    reads: list[Path] = []
    read = TokenStore.read

    def counting_read(self: TokenStore) -> Any:
        reads.append(self.path)
        return read(self)

    monkeypatch.setattr(TokenStore, "read", counting_read)
    bare = {"client_id": "app-1", "token_store_path": str(store)}
    with caplog.at_level(logging.WARNING):
        first = ClientSettings.from_config(bare)  # the plugin validates its config...
        second = ClientSettings.from_config(bare)  # ...then builds its client
    assert first == second
    assert reads == [store]
    assert caplog.text.count("readable by other users") == 1
    # A rewritten store (another login) is checked again.
    TokenStore(store).write(StoredToken(client_id="app-2", refresh_token="rt-other-1"))
    with pytest.raises(ConfigError, match="another client_id"):
        ClientSettings.from_config(bare)
    assert reads == [store, store]


def test_default_token_store_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    path = default_token_store_path("app-1")
    assert path.parent == tmp_path / "constantcontact"
    assert path.suffix == ".json"
    assert "app-1" not in path.name
    assert default_token_store_path("app-2") != path
    settings = ClientSettings.from_config({"client_id": "app-1", "refresh_token": "rt-1"})
    assert settings.token_store_path == path


def test_strings_and_numbers_are_coerced(base: dict[str, Any]) -> None:
    settings = ClientSettings.from_config(
        base
        | {
            "requests_per_second": "10",
            "daily_request_limit": 250000.0,
            "request_timeout": "2.5",
            "api_url": "http://127.0.0.1:8080/v3/",
            "client_secret": "  padded-secret \n",
        }
    )
    assert settings.requests_per_second == 10
    assert settings.daily_request_limit == 250000
    assert settings.request_timeout == 2.5
    assert settings.api_url == "http://127.0.0.1:8080/v3"
    assert settings.client_secret == "padded-secret"


@pytest.mark.parametrize(
    ("change", "setting", "fragment"),
    [
        ({"client_id": None}, "client_id", "client_id is required"),
        ({"client_id": "  "}, "client_id", "client_id is required"),
        ({"client_id": 12}, "client_id", "client_id must be a string"),
        ({"api_url": "api.cc.email/v3"}, "api_url", "api_url must be an http(s) URL"),
        ({"api_url": "ftp://x/v3"}, "api_url", "api_url must be an http(s) URL"),
        ({"token_url": "https://x/token?a=1"}, "token_url", "token_url must not have a query"),
        ({"requests_per_second": 0}, "requests_per_second", "must be at least 1"),
        ({"requests_per_second": 2.5}, "requests_per_second", "must be a whole number"),
        ({"requests_per_second": True}, "requests_per_second", "must be a number"),
        ({"daily_request_limit": -5}, "daily_request_limit", "must be at least 1"),
        ({"max_requests_per_run": 0}, "max_requests_per_run", "at least 1 when set"),
        ({"max_retries": -1}, "max_retries", "max_retries must be 0 or more"),
        ({"request_timeout": 0}, "request_timeout", "request_timeout must be more than 0"),
        ({"request_timeout": "soon"}, "request_timeout", "must be a number"),
        ({"rate_limit_backend": "mysql://x"}, "rate_limit_backend", "rate_limit_backend must be"),
        ({"rate_limit_backend": "sqlite://x.db"}, "rate_limit_backend", "sqlite:///"),
        ({"rate_limit_backend": "redis://"}, "rate_limit_backend", "needs a host"),
        ({"rate_limit_backend": "memoryx"}, "rate_limit_backend", "rate_limit_backend must be"),
    ],
)
def test_bad_settings_name_the_setting(
    base: dict[str, Any], change: dict[str, Any], setting: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as info:
        ClientSettings.from_config(base | change)
    error = info.value
    assert error.setting == setting
    assert fragment in str(error)
    assert "\n" not in str(error)
    assert isinstance(error, ConfigValidationError)
    assert error.errors == [str(error)]  # what singer-sdk's CLI prints


def test_backend_passwords_are_not_echoed(base: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as info:
        ClientSettings.from_config(base | {"rate_limit_backend": "mysql://u:hunter2@db/x"})
    assert "hunter2" not in str(info.value)


def test_valid_backends(base: dict[str, Any]) -> None:
    for backend in (
        "memory",
        "sqlite:///relative.db",
        "sqlite:////tmp/absolute.db",
        "postgresql://user@db.example/cc",
        "postgres://user:pw@db.example:5432/cc",
        "redis://cache.example:6379/0",
        "rediss://cache.example:6380/0",
    ):
        assert ClientSettings.from_config(base | {"rate_limit_backend": backend})


def test_credentials_required_somewhere(base: dict[str, Any], tmp_path: Path) -> None:
    bare = {"client_id": "app-1", "token_store_path": str(tmp_path / "none.json")}
    with pytest.raises(ConfigError) as info:
        ClientSettings.from_config(bare)
    assert info.value.setting == "refresh_token"
    assert "constantcontact-login" in str(info.value)
    assert ClientSettings.from_config(bare | {"access_token": "at-1"})
    store = tmp_path / "none.json"
    store.write_text(json.dumps({"client_id": "app-1", "refresh_token": "rt-stored-1"}))
    assert ClientSettings.from_config(bare).refresh_token is None  # the store will be used


def test_store_of_another_application_or_garbage(base: dict[str, Any], tmp_path: Path) -> None:
    store = tmp_path / "store.json"
    bare = {"client_id": "app-1", "token_store_path": str(store)}
    store.write_text(json.dumps({"client_id": "app-2", "refresh_token": "rt-x"}))
    with pytest.raises(ConfigError, match="another client_id") as info:
        ClientSettings.from_config(bare)
    assert info.value.setting == "token_store_path"
    store.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        ClientSettings.from_config(bare)
    with pytest.raises(ConfigError, match="is a directory"):
        ClientSettings.from_config(base | {"token_store_path": str(tmp_path)})


def test_schema_documents_every_setting() -> None:
    schema = CLIENT_SETTINGS.to_dict()
    assert schema["required"] == ["client_id"]
    for name, prop in schema["properties"].items():
        assert prop.get("title"), name
        assert len(prop.get("description", "")) > 20, name
    for secret in ("client_secret", "refresh_token", "access_token", "rate_limit_backend"):
        assert schema["properties"][secret]["secret"] is True
        assert schema["properties"][secret]["writeOnly"] is True
    assert schema["properties"]["api_url"]["default"] == DEFAULT_API_URL
