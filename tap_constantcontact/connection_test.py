"""The connection test: credentials first, then one cheap call per scope the streams need.

`GET /account/user/privileges` accepts any valid token, so it separates credential problems
(bad client, revoked or expired refresh token) from scope problems, which each get their
own line naming the missing scope.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from constantcontact_client.errors import ConstantContactError, ScopeError

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from constantcontact_client import ConstantContactClient

#: One cheap call per OAuth scope: the smallest page of an endpoint that needs it.
SCOPE_PROBES: dict[str, tuple[str, dict[str, t.Any]]] = {
    "contact_data": ("/contact_lists", {"limit": 1}),
    "campaign_data": ("/emails", {"limit": 1}),
    "account_read": ("/account/summary", {}),
}


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of one check."""

    name: str
    passed: bool
    detail: str


def run_checks(client: ConstantContactClient, scopes: Iterable[str]) -> list[Check]:
    """Check the credentials, then each scope; stops after a credentials failure."""
    try:
        response = client.request("GET", "/account/user/privileges")
    except ConstantContactError as exc:  # bad client, revoked or expired token, quota, ...
        return [Check("credentials", passed=False, detail=str(exc))]
    privileges = response.json()
    count = len(privileges) if isinstance(privileges, list) else 0
    checks = [Check("credentials", passed=True, detail=f"token accepted ({count} user privileges)")]
    for scope in dict.fromkeys(scopes):
        path, params = SCOPE_PROBES[scope]
        try:
            client.request("GET", path, params=params)
        except ScopeError as exc:
            checks.append(
                Check(f"scope {scope}", passed=False, detail=f"missing scope {scope}: {exc}")
            )
        except ConstantContactError as exc:
            checks.append(Check(f"scope {scope}", passed=False, detail=str(exc)))
        else:
            checks.append(Check(f"scope {scope}", passed=True, detail=f"GET {path} answered"))
    return checks
