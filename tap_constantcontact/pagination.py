"""HATEOAS paging on `_links.next.href`."""

from __future__ import annotations

import typing as t

from singer_sdk.pagination import BaseHATEOASPaginator

from constantcontact_client import ConstantContactClient
from tap_constantcontact.responses import decoded_body

if t.TYPE_CHECKING:
    import requests


class NextLinkPaginator(BaseHATEOASPaginator):
    """Follows `_links.next.href` verbatim (relative, starting with `/v3`).

    The stream joins the href to the API host and sends it without its own query
    parameters: the cursor carries the filters of the first request. The last page has no
    `_links`, an empty one, or no `next`. A repeated link stops the run (the SDK's loop
    detection) instead of reading the same pages forever.
    """

    def get_next_url(self, response: requests.Response) -> str | None:
        """The next page's href, or None on the last page."""
        return ConstantContactClient.next_href(decoded_body(response))
