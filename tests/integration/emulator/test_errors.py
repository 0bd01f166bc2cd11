"""Error shapes: 400 naming the parameter/field, 404, 405, 409, 415."""

from __future__ import annotations

import pytest

from constantcontact_emulator.testing import EmulatorProcess


def _error(response) -> dict[str, str]:
    body = response.json()
    assert isinstance(body, list), body
    assert len(body) == 1
    assert set(body[0]) == {"error_key", "error_message"}
    return body[0]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("limit=ten", "limit"),
        ("updated_after=yesterday", "updated_after"),
        ("created_before=2024-13-45T00:00:00Z", "created_before"),
        ("optout_after=2024", "optout_after"),
        ("status=gone", "status"),
        ("status=all,gone", "status"),
        ("include=custom_fields,emails", "include"),
        ("include_count=maybe", "include_count"),
        ("lists=not-a-uuid", "lists"),
        ("sms_status=sometimes", "sms_status"),
        ("segment_id=abc", "segment_id"),
        ("cursor=!!!", "cursor"),
    ],
)
def test_invalid_query_values_get_400_naming_the_parameter(
    emulator: EmulatorProcess, query: str, parameter: str
) -> None:
    response = emulator.api("GET", f"/contacts?{query}")
    assert response.status_code == 400
    error = _error(response)
    assert error["error_key"] == "contacts.api.validation.error"
    assert f"'{parameter}'" in error["error_message"]


@pytest.mark.parametrize(
    ("path", "maximum"),
    [
        ("/contact_lists", 1000),
        ("/contact_tags", 500),
        ("/contact_custom_fields", 100),
        ("/contacts", 500),
    ],
)
def test_limit_bounds_per_endpoint(emulator: EmulatorProcess, path: str, maximum: int) -> None:
    assert emulator.api("GET", f"{path}?limit={maximum}").status_code == 200
    too_big = emulator.api("GET", f"{path}?limit={maximum + 1}")
    assert too_big.status_code == 400
    assert str(maximum) in _error(too_big)["error_message"]


def test_unknown_contact_is_404(emulator: EmulatorProcess) -> None:
    response = emulator.api("GET", "/contacts/00000000-0000-1000-8000-000000000000")
    assert response.status_code == 404
    assert _error(response)["error_key"] == "contacts.api.not_found"


def test_unknown_path_is_404_and_wrong_method_405(emulator: EmulatorProcess) -> None:
    assert emulator.api("GET", "/no_such_resource").status_code == 404
    response = emulator.api("PATCH", "/contacts")
    assert response.status_code == 405
    assert _error(response)["error_key"] == "method_not_allowed"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_non_json_body_is_415(emulator: EmulatorProcess, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = emulator.api("POST", "/contact_tags", data=b'{"name": "x"}', headers=headers)
    assert response.status_code == 415
    assert _error(response)["error_key"] == "unsupported_media_type"


def test_malformed_json_is_400(emulator: EmulatorProcess) -> None:
    response = emulator.api(
        "POST", "/contact_tags", data=b'{"name": ', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "Malformed JSON" in _error(response)["error_message"]


def test_validation_errors_name_the_field(emulator: EmulatorProcess) -> None:
    response = emulator.api(
        "POST",
        "/contacts",
        json={"create_source": "Account", "email_address": {"address": "x" * 75 + "@example.com"}},
    )
    assert response.status_code == 400
    assert "email_address.address" in _error(response)["error_message"]
    response = emulator.api(
        "POST", "/contacts", json={"email_address": {"address": "a@example.com"}}
    )
    assert "create_source" in _error(response)["error_message"]
    response = emulator.api(
        "POST",
        "/contacts",
        json={
            "create_source": "Account",
            "email_address": {"address": "b@example.com"},
            "phone_numbers": [{"phone_number": "1", "kind": "fax"}],
        },
    )
    assert "phone_numbers[0].kind" in _error(response)["error_message"]


def test_duplicate_names_are_409(emulator: EmulatorProcess) -> None:
    emulator.reset()
    lists = emulator.export("contact_lists")
    live = next(lst for lst in lists if "deleted_at" not in lst)
    response = emulator.api("POST", "/contact_lists", json={"name": live["name"].upper()})
    assert response.status_code == 409
    assert _error(response)["error_key"] == "contacts.api.conflict"
    tag = emulator.export("contact_tags")[0]
    assert emulator.api("POST", "/contact_tags", json={"name": tag["name"]}).status_code == 409
    field = emulator.export("custom_fields")[0]
    assert (
        emulator.api(
            "POST", "/contact_custom_fields", json={"label": field["label"], "type": "string"}
        ).status_code
        == 409
    )
