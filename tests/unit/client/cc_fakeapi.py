"""A small scriptable HTTP server on a loopback port, for the client's unit tests.

It plays both the API (`/v3/...`) and a rotating-refresh-token OAuth server
(`/oauth2/default/v1/token`), records every request, and lets a test queue replies per route.
No `requests` internals are mocked: the client talks HTTP to it.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CLIENT_ID = "unit-client"
CLIENT_SECRET = "unit-secret-XYZ123"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode()).items()}

    @property
    def bearer(self) -> str | None:
        value = self.headers.get("authorization", "")
        return value.removeprefix("Bearer ") if value.startswith("Bearer ") else None


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[Recorded], Reply]


class FakeOAuth:
    """Rotating refresh tokens, access tokens with a TTL, HTTP Basic client auth."""

    def __init__(self) -> None:
        self.counter = itertools.count(1)
        self.valid_refresh: set[str] = {"rt-initial-0001"}
        self.valid_access: set[str] = set()
        self.rotate = True
        self.ttl = 3600
        self.calls: list[Recorded] = []
        self.require_basic = True
        self.lock = threading.Lock()

    def issue_refresh(self) -> str:
        token = f"rt-{next(self.counter):04d}-rotated-9"
        self.valid_refresh.add(token)
        return token

    def handle(self, req: Recorded) -> Reply:
        with self.lock:
            self.calls.append(req)
            form = req.form
            if self.require_basic:
                expected = (
                    "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                )
                if req.headers.get("authorization") != expected:
                    return Reply(401, {"error": "invalid_client", "error_description": "bad"})
            elif form.get("client_id") != CLIENT_ID:
                return Reply(401, {"error": "invalid_client", "error_description": "bad"})
            old = form.get("refresh_token", "")
            if form.get("grant_type") != "refresh_token" or old not in self.valid_refresh:
                return Reply(
                    400,
                    {
                        "error": "invalid_grant",
                        "error_description": "unknown, invalid, or expired refresh token",
                    },
                )
            new_refresh = old
            if self.rotate:
                self.valid_refresh.clear()  # issuing invalidates every earlier token
                new_refresh = self.issue_refresh()
            access = f"at-{next(self.counter):04d}-access-7"
            self.valid_access.add(access)
            return Reply(
                200,
                {
                    "token_type": "Bearer",
                    "access_token": access,
                    "refresh_token": new_refresh,
                    "expires_in": self.ttl,
                    "scope": "contact_data campaign_data offline_access",
                },
            )


class FakeServer:
    def __init__(self) -> None:
        self.oauth = FakeOAuth()
        self.routes: dict[tuple[str, str], list[Reply | Handler]] = {}
        self.requests: list[Recorded] = []
        self.check_auth = True
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/v3"

    @property
    def token_url(self) -> str:
        return self.base_url + "/oauth2/default/v1/token"

    def add(self, method: str, path: str, *replies: Reply | Handler) -> None:
        """Queue replies for a route; the last one repeats."""
        self.routes.setdefault((method.upper(), path), []).extend(replies)

    def api_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.startswith("/v3")]

    def _dispatch(self, req: Recorded) -> Reply:
        if req.path == "/oauth2/default/v1/token":
            return self.oauth.handle(req)
        self.requests.append(req)
        queue = self.routes.get((req.method, req.path))
        if not queue:
            return Reply(404, [{"error_key": "not_found", "error_message": "no such route"}])
        if self.check_auth and req.bearer not in self.oauth.valid_access:
            return Reply(401, {"error_key": "unauthorized", "error_message": "Unauthorized"})
        reply = queue.pop(0) if len(queue) > 1 else queue[0]
        return reply(req) if callable(reply) else reply

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Recorded(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    at=time.monotonic(),
                )
                reply = server._dispatch(req)
                if isinstance(reply.body, (bytes, str)):
                    payload = reply.body.encode() if isinstance(reply.body, str) else reply.body
                    content_type = "text/plain"
                else:
                    payload = json.dumps(reply.body).encode() if reply.body is not None else b""
                    content_type = "application/json"
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.headers.get("Content-Type", content_type))
                for name, value in reply.headers.items():
                    if name != "Content-Type":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return _Handler

    def start(self) -> FakeServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
