"""Decode API response bodies once, fast.

A page of 500 contacts is about 1 MB of JSON; the stream reads its records and the
paginator its next link, so the decoded body is cached on the response. msgspec decodes
several times faster than the stdlib and gives floats, not Decimals, so records need no
further conversion before they are written.
"""

from __future__ import annotations

import typing as t

import msgspec

from constantcontact_client.endpoints import endpoint_name

if t.TYPE_CHECKING:
    import requests

_CACHE_ATTRIBUTE = "_tap_constantcontact_body"
_decoder = msgspec.json.Decoder()


class InvalidResponseError(ValueError):
    """An API response body that is not the JSON the endpoint documents."""


def decoded_body(response: requests.Response) -> t.Any:
    """The JSON body of `response`, decoded once."""
    cached = response.__dict__.get(_CACHE_ATTRIBUTE, _CACHE_ATTRIBUTE)
    if cached is not _CACHE_ATTRIBUTE:
        return cached
    content = response.content
    try:
        body = _decoder.decode(content) if content else None
    except msgspec.DecodeError as exc:
        request = response.request
        where = endpoint_name(request.method or "GET", request.url or "/") if request else "API"
        raise InvalidResponseError(f"{where}: the API returned a body that is not JSON") from exc
    response.__dict__[_CACHE_ATTRIBUTE] = body
    return body
