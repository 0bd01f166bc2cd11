"""The API's error responses, raised as exceptions from anywhere in a handler.

Shapes (API README §2-§3):
- validation/not found/conflict: a JSON array `[{"error_key": ..., "error_message": ...}]`;
- 401 and 429: a single object `{"error_key": ..., "error_message": ...}`;
- the OAuth token endpoint: `{"error": ..., "error_description": ...}`.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.responses import Response

# Error keys. The documented ones are contacts.api.validation.error, contacts.api.not_found,
# contacts.api.conflict, unauthorized, throttled and quota_exceeded; the others are inferred and
# listed in docs/spec-deviations.md.
VALIDATION = "contacts.api.validation.error"
NOT_FOUND = "contacts.api.not_found"
CONFLICT = "contacts.api.conflict"
BAD_REQUEST = "contacts.api.bad.request"
UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
METHOD_NOT_ALLOWED = "method_not_allowed"
FORBIDDEN = "forbidden"
UNAUTHORIZED = "unauthorized"
THROTTLED = "throttled"
QUOTA_EXCEEDED = "quota_exceeded"
SERVER_ERROR = "server_error"
SERVICE_UNAVAILABLE = "service_unavailable"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Serialize with msgspec: several times faster than json for large contact pages."""
    return Response(
        msgspec.json.encode(body),
        status_code=status,
        headers=headers,
        media_type="application/json",
    )


class ApiError(Exception):
    """An error answer. `single_object` selects the 401/429 single-object shape."""

    def __init__(
        self,
        status: int,
        error_key: str,
        message: str,
        *,
        single_object: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_key = error_key
        self.message = message
        self.single_object = single_object
        self.headers = headers

    def body(self) -> Any:
        error = {"error_key": self.error_key, "error_message": self.message}
        return error if self.single_object else [error]

    def response(self) -> Response:
        return json_response(self.body(), self.status, self.headers)


class OAuthError(Exception):
    """An OAuth token/authorize endpoint error: `{"error", "error_description"}`."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> Response:
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="oauth2"'
        return json_response(
            {"error": self.error, "error_description": self.description}, self.status, headers
        )


def bad_request(message: str, key: str = VALIDATION) -> ApiError:
    return ApiError(400, key, message)


def invalid_param(name: str, value: str, expected: str) -> ApiError:
    """400 naming the query parameter, e.g. `limit`."""
    return ApiError(
        400, VALIDATION, f"Invalid value {value!r} for query parameter '{name}': {expected}."
    )


def not_found(what: str, ident: str) -> ApiError:
    return ApiError(404, NOT_FOUND, f"The requested {what} {ident} was not found.")


def conflict(message: str) -> ApiError:
    return ApiError(409, CONFLICT, message)


def unauthorized() -> ApiError:
    return ApiError(401, UNAUTHORIZED, "Unauthorized", single_object=True)


def forbidden_scope(scope: str) -> ApiError:
    return ApiError(
        403,
        FORBIDDEN,
        f"Forbidden request: the access token lacks the '{scope}' scope this request needs.",
    )


def throttled() -> ApiError:
    return ApiError(429, THROTTLED, "Too Many Requests", single_object=True)


def quota_exceeded() -> ApiError:
    return ApiError(429, QUOTA_EXCEEDED, "Limit Exceeded", single_object=True)
