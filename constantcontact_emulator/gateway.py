"""The API gateway: what happens to every request before and after its handler.

For `/v3/...`, in order: bulk-activity tickers, latency fault, 401 for a missing/unknown/expired
token, forced-429 fault, the per-second limit (429 throttled), the daily quota (429
quota_exceeded), dropped-connection and 5xx faults, 403 for a missing scope, then the handler.
Every request is counted in the stats by method + path template and by status, and recorded with
`--record-exchanges`. The OAuth endpoints are counted separately; `/_emulator/...` is neither
limited nor counted.

A pure ASGI wrapper around the Starlette app; it must be the outermost layer so that a dropped
connection can reach uvicorn's transport.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from constantcontact_emulator import errors
from constantcontact_emulator.routing import API_PREFIX, ApiRoute

if TYPE_CHECKING:
    from constantcontact_emulator.oauth import AccessGrant
    from constantcontact_emulator.runtime import Emulator

OAUTH_PREFIX = "/oauth2/"
_RECORDED_HEADERS = ("content-type", "location", "accept")


class Gateway:
    def __init__(self, app: ASGIApp, emulator: Emulator, api_routes: list[ApiRoute]) -> None:
        self.app = app
        self.emulator = emulator
        self.api_routes = api_routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            await self._api(scope, receive, send)
        elif path.startswith(OAUTH_PREFIX):
            await self._oauth(scope, receive, send)
        else:
            self.emulator.state.tick(time.time())
            await self.app(scope, receive, send)

    def _match(self, scope: Scope) -> tuple[str, ApiRoute | None]:
        partial: ApiRoute | None = None
        for route in self.api_routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return route.path, route
            if match is Match.PARTIAL and partial is None:
                partial = route
        if partial is not None:
            return partial.path, None
        return "<unmatched>", None

    async def _api(self, scope: Scope, receive: Receive, send: Send) -> None:
        emu = self.emulator
        emu.state.tick(time.time())
        template, route = self._match(scope)
        endpoint = f"{scope['method']} {template}"
        recorder = _Recorder(scope, receive, send, record=emu.config.record_exchanges)
        try:
            grant = await self._admit(scope, route)
            if grant is None:
                await _drop_connection(send)
                emu.stats.record_api(endpoint, None)
                return
            scope.setdefault("state", {})["grant"] = grant
            await self.app(scope, recorder.receive, recorder.send)
        except errors.ApiError as exc:
            await exc.response()(scope, recorder.receive, recorder.send)
        except Exception:
            # Starlette has answered 500 and logged it, then re-raises; count the answer and
            # keep uvicorn from logging the same traceback again.
            if recorder.status is None:
                raise
        emu.stats.record_api(endpoint, recorder.status)
        if recorder.record:
            emu.exchanges.append(recorder.exchange(template))

    async def _admit(self, scope: Scope, route: ApiRoute | None) -> AccessGrant | None:
        """The checks before the handler, in order. Raises the ApiError to answer with;
        returns None when a fault drops the connection."""
        emu = self.emulator
        faults = emu.faults
        fault_applies = faults.applies(scope["path"])
        if fault_applies:
            delay = faults.latency_seconds()
            if delay:
                await asyncio.sleep(delay)
        grant = emu.oauth.authenticate(_bearer(scope), time.time())
        if grant is None:
            raise errors.unauthorized()
        if (fault_applies and faults.forced_throttle()) or not emu.limiter.try_acquire(
            grant.client_id
        ):
            emu.stats.throttled += 1
            raise errors.throttled()
        if not emu.quota.try_consume(grant.client_id):
            emu.stats.quota_exceeded += 1
            raise errors.quota_exceeded()
        if fault_applies:
            decision = faults.failure()
            if decision == "drop":
                return None
            if decision == "error":
                raise faults.error()
        if route is not None and route.oauth_scope and route.oauth_scope not in grant.scopes:
            raise errors.forbidden_scope(route.oauth_scope)
        return grant

    async def _oauth(self, scope: Scope, receive: Receive, send: Send) -> None:
        emu = self.emulator
        recorder = _Recorder(scope, receive, send, record=False)
        endpoint = f"{scope['method']} {scope['path']}"
        faults = emu.faults
        if faults.applies(scope["path"], oauth=True):
            delay = faults.latency_seconds()
            if delay:
                await asyncio.sleep(delay)
            decision = faults.failure()
            if decision == "drop":
                await _drop_connection(send)
                emu.stats.record_oauth(endpoint, None)
                return
            if decision == "error":
                error = faults.error()
                await error.response()(scope, receive, send)
                emu.stats.record_oauth(endpoint, error.status)
                return
        await self.app(scope, recorder.receive, recorder.send)
        emu.stats.record_oauth(endpoint, recorder.status)


def _bearer(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"authorization":
            text = value.decode("latin-1")
            if text[:7].lower() == "bearer ":
                return text[7:].strip()
            return ""
    return ""


async def _drop_connection(send: Send) -> None:
    """Close the socket without an answer. Reaches uvicorn's transport through its `send`."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise errors.ApiError(500, errors.SERVER_ERROR, "Connection dropped (fault).")
    transport.abort()
    await asyncio.sleep(0)


class _Recorder:
    """Wraps receive/send to learn the status and, when recording, keep both bodies."""

    def __init__(self, scope: Scope, receive: Receive, send: Send, *, record: bool) -> None:
        self.scope = scope
        self._receive = receive
        self._send = send
        self.record = record
        self.status: int | None = None
        self.request_body = bytearray()
        self.response_headers: list[tuple[bytes, bytes]] = []
        self.response_body = bytearray()

    async def receive(self) -> Message:
        message = await self._receive()
        if self.record and message["type"] == "http.request":
            self.request_body.extend(message.get("body", b""))
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.response_headers = list(message.get("headers", []))
        elif self.record and message["type"] == "http.response.body":
            self.response_body.extend(message.get("body", b""))
        await self._send(message)

    def exchange(self, template: str) -> dict[str, Any]:
        scope = self.scope
        request_headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in scope["headers"]
            if name.decode("latin-1") in _RECORDED_HEADERS
        }
        response_headers = {
            name.decode("latin-1"): value.decode("latin-1")
            for name, value in self.response_headers
            if name.decode("latin-1") in _RECORDED_HEADERS
        }
        return {
            "method": scope["method"],
            "path": scope["path"],
            "query": scope["query_string"].decode("latin-1"),
            "template": template,
            "request_headers": request_headers,
            "request_body": self.request_body.decode("utf-8", "replace"),
            "status": self.status,
            "response_headers": response_headers,
            "response_body": self.response_body.decode("utf-8", "replace"),
        }
