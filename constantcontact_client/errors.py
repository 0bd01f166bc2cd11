"""Errors raised by the client, and the classification of Constant Contact error responses.

The classes extend singer-sdk's own exceptions, so the SDK treats them correctly without any
translation: `RetriableError` is a `RetriableAPIError` (the SDK's backoff retries it), the
fatal API errors are `FatalAPIError`s, and `ConfigError` is a `ConfigValidationError` (the
SDK's CLI prints its one line and exits 1).

Hierarchy (see docs/CONTRACTS.md)::

    ConstantContactError
    ├── ConfigError                 bad setting, named
    ├── CredentialsError            401 after a refresh, invalid_grant, invalid_client
    ├── ScopeError                  403: the token lacks the endpoint's scope
    ├── PayloadError                400/404/409/415/...: .status, .error_key, .endpoint
    │   ├── NotFoundError           404
    │   └── ConflictError           409
    ├── RetriableError              5xx, connection errors
    │   ├── ThrottledError          429 throttled (per-second limit)
    │   └── QueueFullError          429 on bulk activities: more than 1,000 queued
    └── QuotaExceededError          429 quota_exceeded, or the local daily budget: fatal
        └── RunBudgetExceededError  max_requests_per_run reached

Every message names the endpoint (`POST /v3/activities/contacts_json_import`) and has its
email addresses masked (`details` keeps the API's raw items for code that must match them).

A 429 whose key is neither `throttled` nor `quota_exceeded` is a `QueueFullError` on the bulk
`/activities` endpoints (the only ones documented to answer it) and a `ThrottledError`
elsewhere, where a short wait is the safe reading.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from singer_sdk.exceptions import ConfigValidationError, FatalAPIError, RetriableAPIError

from constantcontact_client.endpoints import endpoint_name, required_scope
from constantcontact_client.redaction import redact

if TYPE_CHECKING:
    import requests

THROTTLED = "throttled"
QUOTA_EXCEEDED = "quota_exceeded"
MAX_RETRY_AFTER_SECONDS = 600.0  # never sleep longer than this on a server's say-so
_MAX_DETAILS = 5
_MAX_TEXT = 300


@dataclass(frozen=True)
class ApiErrorDetail:
    """One `{"error_key", "error_message"}` item of an error body."""

    error_key: str | None
    error_message: str


class ConstantContactError(Exception):
    """Base class for everything the client raises."""

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        status: int | None = None,
        error_key: str | None = None,
        details: tuple[ApiErrorDetail, ...] = (),
        response: requests.Response | None = None,
    ) -> None:
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.endpoint = endpoint
        self.status = status
        self.error_key = error_key
        self.details = details
        self.response = response

    def __str__(self) -> str:
        return self.message


class ConfigError(ConstantContactError, ConfigValidationError):
    """A setting is missing or malformed; the message names it."""

    def __init__(self, message: str, *, setting: str | None = None) -> None:
        super().__init__(message)
        self.setting = setting
        self.errors = [self.message]  # what the SDK's CLI prints
        self.schema = None


class CredentialsError(ConstantContactError, FatalAPIError):
    """The credentials are wrong, revoked or expired; a person must act."""


class ScopeError(ConstantContactError, FatalAPIError):
    """The token is valid but lacks the scope (or the user the privilege) for an endpoint."""

    def __init__(self, message: str, *, scope: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.scope = scope


class PayloadError(ConstantContactError, FatalAPIError):
    """The API refused this request's content (400, 404, 409, 415, ...)."""


class NotFoundError(PayloadError):
    """404: the resource does not exist."""


class ConflictError(PayloadError):
    """409: a duplicate (email, list name, ...) or a concurrent update."""


class RetriableError(ConstantContactError, RetriableAPIError):
    """A transient failure: retrying the same request later may succeed."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ThrottledError(RetriableError):
    """429 `throttled`: more than the per-second limit reached the API."""


class QueueFullError(RetriableError):
    """429 on a bulk activity: the account has more than 1,000 queued activities."""


class QuotaExceededError(ConstantContactError, FatalAPIError):
    """The application's daily request quota is spent; it resets at 00:00 UTC."""

    def __init__(self, message: str, *, resets_at: dt.datetime | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.resets_at = resets_at


class RunBudgetExceededError(QuotaExceededError):
    """`max_requests_per_run` calls were spent in this run."""


def next_quota_reset(now: dt.datetime | None = None) -> dt.datetime:
    """The next 00:00 UTC, when Constant Contact resets daily quotas."""
    now = now or dt.datetime.now(dt.UTC)
    tomorrow = now.astimezone(dt.UTC).date() + dt.timedelta(days=1)
    return dt.datetime.combine(tomorrow, dt.time(0), tzinfo=dt.UTC)


def quota_reset_phrase(now: dt.datetime | None = None) -> tuple[str, dt.datetime]:
    """("resets at 00:00 UTC, in 5 h 12 min (2024-05-02T00:00:00Z)", reset time)."""
    now = now or dt.datetime.now(dt.UTC)
    resets_at = next_quota_reset(now)
    minutes = max(1, int((resets_at - now).total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    wait = f"{hours} h {minutes} min" if hours else f"{minutes} min"
    return f"resets at 00:00 UTC, in {wait} ({resets_at:%Y-%m-%dT%H:%M:%SZ})", resets_at


def parse_error_body(body: Any) -> tuple[ApiErrorDetail, ...]:  # noqa: PLR0911
    """Error details from any of the API's shapes.

    - the documented array: `[{"error_key": ..., "error_message": ...}, ...]`
    - a single object: `{"error_key": ..., "error_message": ...}` (401, 429)
    - OAuth: `{"error": ..., "error_description": ...}` (token endpoint)
    - `{"errors": [...]}` wrappers (reports), and plain text (gateways)
    """
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        text = body.strip()
        if not text:
            return ()
        try:
            body = json.loads(text)
        except ValueError:
            return (ApiErrorDetail(None, _shorten(text)),)
    if isinstance(body, dict):
        if isinstance(body.get("errors"), list):
            return parse_error_body(body["errors"])
        if "error_key" in body or "error_message" in body:
            return (_detail(body.get("error_key"), body.get("error_message")),)
        if "error" in body:
            return (_detail(body.get("error"), body.get("error_description")),)
        return ()
    if isinstance(body, list):
        details = []
        for item in body:
            if isinstance(item, dict):
                details.extend(parse_error_body(item))
            elif isinstance(item, str):
                details.append(ApiErrorDetail(None, _shorten(item)))
        return tuple(details)
    return ()


def _detail(key: Any, message: Any) -> ApiErrorDetail:
    key_text = str(key) if key not in (None, "") else None
    return ApiErrorDetail(key_text, _shorten(str(message)) if message not in (None, "") else "")


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"


def describe_details(details: tuple[ApiErrorDetail, ...]) -> str:
    """`contacts.api.conflict: Email already exists; ...` (masked, at most five items)."""
    parts = []
    for detail in details[:_MAX_DETAILS]:
        if detail.error_key and detail.error_message:
            parts.append(f"{detail.error_key}: {detail.error_message}")
        else:
            parts.append(detail.error_key or detail.error_message)
    if len(details) > _MAX_DETAILS:
        parts.append(f"... and {len(details) - _MAX_DETAILS} more")
    return redact("; ".join(part for part in parts if part))


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def error_for_response(
    response: requests.Response,
) -> ConstantContactError | None:
    """The classified error for an API response, or None when it succeeded."""
    status = response.status_code
    if status < 400:
        return None
    request = response.request
    method = (request.method if request is not None else None) or "GET"
    url = (request.url if request is not None else None) or response.url or "/"
    endpoint = endpoint_name(method, url)
    details = parse_error_body(response.content)
    error_key = next((d.error_key for d in details if d.error_key), None)
    described = describe_details(details)
    suffix = f": {described}" if described else ""
    common: dict[str, Any] = {
        "endpoint": endpoint,
        "status": status,
        "error_key": error_key,
        "details": details,
        "response": response,
    }

    if status == 401:
        return CredentialsError(
            f"{endpoint}: HTTP 401, Constant Contact rejected the access token even after a "
            f"token refresh{suffix}. Re-run `constantcontact-login`, and check that the "
            "application is still active.",
            **common,
        )
    if status == 403:
        scope = required_scope(method, url)
        needs = f"the `{scope}` scope" if scope else "a scope or privilege"
        return ScopeError(
            f"{endpoint}: HTTP 403 forbidden{suffix}. The token lacks {needs} for this "
            "endpoint (or the user lacks the privilege). Re-run `constantcontact-login` "
            f"granting {scope or 'the needed scope'}.",
            scope=scope,
            **common,
        )
    if status == 429:
        return _rate_limit_error(response, endpoint, error_key, suffix, common)
    if status >= 500:
        return RetriableError(f"{endpoint}: HTTP {status} server error{suffix}", **common)
    error_class, what = _CLIENT_ERRORS.get(status, (PayloadError, ""))
    return error_class(f"{endpoint}: HTTP {status}{what}{suffix}", **common)


_CLIENT_ERRORS: dict[int, tuple[type[PayloadError], str]] = {
    404: (NotFoundError, " not found"),
    409: (ConflictError, " conflict"),
    415: (PayloadError, " unsupported media type (JSON endpoints need application/json)"),
}


def _rate_limit_error(
    response: requests.Response,
    endpoint: str,
    error_key: str | None,
    suffix: str,
    common: dict[str, Any],
) -> ConstantContactError:
    key = (error_key or "").lower()
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    if key == QUOTA_EXCEEDED or "ratelimit" in key:
        phrase, resets_at = quota_reset_phrase()
        return QuotaExceededError(
            f"{endpoint}: HTTP 429 quota_exceeded: the application's daily API quota is used "
            f"up. It {phrase}. Rerun after that; raise the quota with Constant Contact if "
            "this recurs.",
            resets_at=resets_at,
            **common,
        )
    if key == THROTTLED or "qps" in key or "/activities" not in endpoint:
        return ThrottledError(
            f"{endpoint}: HTTP 429 throttled{suffix} (more than the per-second limit)",
            retry_after=retry_after,
            **common,
        )
    return QueueFullError(
        f"{endpoint}: HTTP 429{suffix}: the account has more than 1,000 queued bulk "
        "activities; waiting for the queue to drain",
        retry_after=retry_after,
        **common,
    )
