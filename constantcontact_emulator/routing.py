"""How API endpoints are declared: `api_route()` adds the `/v3` prefix and the OAuth scope.

The gateway (gateway.py) reads `oauth_scope` to answer 403 when the access token lacks it, and
`path` (the template, e.g. `/v3/contacts/{contact_id}`) to count calls in `/_emulator/stats`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

API_PREFIX = "/v3"


class ApiRoute(Route):
    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Sequence[str],
        oauth_scope: str | None,
    ) -> None:
        super().__init__(path, endpoint, methods=list(methods))
        self.oauth_scope = oauth_scope


def api_route(
    path: str,
    endpoint: Callable[..., Any],
    methods: Sequence[str] = ("GET",),
    *,
    scope: str | None = "contact_data",
) -> ApiRoute:
    """An API endpoint at `/v3{path}` needing OAuth scope `scope` (None: any valid token)."""
    return ApiRoute(API_PREFIX + path, endpoint, methods=methods, oauth_scope=scope)


def emulator(request: Request) -> Any:
    """The running `Emulator` (runtime.py); `emulator(request).state` is the account data."""
    return request.app.state.emulator
