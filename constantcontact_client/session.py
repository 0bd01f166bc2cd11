"""The `requests.Session` every Constant Contact call goes through.

Where each concern lives, so that composing with singer-sdk never doubles anything:

- Pacing, the daily budget, the run cap and call counting live in `PacedAdapter.send`, which is
  mounted for the API's origin only. It runs exactly once per HTTP exchange, including the
  one-time resend after a 401 (the token manager's hook resends through
  `response.connection`, which is this adapter). Nothing else paces or counts.
- The access token is applied in `ConstantContactSession.send`, for requests to the API's
  origin only (never to another host, such as a redirect target), and checked again by the
  adapter after the wait for a slot, which may have brought it to its expiry. singer-sdk also
  calls its `authenticator` and sets `session.auth`; applying the token manager again is
  idempotent (same header, and its 401 hook is registered once).
- Every send waits at most `request_timeout` for the API, whatever timeout the caller passed:
  singer-sdk always passes its own (`RESTStream.timeout`, 300 s), which would otherwise
  replace the setting.
- The session never retries: urllib3 retries are off (`max_retries=0`), and a 401 is resent
  once by the token hook. Retrying is `ConstantContactClient.retrying` or the SDK's
  `request_decorator`, one of them, not both.
- Connection failures become `RetriableError` naming the endpoint, with no URL query values
  (which may hold an email filter).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter

from constantcontact_client.endpoints import endpoint_name
from constantcontact_client.errors import RetriableError
from constantcontact_client.redaction import redact
from constantcontact_client.usage import CONNECTION_ERROR

if TYPE_CHECKING:
    from constantcontact_client.auth import TokenManager
    from constantcontact_client.ratelimit import RateLimiter
    from constantcontact_client.settings import ClientSettings
    from constantcontact_client.usage import Usage

LOGGER = logging.getLogger(__name__)
TRANSPORT_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    ConnectionResetError,
)
_URL_IN_MESSAGE = re.compile(r"(?:with url: |url: |https?://)\S+")


class PacedAdapter(HTTPAdapter):
    """Acquires the rate limiter before, and counts the exchange after, every send."""

    def __init__(
        self,
        limiter: RateLimiter,
        usage: Usage,
        token_manager: TokenManager | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(max_retries=0, **kwargs)
        self.limiter = limiter
        self.usage = usage
        self.token_manager = token_manager

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        endpoint = endpoint_name(request.method or "GET", request.url or "/")
        self.limiter.acquire()
        self._refresh_header(request)
        try:
            response = super().send(request, *args, **kwargs)
        except TRANSPORT_ERRORS:
            self.usage.record(endpoint, CONNECTION_ERROR)
            raise
        self.usage.record(endpoint, response.status_code)
        LOGGER.debug("%s -> HTTP %s", endpoint, response.status_code)
        return response

    def _refresh_header(self, request: requests.PreparedRequest) -> None:
        """The wait for a slot may have brought the token to its expiry: check it again."""
        if self.token_manager is None:
            return
        before = self.token_manager.current_token
        token = self.token_manager.ensure_active_token()
        if token != before:
            self.limiter.pace()  # the refresh delayed this call: take a fresh slot
        request.headers["Authorization"] = f"Bearer {token}"


class ConstantContactSession(requests.Session):
    """A session that paces, authenticates and counts calls to one API origin."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        limiter: RateLimiter,
        usage: Usage,
        token_manager: TokenManager | None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.token_manager = token_manager
        self.usage = usage
        self.api_origin = settings.api_origin
        self.headers["User-Agent"] = settings.user_agent
        self.mount(self.api_origin + "/", PacedAdapter(limiter, usage, token_manager))

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        url = request.url or ""
        if _same_origin(url, self.api_origin):
            request.headers["User-Agent"] = self.settings.user_agent
            if self.token_manager is not None:
                request = self.token_manager(request)
        kwargs["timeout"] = self.settings.request_timeout
        try:
            return super().send(request, **kwargs)
        except TRANSPORT_ERRORS as exc:
            endpoint = endpoint_name(request.method or "GET", url)
            reason = _URL_IN_MESSAGE.sub("<url>", redact(str(exc)))
            raise RetriableError(
                f"{endpoint}: connection failed ({type(exc).__name__}): {reason}",
                endpoint=endpoint,
            ) from None


def _same_origin(url: str, origin: str) -> bool:
    return url == origin or url.startswith((origin + "/", origin + "?"))
