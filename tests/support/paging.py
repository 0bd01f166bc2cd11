"""Read every page of a list endpoint through its `_links.next.href` chain."""

from __future__ import annotations

from typing import Any

from constantcontact_emulator.testing import EmulatorProcess


def collect(
    emu: EmulatorProcess, path: str, key: str, *, max_pages: int = 10_000
) -> tuple[list[dict[str, Any]], int]:
    """All records under `key` across pages, and the number of pages read."""
    records: list[dict[str, Any]] = []
    url: str | None = path
    pages = 0
    while url:
        response = emu.api("GET", url)
        assert response.status_code == 200, (
            f"GET {url}: {response.status_code} {response.text[:300]}"
        )
        body = response.json()
        records.extend(body[key])
        pages += 1
        assert pages <= max_pages, f"more than {max_pages} pages: a cursor loop?"
        url = body.get("_links", {}).get("next", {}).get("href")
        if url is not None:
            assert url.startswith("/v3/"), url
    return records, pages
