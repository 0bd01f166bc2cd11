"""Next links: followed verbatim, joined to the host, the last page recognized."""

from __future__ import annotations

import json

import pytest
import requests

from tap_constantcontact.pagination import NextLinkPaginator
from tap_constantcontact.responses import InvalidResponseError, decoded_body


def _response(body: object, raw: bytes | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response._content = raw if raw is not None else json.dumps(body).encode()
    response.request = requests.Request(
        "GET", "http://127.0.0.1:1/v3/contacts?email=a@b.c"
    ).prepare()
    return response


@pytest.mark.parametrize(
    "body",
    [
        {"contacts": []},
        {"contacts": [], "_links": {}},
        {"contacts": [], "_links": {"next": None}},
        {"contacts": [], "_links": {"self": {"href": "/v3/contacts"}}},
    ],
)
def test_last_page_has_no_next_link(body: dict) -> None:
    paginator = NextLinkPaginator()
    paginator.advance(_response(body))
    assert paginator.finished


def test_next_href_is_kept_verbatim() -> None:
    paginator = NextLinkPaginator()
    paginator.advance(
        _response({"_links": {"next": {"href": "/v3/contacts?cursor=bGltaXQ9MSZuZXh0PTI="}}})
    )
    assert not paginator.finished
    assert paginator.current_value.geturl() == "/v3/contacts?cursor=bGltaXQ9MSZuZXh0PTI="


def test_a_repeated_next_link_stops_instead_of_looping() -> None:
    paginator = NextLinkPaginator()
    page = {"_links": {"next": {"href": "/v3/contacts?cursor=abc"}}}
    paginator.advance(_response(page))
    with pytest.raises(RuntimeError, match="Loop detected"):
        paginator.advance(_response(page))


def test_body_is_decoded_once_and_a_non_json_body_names_the_endpoint_not_the_query() -> None:
    response = _response({"contacts": [{"contact_id": "1"}]})
    assert decoded_body(response) is decoded_body(response)
    with pytest.raises(InvalidResponseError, match=r"GET /v3/contacts: .*not JSON") as info:
        decoded_body(_response(None, raw=b"<html>gateway</html>"))
    assert "a@b.c" not in str(info.value)
