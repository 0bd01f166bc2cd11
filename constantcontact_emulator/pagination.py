"""Cursor pagination shared by every list endpoint.

The cursor is opaque to clients: base64 of a query string holding the filters of the first
request, the page size and the position, like the real `bGltaXQ9MSZuZXh0PTI=` (`limit=1&next=2`).
`_links.next.href` is relative and starts with `/v3`; the last page has no `_links`.

Two cursor modes (`--cursor-mode`):
- `offset` (default): the cursor holds the 1-based position of the next item in the filtered
  result. If the result changes between pages, items shift (as an offset cursor does).
- `keyset`: the cursor holds the sort key of the last item served; the next page starts after it.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

import msgspec
from starlette.requests import Request

from constantcontact_emulator import errors
from constantcontact_emulator.params import QueryParams, parse_int

T = TypeVar("T")

# Default and maximum `limit` per endpoint (API README §4). The spec's string-typed limits are
# accepted as integers.
LIMITS: dict[str, tuple[int, int]] = {
    "contacts": (50, 500),
    "activities": (50, 500),
    "contact_lists": (50, 1000),
    "contact_tags": (50, 500),
    "contact_custom_fields": (50, 100),
    "segments": (1000, 1000),
    "emails": (50, 500),
    "email_campaign_summaries": (50, 500),
    "tracking": (500, 500),
    "contact_activity_details": (100, 100),
    "landing_pages": (50, 500),
}

_RESERVED = ("cursor", "limit", "next", "after")


@dataclass
class PageRequest:
    """One page request: the effective filters (from the URL, or carried by the cursor)."""

    params: QueryParams
    limit: int
    offset: int = 0  # offset mode: index of the first item
    after: Any = None  # keyset mode: key of the last item served
    from_cursor: bool = False


def page_request(request: Request, endpoint: str) -> PageRequest:
    """Read `limit` and `cursor`; filters come from the cursor when there is one."""
    default_limit, max_limit = LIMITS[endpoint]
    query = QueryParams(request.query_params.multi_items())
    cursor = query.get("cursor")
    if cursor:
        return _decode_cursor(cursor, max_limit)
    limit = parse_int(
        "limit", query.get("limit"), minimum=1, maximum=max_limit, default=default_limit
    )
    return PageRequest(params=query.without(*_RESERVED), limit=limit)


def paginate(
    page: PageRequest,
    items: Sequence[T],
    *,
    path: str,
    cursor_mode: str = "offset",
    keys: Sequence[Any] | None = None,
) -> tuple[list[T], dict[str, Any] | None]:
    """Slice one page out of the full ordered result; return it with its `_links` (or None).

    `path` is the API path with its `/v3` prefix, e.g. `/v3/contacts`. `keys` (keyset mode) are
    the items' sort keys, ascending in list order.
    """
    if cursor_mode == "keyset" and keys is not None:
        start = 0 if page.after is None else bisect_right(keys, page.after)
    else:
        start = page.offset
    chunk = list(items[start : start + page.limit])
    end = start + len(chunk)
    if end >= len(items) or not chunk:
        return chunk, None
    state: list[tuple[str, str]] = [*page.params.pairs, ("limit", str(page.limit))]
    if cursor_mode == "keyset" and keys is not None:
        state.append(("after", _encode_key(keys[end - 1])))
    else:
        state.append(("next", str(end + 1)))
    token = base64.urlsafe_b64encode(urlencode(state).encode()).decode()
    return chunk, {"next": {"href": f"{path}?cursor={token}"}}


def with_links(body: dict[str, Any], links: dict[str, Any] | None) -> dict[str, Any]:
    if links:
        body["_links"] = links
    return body


def _encode_key(key: Any) -> str:
    return msgspec.json.encode(key).decode()


def _decode_cursor(cursor: str, max_limit: int) -> PageRequest:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode()).decode()
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise errors.invalid_param("cursor", cursor, "not a cursor issued by this API") from None
    query = QueryParams(pairs)
    try:
        limit = parse_int("limit", query.get("limit"), minimum=1, maximum=max_limit, default=0)
        offset = int(query.get("next") or "1") - 1
    except (errors.ApiError, ValueError):
        raise errors.invalid_param("cursor", cursor, "not a cursor issued by this API") from None
    if limit < 1 or offset < 0:
        raise errors.invalid_param("cursor", cursor, "not a cursor issued by this API")
    after_raw = query.get("after")
    after: Any = None
    if after_raw is not None:
        try:
            after = _decode_key(after_raw)
        except msgspec.DecodeError:
            raise errors.invalid_param(
                "cursor", cursor, "not a cursor issued by this API"
            ) from None
    return PageRequest(
        params=query.without(*_RESERVED), limit=limit, offset=offset, after=after, from_cursor=True
    )


def _decode_key(raw: str) -> Any:
    value = msgspec.json.decode(raw.encode())
    return tuple(value) if isinstance(value, list) else value
