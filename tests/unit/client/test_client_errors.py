"""Error body parsing and classification, on real `requests.Response` objects."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError

from constantcontact_client.errors import (
    ApiErrorDetail,
    ConflictError,
    CredentialsError,
    NotFoundError,
    PayloadError,
    QueueFullError,
    QuotaExceededError,
    RetriableError,
    ScopeError,
    ThrottledError,
    error_for_response,
    next_quota_reset,
    parse_error_body,
    parse_retry_after,
    quota_reset_phrase,
)

API = "https://api.cc.email/v3"


def make_response(
    status: int,
    body: object = None,
    *,
    method: str = "GET",
    url: str = "https://api.cc.email/v3/contacts?email=jane.doe%40example.com&limit=500",
    headers: dict[str, str] | None = None,
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    if isinstance(body, (bytes, str)):
        response._content = body.encode() if isinstance(body, str) else body
    else:
        response._content = json.dumps(body).encode() if body is not None else b""
    response.headers.update(headers or {})
    response.request = requests.Request(method, url).prepare()
    response.url = url
    return response


def test_parses_the_documented_array_shape() -> None:
    body = [
        {"error_key": "contacts.api.validation.error", "error_message": "first_name too long"},
        {"error_key": "contacts.api.validation.error", "error_message": "bad birthday"},
    ]
    assert parse_error_body(json.dumps(body)) == (
        ApiErrorDetail("contacts.api.validation.error", "first_name too long"),
        ApiErrorDetail("contacts.api.validation.error", "bad birthday"),
    )


def test_parses_single_object_oauth_wrapped_and_text_shapes() -> None:
    assert parse_error_body({"error_key": "throttled", "error_message": "Too Many Requests"}) == (
        ApiErrorDetail("throttled", "Too Many Requests"),
    )
    assert parse_error_body(
        b'{"error": "invalid_grant", "error_description": "unknown refresh token"}'
    ) == (ApiErrorDetail("invalid_grant", "unknown refresh token"),)
    assert parse_error_body({"errors": [{"error_key": "k", "error_message": "m"}]}) == (
        ApiErrorDetail("k", "m"),
    )
    assert parse_error_body("<html>Bad Gateway</html>") == (
        ApiErrorDetail(None, "<html>Bad Gateway</html>"),
    )
    assert parse_error_body("") == ()
    assert parse_error_body({"unrelated": 1}) == ()


@given(
    st.lists(
        st.fixed_dictionaries(
            {"error_key": st.text(max_size=30), "error_message": st.text(max_size=400)}
        ),
        max_size=8,
    ),
    st.booleans(),
)
def test_parsing_never_fails_and_keeps_every_item(items: list[dict], as_single: bool) -> None:
    body: object = items[0] if as_single and items else items
    details = parse_error_body(json.dumps(body))
    expected = 1 if as_single and items else len(items)
    assert len(details) == expected
    for detail in details:
        assert len(detail.error_message) <= 300


def errs(key: str) -> list[dict[str, str]]:
    return [{"error_key": key, "error_message": "x"}]


@pytest.mark.parametrize(
    ("status", "body", "error_class", "key"),
    [
        (400, errs("contacts.api.validation.error"), PayloadError, "contacts.api.validation.error"),
        (404, errs("contacts.api.not_found"), NotFoundError, "contacts.api.not_found"),
        (409, errs("contacts.api.conflict"), ConflictError, "contacts.api.conflict"),
        (415, errs("unsupported_media_type"), PayloadError, "unsupported_media_type"),
        (401, {"error_key": "unauthorized"}, CredentialsError, "unauthorized"),
        (403, {"error_key": "forbidden"}, ScopeError, "forbidden"),
        (429, {"error_key": "throttled"}, ThrottledError, "throttled"),
        (429, {"error_key": "quota_exceeded"}, QuotaExceededError, "quota_exceeded"),
        (500, "Internal Server Error", RetriableError, None),
        (503, errs("unavailable"), RetriableError, "unavailable"),
    ],
)
def test_classification(status: int, body: object, error_class: type, key: str | None) -> None:
    error = error_for_response(make_response(status, body))
    assert type(error) is error_class
    assert error.status == status
    assert error.error_key == key
    assert error.endpoint == "GET /v3/contacts"
    assert str(error).startswith("GET /v3/contacts: HTTP ")
    assert "limit=500" not in str(error)


def test_sdk_compatible_bases() -> None:
    assert isinstance(error_for_response(make_response(503, "")), RetriableAPIError)
    assert isinstance(
        error_for_response(make_response(429, {"error_key": "throttled"})), RetriableAPIError
    )
    for status in (400, 401, 403, 404, 409):
        assert isinstance(error_for_response(make_response(status, [])), FatalAPIError)
    assert isinstance(
        error_for_response(make_response(429, {"error_key": "quota_exceeded"})), FatalAPIError
    )


def test_success_is_not_an_error() -> None:
    for status in (200, 201, 202, 204, 302):
        assert error_for_response(make_response(status, {})) is None


def test_queue_full_on_bulk_activities_and_throttle_elsewhere() -> None:
    bulk = make_response(
        429,
        [{"error_key": "activity.queue.full", "error_message": "Too many activities"}],
        method="POST",
        url="https://api.cc.email/v3/activities/contacts_json_import",
    )
    error = error_for_response(bulk)
    assert isinstance(error, QueueFullError)
    assert str(error).startswith("POST /v3/activities/contacts_json_import: HTTP 429")
    assert "1,000 queued" in str(error)
    # An unknown 429 elsewhere is treated as a throttle (retried after ~1 s).
    assert isinstance(error_for_response(make_response(429, "")), ThrottledError)


def test_retry_after_is_honoured() -> None:
    error = error_for_response(
        make_response(429, {"error_key": "throttled"}, headers={"Retry-After": "3"})
    )
    assert isinstance(error, ThrottledError)
    assert error.retry_after == 3.0
    assert parse_retry_after("bogus") is None
    assert parse_retry_after("100000") == 600.0
    now = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("Wed, 01 May 2024 12:00:30 GMT", now=now) == 30.0


def test_quota_message_says_when_it_resets() -> None:
    error = error_for_response(
        make_response(429, {"error_key": "quota_exceeded", "error_message": "Limit Exceeded"})
    )
    assert isinstance(error, QuotaExceededError)
    text = str(error)
    assert "00:00 UTC" in text
    assert " in " in text
    assert error.resets_at == next_quota_reset(error.resets_at - dt.timedelta(seconds=1))
    phrase, resets_at = quota_reset_phrase(dt.datetime(2024, 5, 1, 18, 47, 10, tzinfo=dt.UTC))
    assert resets_at == dt.datetime(2024, 5, 2, tzinfo=dt.UTC)
    assert phrase == "resets at 00:00 UTC, in 5 h 12 min (2024-05-02T00:00:00Z)"


@pytest.mark.parametrize(
    ("method", "url", "scope"),
    [
        ("GET", f"{API}/emails", "campaign_data"),
        ("GET", f"{API}/reports/email_reports/abc-123/tracking/opens", "campaign_data"),
        ("GET", f"{API}/reports/contact_reports/abc-123/activity_details", "contact_data"),
        ("POST", f"{API}/activities/contact_delete", "contact_data"),
        ("GET", f"{API}/account/summary", "account_read"),
        ("PUT", f"{API}/account/summary/physical_address", "account_update"),
    ],
)
def test_scope_error_names_the_scope(method: str, url: str, scope: str) -> None:
    error = error_for_response(
        make_response(403, {"error_key": "forbidden", "error_message": "x"}, method=method, url=url)
    )
    assert isinstance(error, ScopeError)
    assert error.scope == scope
    assert f"`{scope}` scope" in str(error)


def test_emails_in_api_messages_are_masked() -> None:
    body = [
        {
            "error_key": "contacts.api.conflict",
            "error_message": "Email jane.doe@example.com already exists for contact 123",
        }
    ]
    error = error_for_response(make_response(409, body, method="POST"))
    assert "jane.doe@example.com" not in str(error)
    assert "j***@example.com" in str(error)
    assert error.details[0].error_message.endswith("contact 123")  # raw detail kept for code


def test_long_bodies_are_shortened() -> None:
    error = error_for_response(make_response(400, "x" * 5000))
    assert len(str(error)) < 500
