"""The connection test: one clear line per failure."""

from __future__ import annotations

import typing as t

import requests

from constantcontact_client.errors import CredentialsError, ScopeError
from tap_constantcontact.connection_test import run_checks


class FakeClient:
    """Answers by path: a JSON body, or an error to raise."""

    def __init__(self, answers: dict[str, t.Any]) -> None:
        self.answers = answers
        self.calls: list[str] = []

    def request(self, method: str, path: str, *, params: t.Any = None) -> requests.Response:
        self.calls.append(f"{method} {path}")
        answer = self.answers[path]
        if isinstance(answer, Exception):
            raise answer
        response = requests.Response()
        response.status_code = 200
        response._content = answer.encode()
        return response


def test_all_passing() -> None:
    client = FakeClient(
        {"/account/user/privileges": '[{"privilege_id": 1}]', "/contact_lists": "{}"}
    )
    checks = run_checks(client, ["contact_data", "contact_data"])  # type: ignore[arg-type]
    assert [(c.name, c.passed) for c in checks] == [
        ("credentials", True),
        ("scope contact_data", True),
    ]
    assert client.calls == ["GET /account/user/privileges", "GET /contact_lists"]


def test_revoked_token_stops_before_the_scope_checks() -> None:
    error = CredentialsError(
        "token refresh failed: invalid_grant (refresh token revoked or rotated)"
    )
    client = FakeClient({"/account/user/privileges": error})
    checks = run_checks(client, ["contact_data"])  # type: ignore[arg-type]
    assert len(checks) == 1
    assert not checks[0].passed
    assert "invalid_grant" in checks[0].detail
    assert client.calls == ["GET /account/user/privileges"]


def test_missing_scope_is_named() -> None:
    client = FakeClient(
        {
            "/account/user/privileges": "[]",
            "/contact_lists": "{}",
            "/emails": ScopeError("GET /v3/emails: HTTP 403 forbidden", scope="campaign_data"),
        }
    )
    checks = run_checks(client, ["contact_data", "campaign_data"])  # type: ignore[arg-type]
    assert [c.passed for c in checks] == [True, True, False]
    assert checks[2].detail.startswith("missing scope campaign_data")
