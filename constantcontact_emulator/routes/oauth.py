"""The OAuth endpoints at /oauth2/default/v1/{authorize,token} (oauth.py has the rules)."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from constantcontact_emulator.errors import OAuthError, json_response
from constantcontact_emulator.oauth import parse_basic
from constantcontact_emulator.routing import emulator

TOKEN_PATH = "/oauth2/default/v1/token"  # noqa: S105 - a path
AUTHORIZE_PATH = "/oauth2/default/v1/authorize"


async def authorize(request: Request) -> Response:
    """Auto-approves, as if the user had logged in and accepted the scopes."""
    params = dict(request.query_params)
    try:
        location = emulator(request).oauth.authorize(params, time.time())
    except OAuthError as exc:
        return exc.response()
    return RedirectResponse(location, status_code=302)


async def token(request: Request) -> Response:
    emu = emulator(request)
    form = dict(request.query_params)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    raw = await request.body()
    if raw:
        if content_type != "application/x-www-form-urlencoded":
            return OAuthError(
                400,
                "invalid_request",
                "The token request must use Content-Type application/x-www-form-urlencoded.",
            ).response()
        form.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    basic = parse_basic(request.headers.get("authorization"))
    client_key = basic[0] if basic else form.get("client_id", "anonymous")
    now = time.time()
    if not emu.oauth.allow_token_request(client_key, time.monotonic()):
        # The authorization server is Okta; its rate-limit answer looks like this.
        return json_response(
            {
                "errorCode": "E0000047",
                "errorSummary": "API call exceeded rate limit due to too many requests.",
                "errorLink": "E0000047",
                "errorId": "oae" + str(int(now * 1000)),
                "errorCauses": [],
            },
            429,
        )
    try:
        body = emu.oauth.token(form, basic, now)
    except OAuthError as exc:
        return exc.response()
    return json_response(body, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"})


routes = [
    Route(AUTHORIZE_PATH, authorize, methods=["GET"]),
    Route(TOKEN_PATH, token, methods=["POST"]),
]
