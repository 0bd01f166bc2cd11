"""`ConstantContactClient`: the one object the tap and the target hold.

    client = ConstantContactClient(ClientSettings.from_config(config), logger=log)
    for contact in client.paginate("/contacts", params={"limit": 500}, records_key="contacts"):
        ...
    client.close()  # logs the usage summary

Composing with singer-sdk's `RESTStream` (no double pacing, counting or retrying):

- `requests_session` returns `client.session`: pacing, budget, counting and the token are
  applied there, once per HTTP exchange (see `session.py`).
- `authenticator` may return `client.token_manager` (or stay the SDK default: the session
  applies the token anyway); applying it twice is harmless.
- `validate_response` calls `client.check_response`. The errors it raises already are the SDK's
  `RetriableAPIError` / `FatalAPIError`, so no translation is needed.
- `request_decorator` returns `client.retrying(func)`, which replaces the SDK's backoff: it
  honours `max_retries`, waits about 1 s (or `Retry-After`) after a `throttled` 429, longer for
  a full activity queue, and exponentially after 5xx and connection errors.
- Streams follow `_links.next.href` with `client.url_for(href)` and no params, or read whole
  list endpoints with `client.pages` / `client.paginate`, which guard against a repeated next
  link. `on_response` (on `request`, `pages`, `paginate`) sees every response of the call,
  retried attempts included, so a caller can count its own calls by purpose.

Do not wrap `client.request` (which already retries) in another retrying decorator.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Generator, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import backoff
import msgspec
import requests
from singer_sdk.exceptions import RetriableAPIError

from constantcontact_client.auth import TokenManager
from constantcontact_client.endpoints import endpoint_name
from constantcontact_client.errors import (
    ConstantContactError,
    QueueFullError,
    ThrottledError,
    error_for_response,
)
from constantcontact_client.ratelimit import RateLimiter
from constantcontact_client.redaction import install_log_redaction
from constantcontact_client.session import TRANSPORT_ERRORS, ConstantContactSession
from constantcontact_client.settings import ClientSettings
from constantcontact_client.usage import Usage

T = TypeVar("T")
#: Called with each response of a call (retried attempts included), before it is checked.
ResponseHook = Callable[[requests.Response], object]
RETRIABLE = (RetriableAPIError, *TRANSPORT_ERRORS)
THROTTLE_WAIT_SECONDS = 1.0
QUEUE_FULL_WAIT_SECONDS = 15.0
MAX_WAIT_SECONDS = 120.0
_BODY_ATTRIBUTE = "_constantcontact_json_body"
_NO_BODY = object()
_DECODER = msgspec.json.Decoder()


class ConstantContactClient:
    """Paced, authenticated, counted and retried access to the Constant Contact v3 API."""

    def __init__(
        self,
        settings: ClientSettings | Mapping[str, Any],
        logger: logging.Logger | None = None,
        *,
        limiter: RateLimiter | None = None,
        token_manager: TokenManager | None = None,
    ) -> None:
        if not isinstance(settings, ClientSettings):
            settings = ClientSettings.from_config(settings)
        self.settings = settings
        self.logger = logger or logging.getLogger(__name__)
        install_log_redaction()
        self.limiter = limiter or RateLimiter.from_settings(settings)
        self.usage = Usage(self.limiter)
        self.token_manager = token_manager or TokenManager(settings, usage=self.usage)
        self.session = ConstantContactSession(
            settings, limiter=self.limiter, usage=self.usage, token_manager=self.token_manager
        )
        self._closed = False

    # -- URLs -------------------------------------------------------------------------------

    def url_for(self, path_or_href: str) -> str:
        """An absolute URL for a plain path (`/contacts`), a next link (`/v3/contacts?cursor=`)
        or an absolute URL (returned as is)."""
        if urlsplit(path_or_href).scheme in {"http", "https"}:
            return path_or_href
        api_url = self.settings.api_url
        base_path = urlsplit(api_url).path  # "/v3", or "/prefix/v3" behind a proxy
        version = "/" + base_path.rsplit("/", 1)[-1] if base_path.strip("/") else ""
        if version and (
            path_or_href == version or path_or_href.startswith((version + "/", version + "?"))
        ):
            return api_url[: -len(version)] + path_or_href
        return api_url + "/" + path_or_href.lstrip("/")

    @staticmethod
    def next_href(body: Any) -> str | None:
        """`_links.next.href` of a list response, or None on the last page."""
        if not isinstance(body, dict):
            return None
        links = body.get("_links")
        nxt = links.get("next") if isinstance(links, dict) else None
        if not isinstance(nxt, dict):
            return None
        href = nxt.get("href")
        if href is None and isinstance(nxt.get("next"), dict):  # the spec's nested variant
            href = nxt["next"].get("href")
        return href if isinstance(href, str) and href else None

    # -- responses and retries --------------------------------------------------------------

    def check_response(self, response: requests.Response) -> None:
        """Raise the classified error for a failed response; return for a success."""
        error = error_for_response(response)
        if error is not None:
            raise error

    def retrying(self, func: Callable[..., T]) -> Callable[..., T]:
        """Retry `func` on `RetriableError` (and the SDK's `RetriableAPIError`) and connection
        errors, up to `max_retries` times."""
        return backoff.on_exception(
            self._waits,
            RETRIABLE,
            max_tries=self.settings.max_retries + 1,
            jitter=None,
            on_backoff=self._on_backoff,
            logger=None,
        )(func)

    def _waits(self) -> Generator[float, Any, None]:
        failures = 0
        queue_full = 0
        exc = yield 0.0
        while True:
            if isinstance(exc, ThrottledError):
                wait = exc.retry_after or THROTTLE_WAIT_SECONDS + random.uniform(0, 0.25)
            elif isinstance(exc, QueueFullError):
                wait = exc.retry_after or QUEUE_FULL_WAIT_SECONDS * 2**queue_full
                queue_full += 1
            else:
                wait = 2.0**failures * random.uniform(0.8, 1.2)
                failures += 1
            exc = yield min(wait, MAX_WAIT_SECONDS)

    def _on_backoff(self, details: Any) -> None:
        self.usage.record_retry()
        exc = details.get("exception")
        reason = str(exc) if isinstance(exc, ConstantContactError) else type(exc).__name__
        self.logger.warning(
            "%s; retry %d of %d in %.1f s.",
            reason,
            details.get("tries", 0),
            self.settings.max_retries,
            details.get("wait") or 0.0,
        )

    # -- calls ------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        files: Any = None,
        headers: Mapping[str, str] | None = None,
        retry: bool = True,
        on_response: ResponseHook | None = None,
    ) -> requests.Response:
        """Send a call, raise its classified error if it failed, retry what is retriable.

        `retry=False` sends once (for non-idempotent calls whose caller reconciles itself).
        `on_response` sees the response of every attempt (a 401 resent after a token refresh
        is one response, with the 401 in its `history`).
        """
        url = self.url_for(path_or_url)

        def attempt() -> requests.Response:
            response = self.session.request(
                method.upper(),
                url,
                params=dict(params) if params else None,
                json=json,
                data=data,
                files=files,
                headers=dict(headers) if headers else None,
            )
            if on_response is not None:
                on_response(response)
            self.check_response(response)
            return response

        return self.retrying(attempt)() if retry else attempt()

    def pages(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        on_response: ResponseHook | None = None,
    ) -> Iterator[Any]:
        """The JSON body of each page, following `_links.next.href` verbatim (no params).

        Lazy: the next page is requested only when the caller asks for it, so a caller that
        needs only the first page (or stops early) spends no further call. A next link seen
        before stops with an error instead of reading the same pages forever.
        """
        url = self.url_for(path)
        endpoint = endpoint_name("GET", url)
        seen: set[str] = set()
        response = self.request("GET", url, params=params, on_response=on_response)
        while True:
            body = self._json(response, endpoint)
            yield body
            href = self.next_href(body)
            if href is None:
                return
            next_url = self.url_for(href)
            if next_url in seen:
                raise ConstantContactError(
                    f"{endpoint}: pagination loop: the API returned a next link it had already "
                    "returned; stopping instead of reading the same pages forever.",
                    endpoint=endpoint,
                )
            seen.add(next_url)
            response = self.request("GET", next_url, on_response=on_response)

    def paginate(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        records_key: str | None = None,
        on_response: ResponseHook | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every record across the pages of a list endpoint.

        `records_key` names the array (`contacts`, `lists`, ...); without it the page's only
        array is used.
        """
        endpoint = endpoint_name("GET", self.url_for(path))
        for body in self.pages(path, params=params, on_response=on_response):
            yield from records_of(body, records_key, endpoint)

    @staticmethod
    def json_body(response: requests.Response) -> Any:
        """The response's JSON body (None when empty), decoded once with msgspec and cached on
        the response: a page of 500 contacts is about 1 MB, read by more than one caller."""
        cached = response.__dict__.get(_BODY_ATTRIBUTE, _NO_BODY)
        if cached is not _NO_BODY:
            return cached
        content = response.content
        try:
            body = _DECODER.decode(content) if content else None
        except msgspec.DecodeError:
            request = response.request
            endpoint = (
                endpoint_name(request.method or "GET", request.url or "/") if request else "API"
            )
            raise ConstantContactError(
                f"{endpoint}: HTTP {response.status_code} with a body that is not JSON "
                f"(Content-Type {response.headers.get('Content-Type', 'none')}).",
                endpoint=endpoint,
                status=response.status_code,
            ) from None
        response.__dict__[_BODY_ATTRIBUTE] = body
        return body

    @classmethod
    def _json(cls, response: requests.Response, endpoint: str) -> Any:
        body = cls.json_body(response)
        if body is None:
            raise ConstantContactError(
                f"{endpoint}: HTTP {response.status_code} with an empty body where a page of "
                "records was expected.",
                endpoint=endpoint,
                status=response.status_code,
            )
        return body

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        """Log the usage summary and release connections and backend handles."""
        if self._closed:
            return
        self._closed = True
        if self.usage.calls_total or self.usage.token_refreshes:
            self.logger.info(self.usage.summary())
        self.session.close()
        self.token_manager.close()
        self.limiter.close()

    def __enter__(self) -> ConstantContactClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def records_of(body: Any, records_key: str | None, endpoint: str) -> list[dict[str, Any]]:
    """The records array of a decoded list page (`records_key`, or the page's only array)."""
    if isinstance(body, list):
        return body
    if not isinstance(body, dict):
        raise ConstantContactError(
            f"{endpoint}: expected a JSON object or array.", endpoint=endpoint
        )
    if records_key is not None:
        records = body.get(records_key)
        if records is None:
            return []
        if not isinstance(records, list):
            raise ConstantContactError(
                f"{endpoint}: `{records_key}` is not an array.", endpoint=endpoint
            )
        return records
    arrays = [key for key, value in body.items() if isinstance(value, list) and key != "_links"]
    if len(arrays) > 1:
        raise ConstantContactError(
            f"{endpoint}: the page has several arrays ({', '.join(arrays)}); pass records_key.",
            endpoint=endpoint,
        )
    return body[arrays[0]] if arrays else []
