"""The shared pagination helper: cursors, offset and keyset modes, limits."""

from __future__ import annotations

import base64
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.requests import Request

from constantcontact_emulator.errors import ApiError
from constantcontact_emulator.pagination import page_request, paginate


def _request(query: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/v3/contacts",
            "query_string": query.encode(),
            "headers": [],
        }
    )


def _follow(href: str, endpoint: str = "contacts"):
    return page_request(_request(urlsplit(href).query), endpoint)


def test_first_page_reads_limit_and_filters() -> None:
    page = page_request(_request("status=all&limit=3&include=notes"), "contacts")
    assert page.limit == 3
    assert page.params.pairs == [("status", "all"), ("include", "notes")]
    assert page.offset == 0


def test_cursor_carries_filters_and_position() -> None:
    items = list(range(10))
    page = page_request(_request("status=all&limit=4"), "contacts")
    chunk, links = paginate(page, items, path="/v3/contacts")
    assert chunk == [0, 1, 2, 3]
    href = links["next"]["href"]
    assert href.startswith("/v3/contacts?cursor=")
    decoded = dict(parse_qsl(base64.urlsafe_b64decode(href.split("cursor=")[1]).decode()))
    assert decoded == {"status": "all", "limit": "4", "next": "5"}
    second = _follow(href)
    assert second.params.get("status") == "all"
    chunk, links = paginate(second, items, path="/v3/contacts")
    assert chunk == [4, 5, 6, 7]
    chunk, links = paginate(_follow(links["next"]["href"]), items, path="/v3/contacts")
    assert chunk == [8, 9]
    assert links is None


def test_exact_multiple_has_no_empty_last_page() -> None:
    chunk, links = paginate(
        page_request(_request("limit=5"), "contacts"), list(range(5)), path="/v3/contacts"
    )
    assert chunk == list(range(5))
    assert links is None


def test_keyset_resumes_after_the_last_key_even_if_items_vanish() -> None:
    items = [10, 20, 30, 40, 50, 60]
    page = page_request(_request("limit=2"), "contacts")
    chunk, links = paginate(page, items, path="/v3/contacts", cursor_mode="keyset", keys=items)
    assert chunk == [10, 20]
    shrunk = [30, 40, 50, 60]  # 10 and 20 were deleted meanwhile
    chunk, _ = paginate(
        _follow(links["next"]["href"]),
        shrunk,
        path="/v3/contacts",
        cursor_mode="keyset",
        keys=shrunk,
    )
    assert chunk == [30, 40]
    # offset mode shifts instead
    chunk, links = paginate(
        page_request(_request("limit=2"), "contacts"), items, path="/v3/contacts"
    )
    chunk, _ = paginate(_follow(links["next"]["href"]), shrunk, path="/v3/contacts")
    assert chunk == [50, 60]


def test_tuple_keys_round_trip() -> None:
    items = [("a", 1), ("b", 2), ("c", 3)]
    chunk, links = paginate(
        page_request(_request("limit=1"), "segments"),
        items,
        path="/v3/segments",
        cursor_mode="keyset",
        keys=items,
    )
    chunk, _ = paginate(
        _follow(links["next"]["href"], "segments"),
        items,
        path="/v3/segments",
        cursor_mode="keyset",
        keys=items,
    )
    assert chunk == [("b", 2)]


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=501", "limit=x", "cursor=abc", "cursor=bGltaXQ9MA=="]
)
def test_bad_limit_or_cursor_is_400(query: str) -> None:
    with pytest.raises(ApiError) as caught:
        page_request(_request(query), "contacts")
    assert caught.value.status == 400
    assert query.split("=", maxsplit=1)[0] in caught.value.message


def test_limits_per_endpoint() -> None:
    assert page_request(_request(""), "contact_custom_fields").limit == 50
    assert page_request(_request(""), "segments").limit == 1000
    assert page_request(_request(""), "tracking").limit == 500
    with pytest.raises(ApiError):
        page_request(_request("limit=101"), "contact_custom_fields")


@given(size=st.integers(min_value=0, max_value=120), limit=st.integers(min_value=1, max_value=50))
def test_following_every_link_yields_every_item_once(size: int, limit: int) -> None:
    items = list(range(size))
    seen: list[int] = []
    page = page_request(_request(f"limit={limit}"), "contacts")
    while True:
        chunk, links = paginate(page, items, path="/v3/contacts")
        seen.extend(chunk)
        if links is None:
            break
        page = _follow(links["next"]["href"])
    assert seen == items
