"""OAuth access tokens for API calls: refresh near expiry, rotate safely, recover from a 401.

Why not authlib's `OAuth2Session`: it is itself a `requests.Session` that refreshes inside
`request()`, and every requirement specific to Constant Contact would override it: the store
precedence rules, the inter-process lock, re-reading the store on `invalid_grant`, persisting
before use, the token endpoint's 1 request/s limit, and a 401 retry that must go through the
paced adapter. What remains of it (a form POST) is a few lines, so this module keeps a small
focused implementation of the same ideas (`ensure_active_token` with a leeway, `update_token`
persistence).

Rules:
- The access token is refreshed when it is within `leeway` of its expiry: 5 minutes, or a tenth
  of its lifetime for short-lived tokens. Never more than one token call per second.
- Refreshes run under a file lock next to the token store. Inside the lock the store is re-read:
  if another process (the target of the same pipeline) refreshed meanwhile, its token is adopted
  and no call is made.
- A rotated refresh token is written to the store (atomically, 0600) before the new access token
  is used. If the write fails, `CredentialsError` is raised.
- Which refresh token: the store's, unless the config `refresh_token` is unknown to it (neither
  current nor one it replaced): then the config one is tried first and the store's after an
  `invalid_grant`. After `invalid_grant`, the store is re-read once more before giving up.
- A 401 from the API triggers one forced refresh and one retry of the request (a response hook,
  like `HTTPDigestAuth`); the retry goes through the same adapter, so it is paced and counted.
- Tokens and secrets are never logged, at any level; DEBUG shows `sha256:` fingerprints.
- `TokenEndpoint` is the one implementation of the token call: refreshes here, the code
  exchange in `constantcontact-login`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from constantcontact_client.endpoints import endpoint_name
from constantcontact_client.errors import (
    CredentialsError,
    describe_details,
    parse_error_body,
)
from constantcontact_client.redaction import fingerprint
from constantcontact_client.tokenstore import StoredToken, TokenStore, rotated

if TYPE_CHECKING:
    from constantcontact_client.settings import ClientSettings
    from constantcontact_client.usage import Usage

LOGGER = logging.getLogger(__name__)
MAX_LEEWAY_SECONDS = 300.0
TOKEN_ENDPOINT_INTERVAL_SECONDS = 1.0
TOKEN_CALL_ATTEMPTS = 4
_RETRIED_MARK = "_constantcontact_token_retried"


class InvalidGrantError(CredentialsError):
    """The token endpoint refused the grant (`invalid_grant`): a refresh token or a code."""


class TokenEndpoint:
    """The OAuth token endpoint, as one application calls it.

    The one implementation of the token call, used for refreshes (`TokenManager`) and for the
    code exchange of `constantcontact-login`: client authentication (HTTP Basic with the client
    secret, or the form `client_id` of a PKCE public client), headers, retries of transient
    failures (429, 5xx, connection errors) and the classification of the answer.
    """

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str | None,
        user_agent: str,
        timeout: float,
        http: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.user_agent = user_agent
        self.timeout = timeout
        self._http = http or requests.Session()
        self._sleep = sleep

    @classmethod
    def for_settings(
        cls,
        settings: ClientSettings,
        *,
        http: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> TokenEndpoint:
        return cls(
            token_url=settings.token_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            user_agent=settings.user_agent,
            timeout=settings.request_timeout,
            http=http,
            sleep=sleep,
        )

    @property
    def name(self) -> str:
        """`POST /oauth2/default/v1/token`, for messages."""
        return f"POST {urlsplit(self.token_url).path or '/'}"

    def call(
        self,
        form: Mapping[str, str],
        *,
        purpose: str,
        before_each: Callable[[], None] | None = None,
    ) -> dict[str, Any]:
        """POST `form` with the client's authentication; returns the token response.

        `purpose` ("token refresh", "code exchange") ends the message of an unclassified
        failure; `before_each` runs before every attempt (the 1 request/s interval).

        Raises:
            InvalidGrantError: `invalid_grant`.
            CredentialsError: any other refusal, a response without access_token, or transient
                failures on every attempt.
        """
        data = dict(form)
        auth = None
        if self._client_secret:
            auth = HTTPBasicAuth(self.client_id, self._client_secret)
        else:
            data["client_id"] = self.client_id  # PKCE public client
        last_problem = ""
        for attempt in range(1, TOKEN_CALL_ATTEMPTS + 1):
            if attempt > 1:
                self._sleep(min(2.0 ** (attempt - 1), 30.0))
            if before_each is not None:
                before_each()
            try:
                response = self._http.post(
                    self.token_url,
                    data=data,
                    auth=auth,
                    headers={"Accept": "application/json", "User-Agent": self.user_agent},
                    timeout=self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                last_problem = f"connection error ({type(exc).__name__})"
                continue
            if response.status_code == 429 or response.status_code >= 500:
                last_problem = f"HTTP {response.status_code}"
                continue
            return self._parse(response, purpose)
        raise CredentialsError(
            f"{self.name}: the token endpoint kept failing ({last_problem}) "
            f"after {TOKEN_CALL_ATTEMPTS} attempts; try again later."
        )

    def _parse(self, response: requests.Response, purpose: str) -> dict[str, Any]:
        details = parse_error_body(response.content)
        error = (details[0].error_key or "") if details else ""
        if response.ok:
            try:
                body = response.json()
            except ValueError:
                body = None
            if not isinstance(body, dict) or not body.get("access_token"):
                raise CredentialsError(f"{self.name}: the token response has no access_token.")
            return body
        described = describe_details(details)
        if error == "invalid_grant":
            raise InvalidGrantError(
                f"{self.name}: HTTP {response.status_code} {described}",
                status=response.status_code,
                error_key=error,
            )
        if error in {"invalid_client", "unauthorized_client"} or response.status_code == 401:
            raise CredentialsError(
                f"{self.name}: HTTP {response.status_code} {error or 'unauthorized'}: the token "
                "endpoint rejected the application's credentials; check client_id and "
                "client_secret (leave client_secret empty only for a PKCE application).",
                status=response.status_code,
                error_key=error or None,
            )
        raise CredentialsError(
            f"{self.name}: HTTP {response.status_code}"
            f"{': ' + described if described else ''}; the {purpose} failed.",
            status=response.status_code,
            error_key=error or None,
        )

    def close(self) -> None:
        self._http.close()


def leeway_for(lifetime: float | None) -> float:
    """Seconds before expiry at which a token counts as expiring."""
    if not lifetime:
        return MAX_LEEWAY_SECONDS
    return min(MAX_LEEWAY_SECONDS, max(lifetime / 10, 0.5))


class TokenManager(AuthBase):
    """`requests` auth that keeps a valid Constant Contact access token on every call."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        store: TokenStore | None = None,
        usage: Usage | None = None,
        http: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.store = store or TokenStore(settings.token_store_path)
        self._usage = usage
        self._endpoint = TokenEndpoint.for_settings(settings, http=http, sleep=sleep)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.RLock()
        self._access_token: str | None = None
        self._expires_at: float | None = None
        self._lifetime: float | None = None
        self._last_token_call: float | None = None
        self._config_access_token_used = False

    # -- requests.auth.AuthBase -------------------------------------------------------------

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.ensure_active_token()}"
        hooks = request.hooks.setdefault("response", [])
        if self.handle_401 not in hooks:
            request.register_hook("response", self.handle_401)
        return request

    def handle_401(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        """On a 401, refresh once and resend the request once through the same adapter."""
        request = response.request
        if response.status_code != 401 or request is None or getattr(request, _RETRIED_MARK, False):
            return response
        if not self.can_refresh():
            raise CredentialsError(
                f"{endpoint_name(request.method or 'GET', request.url or '/')}: HTTP 401, the "
                "access token was rejected and there is no refresh token to renew it; set "
                "refresh_token or run `constantcontact-login`.",
                status=401,
            )
        rejected = (request.headers.get("Authorization") or "").removeprefix("Bearer ")
        LOGGER.debug("The API rejected the access token (401); refreshing it, retrying once.")
        token = self.refresh(rejected_access_token=rejected or None)
        _ = response.content  # release the connection before reusing it
        response.close()
        retry = request.copy()
        retry.headers["Authorization"] = f"Bearer {token}"
        setattr(retry, _RETRIED_MARK, True)
        connection = response.connection
        retried = connection.send(retry, **kwargs)
        retried.history.append(response)
        retried.request = retry
        return retried

    # -- tokens -----------------------------------------------------------------------------

    @property
    def current_token(self) -> str | None:
        """The access token in use, without checking or refreshing it."""
        return self._access_token

    def can_refresh(self) -> bool:
        """Whether any refresh token is available (config or store)."""
        if self.settings.refresh_token:
            return True
        stored = self.store.read()
        return bool(stored and stored.refresh_token)

    def ensure_active_token(self) -> str:
        """A token that is not within the leeway of its expiry, refreshing if needed."""
        with self._lock:
            if self._access_token and not self._expiring():
                return self._access_token
            if self._access_token is None and self._adopt_initial_token():
                return self._access_token  # type: ignore[return-value]
            return self.refresh()

    def refresh(self, *, rejected_access_token: str | None = None) -> str:
        """Get a new access token (or adopt one another process just stored)."""
        with self._lock:
            if not self.can_refresh():
                raise CredentialsError(
                    "The access token expired or was rejected, and there is no refresh token "
                    f"to renew it (neither refresh_token nor the token store "
                    f"{self.store.path}). Run `constantcontact-login`."
                )
            with self.store.locked():
                return self._refresh_locked(rejected_access_token)

    def _refresh_locked(self, rejected_access_token: str | None) -> str:
        stored = self.store.read()
        if self._adopt_from_store(stored, rejected_access_token):
            return self._access_token  # type: ignore[return-value]
        refused: list[str] = []
        candidates = self._refresh_candidates(stored)
        while candidates:
            refresh_token = candidates.pop(0)
            if refresh_token in refused:
                continue
            try:
                response = self._token_call(refresh_token, stored)
            except InvalidGrantError:
                LOGGER.debug("Refresh token %s was refused.", fingerprint(refresh_token))
                refused.append(refresh_token)
                stored = self.store.read()  # another process may have just rotated it
                config_refused = self.settings.refresh_token in refused
                if self._adopt_from_store(stored, rejected_access_token, trust=config_refused):
                    return self._access_token  # type: ignore[return-value]
                if stored and stored.refresh_token and stored.refresh_token not in refused:
                    candidates.append(stored.refresh_token)
                continue
            new = rotated(
                stored,
                client_id=self.settings.client_id,
                used_refresh_token=refresh_token,
                refused_refresh_tokens=refused,
                response=response,
                now=self._clock(),
            )
            self.store.write(new)  # before the new access token is used; raises on failure
            self._use(new.access_token, new.expires_at, new.lifetime)
            self._log_refresh(refresh_token, new)
            return self._access_token  # type: ignore[return-value]
        raise CredentialsError(
            "Constant Contact refused the refresh token (invalid_grant): it was revoked, "
            "rotated by another process, or not used for 180 days. Re-run "
            f"`constantcontact-login` to get a new one (token store: {self.store.path})."
        )

    def _adopt_initial_token(self) -> bool:
        """Use a stored or configured access token before spending a token call."""
        stored = self.store.read()
        if not self._config_token_is_unknown(stored) and stored and stored.access_token:
            self._use(stored.access_token, stored.expires_at, stored.lifetime)
            if not self._expiring():
                LOGGER.debug("Using the stored access token %s.", fingerprint(stored.access_token))
                return True
            self._access_token = None
        if self.settings.access_token and not self._config_access_token_used:
            self._config_access_token_used = True
            self._use(self.settings.access_token, None, None)  # expiry unknown: used until 401
            return True
        return False

    def _adopt_from_store(
        self, stored: StoredToken | None, rejected: str | None, *, trust: bool = False
    ) -> bool:
        """Take an access token another process stored since ours was issued.

        Not while the config holds a refresh token the store does not know (a new login, maybe
        of another account), unless `trust`: that token was just refused.
        """
        if stored is None or not stored.access_token:
            return False
        if not trust and self._config_token_is_unknown(stored):
            return False
        if stored.access_token in {rejected, self._access_token}:
            return False
        if (
            stored.expires_at is not None
            and stored.expires_at - leeway_for(stored.lifetime) <= self._clock()
        ):
            return False
        self._use(stored.access_token, stored.expires_at, stored.lifetime)
        LOGGER.debug("Adopted the access token another process stored.")
        return True

    def _config_token_is_unknown(self, stored: StoredToken | None) -> bool:
        """The config refresh token is neither the store's nor one the store replaced."""
        config_token = self.settings.refresh_token
        if not config_token or stored is None:
            return False
        if not stored.refresh_token:
            return True
        return config_token != stored.refresh_token and not stored.knows_as_replaced(config_token)

    def _refresh_candidates(self, stored: StoredToken | None) -> list[str]:
        config_token = self.settings.refresh_token
        stored_token = stored.refresh_token if stored else None
        if config_token and (stored_token is None or self._config_token_is_unknown(stored)):
            return [t for t in (config_token, stored_token) if t]
        return [stored_token] if stored_token else []

    def _expiring(self) -> bool:
        if self._expires_at is None:
            return False
        return self._clock() >= self._expires_at - leeway_for(self._lifetime)

    def _use(self, token: str | None, expires_at: float | None, lifetime: float | None) -> None:
        self._access_token = token
        self._expires_at = expires_at
        self._lifetime = lifetime

    def _log_refresh(self, used: str, new: StoredToken) -> None:
        if self._usage is not None:
            self._usage.record_token_refresh()
        lifetime = f"{new.lifetime:.0f} s" if new.lifetime else "an unknown time"
        rotation = "rotated" if new.refresh_token != used else "unchanged (long-lived)"
        LOGGER.info(
            "Refreshed the Constant Contact access token (valid %s); refresh token %s, "
            "saved to %s.",
            lifetime,
            rotation,
            self.store.path,
        )
        LOGGER.debug("Refresh token %s -> %s.", fingerprint(used), fingerprint(new.refresh_token))

    # -- the token endpoint -----------------------------------------------------------------

    def _token_call(self, refresh_token: str, stored: StoredToken | None) -> dict[str, Any]:
        """POST grant_type=refresh_token, at most once per second."""
        return self._endpoint.call(
            {"grant_type": "refresh_token", "refresh_token": refresh_token},
            purpose="token refresh",
            before_each=lambda: self._respect_token_interval(stored),
        )

    def _respect_token_interval(self, stored: StoredToken | None) -> None:
        """Constant Contact's token endpoint allows one request per second per application."""
        now = self._clock()
        last = max(
            self._last_token_call or 0.0,
            (stored.refreshed_at or 0.0) if stored else 0.0,
        )
        wait = last + TOKEN_ENDPOINT_INTERVAL_SECONDS - now
        if wait > 0:
            self._sleep(wait)
        self._last_token_call = self._clock()

    def close(self) -> None:
        self._endpoint.close()
