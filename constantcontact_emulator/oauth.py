"""The OAuth 2.0 authorization server (Constant Contact's Okta-based `authz` service).

Grants: authorization_code (with PKCE S256 too) and refresh_token. Client authentication is
HTTP Basic; a PKCE (public) client sends its `client_id` in the form instead. Refresh tokens
rotate (each refresh issues a new one and retires every earlier token of that grant) or are
long-lived (the same value comes back). Access tokens are JWT-shaped and carry a TTL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import secrets
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

from constantcontact_emulator.config import ALL_SCOPES, EmulatorConfig
from constantcontact_emulator.errors import OAuthError

CODE_TTL = 300  # authorization codes are single-use and expire after about 5 minutes
REFRESH_TOKEN_IDLE_TTL = 180 * 86400  # either refresh token type expires unused after 180 days
KNOWN_SCOPES = (*ALL_SCOPES, "billing_data", "openid", "profile")
ISSUER = "https://identity.constantcontact.com/oauth2/aus1lm3ry9mF7x2Ja0h8"

INVALID_REFRESH = "unknown, invalid, or expired refresh token"
INVALID_CLIENT = (
    "Client authentication failed. Either the client or the client credentials are invalid."
)


@dataclass
class Client:
    client_id: str
    client_secret: str


@dataclass
class AuthorizationCode:
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str | None
    expires_at: float
    used: bool = False


@dataclass
class RefreshGrant:
    client_id: str
    scopes: tuple[str, ...]
    family: str
    public: bool  # issued through PKCE: the client may refresh with its client_id alone
    last_used: float
    retired: bool = False


@dataclass
class AccessGrant:
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float


@dataclass
class OAuthServer:
    config: EmulatorConfig
    seeded_client: Client
    clients: dict[str, Client] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshGrant] = field(default_factory=dict)
    access_tokens: dict[str, AccessGrant] = field(default_factory=dict)
    access_token_ttl: int = 86400
    refresh_token_mode: str = "rotating"  # noqa: S105 - a mode, not a secret
    token_rps: float = 1
    token_requests: dict[str, deque[float]] = field(default_factory=dict)
    seeded_refresh_token: str = ""
    _signing_key: bytes = b""

    @classmethod
    def create(cls, config: EmulatorConfig, now: float) -> OAuthServer:
        rng = random.Random(f"oauth-{config.seed}")
        client = Client(
            client_id=config.client_id or _uuid(rng),
            client_secret=config.client_secret or _token(rng, 30),
        )
        server = cls(
            config=config,
            access_token_ttl=config.access_token_ttl,
            refresh_token_mode=config.refresh_token_mode,
            token_rps=config.token_rps,
            seeded_client=client,
            _signing_key=rng.randbytes(32),
        )
        server.clients[client.client_id] = client
        server.seeded_refresh_token = _token(rng, 43)
        server.refresh_tokens[server.seeded_refresh_token] = RefreshGrant(
            client_id=client.client_id,
            scopes=tuple(config.scopes),
            family=_token(rng, 16),
            public=False,
            last_used=now,
        )
        return server

    # --- tokens -------------------------------------------------------------------------------

    def authenticate(self, access_token: str, now: float) -> AccessGrant | None:
        grant = self.access_tokens.get(access_token)
        if grant is None or grant.expires_at <= now:
            return None
        return grant

    def expire_access_tokens(self, now: float) -> int:
        """Fault: every access token issued so far stops working now."""
        for grant in self.access_tokens.values():
            grant.expires_at = min(grant.expires_at, now)
        return len(self.access_tokens)

    def mint_refresh_token(
        self, scopes: tuple[str, ...], now: float, client_id: str | None = None
    ) -> str:
        """A refresh token for a new grant, as if a user had authorized `scopes` (admin API)."""
        client = self.clients[client_id] if client_id else self.seeded_client
        token = secrets.token_urlsafe(32)
        self.refresh_tokens[token] = RefreshGrant(
            client_id=client.client_id,
            scopes=scopes,
            family=secrets.token_hex(8),
            public=False,
            last_used=now,
        )
        return token

    def _issue(
        self, client_id: str, scopes: tuple[str, ...], now: float, *, refresh: str | None
    ) -> dict:
        access_token = self._access_token(client_id, scopes, now)
        self.access_tokens[access_token] = AccessGrant(
            client_id=client_id, scopes=scopes, expires_at=now + self.access_token_ttl
        )
        body: dict = {
            "token_type": "Bearer",
            "expires_in": self.access_token_ttl,
            "access_token": access_token,
            "scope": " ".join(scopes),
        }
        if refresh is not None:
            body["refresh_token"] = refresh
        if "openid" in scopes:
            body["id_token"] = self._access_token(client_id, ("openid",), now)
        return body

    def _access_token(self, client_id: str, scopes: tuple[str, ...], now: float) -> str:
        header = {"kid": "emulator", "alg": "RS256"}
        payload = {
            "ver": 1,
            "jti": "AT." + secrets.token_urlsafe(32),
            "iss": ISSUER,
            "aud": "https://api.cc.email/v3",
            "iat": int(now),
            "exp": int(now + self.access_token_ttl),
            "cid": client_id,
            "uid": "00u" + secrets.token_hex(8),
            "scp": list(scopes),
            "auth_time": int(now),
            "sub": "emulator-user",
            "platform_user_id": secrets.token_hex(16),
        }
        signing_input = _b64(json.dumps(header)) + "." + _b64(json.dumps(payload))
        signature = hmac.new(self._signing_key, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + base64.urlsafe_b64encode(signature * 8).decode().rstrip("=")

    # --- the authorize endpoint ---------------------------------------------------------------

    def authorize(self, params: dict[str, str], now: float) -> str:
        """Auto-approve; return the redirect URL (with `code`, or with `error`)."""
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        if client_id not in self.clients:
            raise OAuthError(400, "invalid_client", "The 'client_id' parameter is invalid.")
        if not redirect_uri or not urlsplit(redirect_uri).scheme:
            raise OAuthError(400, "invalid_request", "The 'redirect_uri' parameter is required.")
        state = params.get("state")
        if params.get("response_type") != "code":
            return _redirect(
                redirect_uri,
                error="unsupported_response_type",
                state=state,
                error_description=(
                    "The response type is not supported by the authorization server. "
                    "Configured response types: [code]."
                ),
            )
        scopes = tuple(params.get("scope", "").split())
        unknown = [s for s in scopes if s not in KNOWN_SCOPES]
        if not scopes or unknown:
            return _redirect(
                redirect_uri,
                error="invalid_scope",
                state=state,
                error_description=(
                    "One or more scopes are not configured for the authorization server "
                    f"resource: {' '.join(unknown) or '(none)'}"
                ),
            )
        challenge = params.get("code_challenge")
        if challenge is not None and params.get("code_challenge_method", "S256") != "S256":
            return _redirect(
                redirect_uri,
                error="invalid_request",
                state=state,
                error_description="PKCE code_challenge_method must be S256.",
            )
        code = secrets.token_urlsafe(32)
        self.codes[code] = AuthorizationCode(
            client_id=client_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            code_challenge=challenge,
            expires_at=now + CODE_TTL,
        )
        return _redirect(redirect_uri, code=code, state=state)

    # --- the token endpoint -------------------------------------------------------------------

    def allow_token_request(self, client_key: str, now: float) -> bool:
        """The token endpoint's own limit (1 request/s per client), as a sliding window."""
        if self.token_rps <= 0:
            return True
        window = 1.0 / self.token_rps if self.token_rps < 1 else 1.0
        capacity = max(1, int(self.token_rps))
        hits = self.token_requests.setdefault(client_key, deque())
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) >= capacity:
            return False
        hits.append(now)
        return True

    def token(self, form: dict[str, str], basic: tuple[str, str] | None, now: float) -> dict:
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthError(400, "invalid_request", "The 'grant_type' parameter is required.")
        if grant_type == "authorization_code":
            return self._code_grant(form, basic, now)
        if grant_type == "refresh_token":
            return self._refresh_grant(form, basic, now)
        raise OAuthError(
            400,
            "unsupported_grant_type",
            f"The authorization grant type '{grant_type}' is not supported by the authorization "
            "server. Configured grant types: [refresh_token, authorization_code].",
        )

    def _client(
        self, form: dict[str, str], basic: tuple[str, str] | None, *, public_ok: bool
    ) -> Client:
        """Basic auth for confidential use; a bare form `client_id` only where PKCE allows it."""
        if basic is not None:
            client = self.clients.get(basic[0])
            if client is None or not hmac.compare_digest(client.client_secret, basic[1]):
                raise OAuthError(401, "invalid_client", INVALID_CLIENT)
            if form.get("client_id") not in (None, client.client_id):
                raise OAuthError(401, "invalid_client", INVALID_CLIENT)
            return client
        if "client_secret" in form:
            raise OAuthError(
                401,
                "invalid_client",
                "Client authentication failed: this client uses HTTP Basic authentication "
                "(client_secret_basic), not client_secret in the form.",
            )
        client_id = form.get("client_id")
        client = self.clients.get(client_id or "")
        if client is None or not public_ok:
            raise OAuthError(401, "invalid_client", INVALID_CLIENT)
        return client

    def _code_grant(self, form: dict[str, str], basic: tuple[str, str] | None, now: float) -> dict:
        code_value = form.get("code")
        if not code_value:
            raise OAuthError(400, "invalid_request", "The 'code' parameter is required.")
        code = self.codes.get(code_value)
        pkce = code is not None and code.code_challenge is not None
        client = self._client(form, basic, public_ok=pkce)
        if (
            code is None
            or code.used
            or code.expires_at <= now
            or code.client_id != client.client_id
        ):
            raise OAuthError(
                400, "invalid_grant", "The authorization code is invalid or has expired."
            )
        if form.get("redirect_uri") != code.redirect_uri:
            raise OAuthError(
                400,
                "invalid_grant",
                "The 'redirect_uri' does not match the redirection URI used in the "
                "authorization request.",
            )
        if code.code_challenge is not None:
            verifier = form.get("code_verifier")
            if not verifier:
                raise OAuthError(
                    400,
                    "invalid_request",
                    "PKCE code verifier is required when the authorization request "
                    "included a code challenge.",
                )
            digest = hashlib.sha256(verifier.encode()).digest()
            expected = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            if not hmac.compare_digest(expected, code.code_challenge):
                raise OAuthError(400, "invalid_grant", "PKCE verification failed.")
        code.used = True
        refresh = None
        if "offline_access" in code.scopes:
            refresh = secrets.token_urlsafe(32)
            self.refresh_tokens[refresh] = RefreshGrant(
                client_id=client.client_id,
                scopes=code.scopes,
                family=secrets.token_hex(8),
                public=pkce and basic is None,
                last_used=now,
            )
        return self._issue(client.client_id, code.scopes, now, refresh=refresh)

    def _refresh_grant(
        self, form: dict[str, str], basic: tuple[str, str] | None, now: float
    ) -> dict:
        token = form.get("refresh_token")
        if not token:
            raise OAuthError(400, "invalid_request", "The 'refresh_token' parameter is required.")
        grant = self.refresh_tokens.get(token)
        client = self._client(form, basic, public_ok=grant is not None and grant.public)
        if (
            grant is None
            or grant.retired
            or grant.client_id != client.client_id
            or grant.last_used + REFRESH_TOKEN_IDLE_TTL <= now
        ):
            raise OAuthError(400, "invalid_grant", INVALID_REFRESH)
        scopes = grant.scopes
        if form.get("scope"):
            requested = tuple(form["scope"].split())
            if any(s not in grant.scopes for s in requested):
                raise OAuthError(
                    400, "invalid_scope", "The requested scope is invalid, unknown, or malformed."
                )
            scopes = requested
        grant.last_used = now
        if self.refresh_token_mode == "long_lived":  # noqa: S105 - a mode, not a secret
            return self._issue(client.client_id, scopes, now, refresh=token)
        for other in self.refresh_tokens.values():
            if other.family == grant.family:
                other.retired = True
        new_token = secrets.token_urlsafe(32)
        self.refresh_tokens[new_token] = RefreshGrant(
            client_id=grant.client_id,
            scopes=grant.scopes,
            family=grant.family,
            public=grant.public,
            last_used=now,
        )
        return self._issue(client.client_id, scopes, now, refresh=new_token)


def parse_basic(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def _redirect(uri: str, **params: str | None) -> str:
    parts = urlsplit(uri)
    query = urlencode({k: v for k, v in params.items() if v is not None})
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit((parts.scheme, parts.netloc, parts.path, joined, parts.fragment))


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _uuid(rng: random.Random) -> str:
    value = f"{rng.getrandbits(128):032x}"
    return f"{value[:8]}-{value[8:12]}-4{value[13:16]}-a{value[17:20]}-{value[20:]}"


def _token(rng: random.Random, length: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return "".join(rng.choice(alphabet) for _ in range(length))
