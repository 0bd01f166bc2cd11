"""`constantcontact-login`: authorize the application once and save its tokens to the token store.

    constantcontact-login --client-id ID            # asks for the secret, opens a browser
    constantcontact-login --config tap-config.json  # client_id, client_secret, token_url, ...
    constantcontact-login --client-id ID --pkce     # public application: no client secret

It runs the OAuth authorization code flow (with PKCE for public applications): it listens on
127.0.0.1 (a free port, or `--port` / `--redirect-uri` to match the redirect URI registered for
the application), prints the authorize URL and opens it in a browser, receives the code on the
redirect, exchanges it at the token endpoint and writes the token store (mode 0600) that the tap
and the target read. Tokens are never printed.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import hashlib
import json
import os
import secrets
import sys
import threading
import time
import webbrowser
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from constantcontact_client.auth import InvalidGrantError, TokenEndpoint
from constantcontact_client.errors import ConstantContactError
from constantcontact_client.settings import (
    DEFAULT_TOKEN_URL,
    DEFAULT_USER_AGENT,
    default_token_store_path,
)
from constantcontact_client.tokenstore import TokenStore, rotated

DEFAULT_AUTHORIZE_URL = "https://authz.constantcontact.com/oauth2/default/v1/authorize"
DEFAULT_SCOPES = "contact_data campaign_data account_read offline_access"
CLIENT_SECRET_ENV = "CONSTANTCONTACT_CLIENT_SECRET"  # noqa: S105 (a variable name)
TOKEN_TIMEOUT_SECONDS = 60.0
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost"}


class LoginError(ConstantContactError):
    """The login could not complete; the message says why."""


@dataclass(frozen=True)
class LoginOptions:
    client_id: str
    client_secret: str | None
    pkce: bool
    authorize_url: str
    token_url: str
    token_store_path: Path
    scope: str
    redirect_host: str
    port: int
    redirect_path: str
    open_browser: bool
    timeout: float


@dataclass
class Callback:
    """What the browser brought back to the redirect URI."""

    params: dict[str, str]


def _say(text: str, stream: Any) -> None:
    stream.write(text + "\n")
    stream.flush()


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a code verifier (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge) per RFC 7636."""
    verifier = secrets.token_urlsafe(64)[:96]
    return verifier, pkce_challenge(verifier)


class _CallbackServer(HTTPServer):
    expected_path: str
    callback: Callback | None
    received: threading.Event


class _CallbackHandler(BaseHTTPRequestHandler):
    server: _CallbackServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path != self.server.expected_path:
            self.send_error(404)
            return
        params = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        if self.server.callback is None:
            self.server.callback = Callback(params)
            self.server.received.set()
        ok = "code" in params
        body = (
            "<html><body><h1>Constant Contact authorization received</h1>"
            "<p>You can close this window and return to the terminal.</p></body></html>"
            if ok
            else "<html><body><h1>Constant Contact authorization failed</h1>"
            "<p>See the terminal for details.</p></body></html>"
        ).encode()
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default access log: the query string holds the authorization code."""


def run_login(options: LoginOptions, *, out: Any = sys.stdout) -> Path:
    """Run the whole flow; returns the token store path written."""
    server = _CallbackServer((options.redirect_host, options.port), _CallbackHandler)
    server.expected_path = options.redirect_path
    server.callback = None
    server.received = threading.Event()
    port = server.server_address[1]
    redirect_uri = f"http://{options.redirect_host}:{port}{options.redirect_path}"
    thread = threading.Thread(target=server.serve_forever, name="cc-login-callback", daemon=True)
    thread.start()
    try:
        state = secrets.token_urlsafe(24)
        query = {
            "response_type": "code",
            "client_id": options.client_id,
            "redirect_uri": redirect_uri,
            "scope": options.scope,
            "state": state,
        }
        verifier = None
        if options.pkce:
            verifier, challenge = pkce_pair()
            query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
        url = f"{options.authorize_url}?{urlencode(query)}"
        _say(f"Open this URL to authorize the application:\n{url}", out)
        if options.open_browser:
            webbrowser.open(url)
        if not server.received.wait(options.timeout):
            raise LoginError(
                f"No authorization arrived at {redirect_uri} within {options.timeout:.0f} s."
            )
        params = server.callback.params if server.callback else {}
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    if params.get("state") != state:
        raise LoginError("The redirect's state does not match this login; try again.")
    if "error" in params:
        reason = params.get("error_description") or params["error"]
        raise LoginError(f"Authorization was refused: {reason}.")
    code = params.get("code")
    if not code:
        raise LoginError("The redirect carried no authorization code.")
    response = exchange_code(options, code=code, redirect_uri=redirect_uri, verifier=verifier)
    store = TokenStore(options.token_store_path)
    with store.locked():
        previous = store.read()
        if previous is not None and previous.client_id not in {None, options.client_id}:
            previous = None  # a store of another application: replace it wholesale
        store.write(
            rotated(
                previous,
                client_id=options.client_id,
                used_refresh_token=None,
                response=response,
                now=time.time(),
            )
        )
    granted = response.get("scope") or options.scope
    refresh = "with a refresh token" if response.get("refresh_token") else "WITHOUT a refresh token"
    _say(
        f"Saved the tokens ({refresh}; scopes: {granted}) to {options.token_store_path} "
        "(mode 0600).",
        out,
    )
    if not response.get("refresh_token"):
        _say("Add the offline_access scope to get a refresh token.", out)
    return options.token_store_path


def exchange_code(
    options: LoginOptions, *, code: str, redirect_uri: str, verifier: str | None
) -> dict[str, Any]:
    """POST grant_type=authorization_code through the token manager's `TokenEndpoint`."""
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        form["code_verifier"] = verifier
    endpoint = TokenEndpoint(
        token_url=options.token_url,
        client_id=options.client_id,
        client_secret=None if options.pkce else options.client_secret,
        user_agent=DEFAULT_USER_AGENT,
        timeout=TOKEN_TIMEOUT_SECONDS,
    )
    try:
        return endpoint.call(form, purpose="code exchange")
    except InvalidGrantError as exc:
        raise LoginError(
            f"{str(exc).rstrip('.')}. The authorization code was refused (codes are single-use "
            "and expire within minutes); run constantcontact-login again."
        ) from None
    finally:
        endpoint.close()


def _read_config(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LoginError(f"--config {path}: cannot read a JSON object ({exc}).") from None
    if not isinstance(data, dict):
        raise LoginError(f"--config {path}: expected a JSON object.")
    return data


def _authorize_url_for(token_url: str) -> str:
    if token_url.rstrip("/").endswith("/token"):
        return token_url.rstrip("/")[: -len("/token")] + "/authorize"
    return DEFAULT_AUTHORIZE_URL


def parse_options(argv: list[str] | None) -> LoginOptions:
    parser = argparse.ArgumentParser(
        prog="constantcontact-login",
        description=(
            "Authorize a Constant Contact application and save its tokens to the token store "
            "read by tap-constantcontact and target-constantcontact."
        ),
    )
    parser.add_argument("--config", type=Path, help="a tap/target config JSON to read from")
    parser.add_argument("--client-id", help="the application's API key")
    parser.add_argument(
        "--client-secret",
        help=f"the client secret (prefer ${CLIENT_SECRET_ENV} or the prompt: shells keep history)",
    )
    parser.add_argument("--pkce", action="store_true", help="public application: PKCE, no secret")
    parser.add_argument("--authorize-url", help="default: derived from the token URL")
    parser.add_argument("--token-url", help=f"default: {DEFAULT_TOKEN_URL}")
    parser.add_argument("--token-store", type=Path, help="default: the plugins' default path")
    parser.add_argument("--scope", default=None, help=f"default: {DEFAULT_SCOPES!r}")
    parser.add_argument("--port", type=int, default=None, help="redirect listener port (0: free)")
    parser.add_argument(
        "--redirect-uri",
        help="the registered loopback redirect URI, e.g. http://localhost:8765/callback",
    )
    parser.add_argument("--no-browser", action="store_true", help="only print the URL")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait")
    args = parser.parse_args(argv)

    config = _read_config(args.config)
    client_id = args.client_id or config.get("client_id")
    if not client_id:
        parser.error("--client-id (or client_id in --config) is required")
    secret = args.client_secret or os.environ.get(CLIENT_SECRET_ENV) or config.get("client_secret")
    if not secret and not args.pkce and sys.stdin.isatty():
        secret = getpass.getpass("Client secret (empty for PKCE): ").strip() or None
    token_url = args.token_url or config.get("token_url") or DEFAULT_TOKEN_URL
    store = args.token_store or config.get("token_store_path")
    store_path = Path(os.path.expandvars(str(store))).expanduser() if store else None

    host, port, path = "127.0.0.1", args.port if args.port is not None else 0, "/callback"
    if args.redirect_uri:
        parts = urlsplit(args.redirect_uri)
        if parts.scheme != "http" or parts.hostname not in _LOOPBACK_HOSTS or not parts.port:
            parser.error(
                "--redirect-uri must be http://127.0.0.1:PORT/... or http://localhost:PORT/..."
            )
        host, port, path = parts.hostname, parts.port, parts.path or "/"
    return LoginOptions(
        client_id=client_id,
        client_secret=None if args.pkce else secret,
        pkce=args.pkce or not secret,
        authorize_url=args.authorize_url
        or config.get("authorize_url")
        or _authorize_url_for(token_url),
        token_url=token_url,
        token_store_path=store_path or default_token_store_path(client_id),
        scope=args.scope or DEFAULT_SCOPES,
        redirect_host=host,
        port=port,
        redirect_path=path,
        open_browser=not args.no_browser,
        timeout=args.timeout,
    )


def main(argv: list[str] | None = None) -> int:
    """Console entry point."""
    options = parse_options(argv)
    try:
        run_login(options)
    except ConstantContactError as exc:
        _say(f"constantcontact-login: error: {exc}", sys.stderr)
        return 1
    except OSError as exc:
        _say(f"constantcontact-login: error: {exc}", sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
