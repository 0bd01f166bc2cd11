"""Decode API response bodies once, fast.

A page of 500 contacts is about 1 MB of JSON; the stream reads its records and the
paginator its next link, so the body is decoded once (msgspec, by the shared client) and
cached on the response. msgspec gives floats, not Decimals, so records need no further
conversion before they are written.
"""

from __future__ import annotations

import typing as t

from constantcontact_client import ConstantContactClient
from constantcontact_client.errors import ConstantContactError

if t.TYPE_CHECKING:
    import requests


class InvalidResponseError(ValueError):
    """An API response body that is not the JSON the endpoint documents."""


def decoded_body(response: requests.Response) -> t.Any:
    """The JSON body of `response` (None when empty), decoded once."""
    try:
        return ConstantContactClient.json_body(response)
    except ConstantContactError as exc:
        raise InvalidResponseError(str(exc)) from None
