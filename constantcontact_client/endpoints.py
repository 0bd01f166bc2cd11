"""Name API calls by endpoint template, and know which OAuth scope each endpoint needs.

`GET https://api.cc.email/v3/contacts/5c3e...?include=notes` is named `GET /v3/contacts/{id}`:
path segments that are not plain words (UUIDs, numeric segment ids, comma-separated id lists)
become `{id}`, and the query string is dropped. Every literal segment of the v3 API and its
OAuth paths is a lowercase word with underscores or hyphens, at most one trailing digit
(`oauth2`, `v1`, `v3`), so the rule is exact for the documented paths and never leaks ids,
emails or cursors into counters or messages.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_LITERAL_SEGMENT = re.compile(r"[a-z](?:[a-z_-]*[a-z])?\d?|v\d+")

# First matching prefix wins; paths are relative to the API root (after `/v3`).
_SCOPE_BY_PREFIX: tuple[tuple[str, str], ...] = (
    ("/reports/contact_reports", "contact_data"),
    ("/reports", "campaign_data"),
    ("/emails", "campaign_data"),
    ("/account", "account_read"),
    ("/contact", "contact_data"),  # contacts, contact_lists, contact_tags, contact_exports, ...
    ("/activities", "contact_data"),
    ("/segments", "contact_data"),
)
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def path_template(path: str) -> str:
    """`/v3/contacts/5c3e...` -> `/v3/contacts/{id}`."""
    return "/".join(
        segment if not segment or _LITERAL_SEGMENT.fullmatch(segment) else "{id}"
        for segment in path.split("/")
    )


def endpoint_name(method: str, url: str) -> str:
    """`GET /v3/contacts/{id}`: method plus path template, never query values."""
    return f"{method.upper()} {path_template(urlsplit(url).path or '/')}"


def required_scope(method: str, url_or_path: str) -> str | None:
    """The OAuth scope Constant Contact requires for this call, when one is documented."""
    path = urlsplit(url_or_path).path
    path = re.sub(r"^(?:/[^/]+)*?/v\d+(?=/)", "", path)  # drop `/v3` and any proxy prefix
    if path.startswith("/account/user/privileges"):
        return None  # any valid token may read its own privileges
    for prefix, scope in _SCOPE_BY_PREFIX:
        if path.startswith(prefix):
            if scope == "account_read" and method.upper() in _WRITE_METHODS:
                return "account_update"
            return scope
    return None
