"""Bad config gives one clear line naming the setting, before any request."""

from __future__ import annotations

import pytest
from singer_sdk.exceptions import ConfigValidationError

from tap_constantcontact.settings import CONTACT_INCLUDES, TapSettings
from tap_constantcontact.tap import TapConstantContact

BASE = {
    "client_id": "app",
    "client_secret": "secret",
    "refresh_token": "refresh",
    "api_url": "http://127.0.0.1:9/v3",
}


def _errors(tmp_path, **overrides: object) -> list[str]:
    config = {**BASE, "token_store_path": str(tmp_path / "store.json"), **overrides}
    with pytest.raises(ConfigValidationError) as info:
        TapConstantContact(config=config, setup_mapper=False)
    return info.value.errors


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"lookback_minutes": -1}, "lookback_minutes"),
        ({"page_size": 501}, "page_size"),
        ({"start_date": "not a date"}, "start_date"),
        ({"contacts_include": ["notes", "sms"]}, "contacts_include"),
        ({"contacts_status": ["all", "active"]}, "contacts_status"),
        (
            {"contacts_list_ids": [f"00000000-0000-0000-0000-{i:012d}" for i in range(26)]},
            "contacts_list",
        ),
        (
            {
                "contacts_segment_id": 3,
                "contacts_tag_ids": ["00000000-0000-0000-0000-000000000001"],
            },
            "contacts_segment_id",
        ),
        ({"api_url": "ftp://example.com"}, "api_url"),
        ({"client_id": ""}, "client_id"),
    ],
)
def test_bad_setting_is_named(tmp_path, overrides: dict, setting: str) -> None:
    errors = _errors(tmp_path, **overrides)
    assert len(errors) == 1
    assert setting in errors[0]


def test_missing_credentials_are_named(tmp_path) -> None:
    errors = _errors(tmp_path, refresh_token=None)
    assert "refresh_token" in errors[0]


def test_valid_config_builds_settings_without_any_request(tmp_path) -> None:
    tap = TapConstantContact(
        config={
            **BASE,
            "token_store_path": str(tmp_path / "store.json"),
            "start_date": "2025-01-01",
        },
        setup_mapper=False,
    )
    settings = tap.tap_settings
    assert settings.page_size == 500
    assert settings.lookback.total_seconds() == 600
    assert settings.contacts_include == CONTACT_INCLUDES
    assert settings.filters.status == ("all",)
    assert settings.start_date is not None
    assert tap.client.usage.calls_total == 0


def test_settings_defaults() -> None:
    settings = TapSettings.from_config({})
    assert settings.custom_field_columns is True
    assert settings.contacts_deleted_scan == "auto"
    assert settings.filters.includes_deleted
