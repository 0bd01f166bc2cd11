"""Cursor pagination: relative /v3 next links, filters carried in the cursor, cursor modes."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
from support.paging import collect

from constantcontact_emulator.testing import EmulatorProcess


@pytest.fixture(autouse=True)
def fresh(emulator: EmulatorProcess) -> None:
    emulator.reset()


def test_next_link_is_relative_and_carries_the_filters(emulator: EmulatorProcess) -> None:
    stored = emulator.export("contacts")
    pivot = sorted(c["updated_at"] for c in stored)[300]
    expected = [c["contact_id"] for c in stored if c["updated_at"] >= pivot]
    first = emulator.api(
        "GET", f"/contacts?status=all&updated_after={pivot}&limit=100&include=taggings"
    ).json()
    href = first["_links"]["next"]["href"]
    url = urlsplit(href)
    assert url.scheme == ""
    assert url.netloc == ""
    assert url.path == "/v3/contacts"
    assert set(parse_qs(url.query)) == {"cursor"}
    # opaque to clients, but like the real one it is base64 of a query string
    decoded = base64.urlsafe_b64decode(parse_qs(url.query)["cursor"][0] + "==").decode()
    assert "updated_after" in decoded
    assert "limit=100" in decoded
    records, pages = collect(
        emulator,
        f"/contacts?status=all&updated_after={pivot}&limit=100&include=taggings",
        "contacts",
    )
    assert [r["contact_id"] for r in records] == expected
    assert pages == -(-len(expected) // 100)
    assert all("taggings" in r for r in records)


def test_last_page_has_no_links(emulator: EmulatorProcess) -> None:
    body = emulator.api("GET", "/contacts?limit=500&status=all&created_after=2000-01-01").json()
    assert "_links" in body
    records, pages = collect(emulator, "/contacts?limit=500&status=all", "contacts")
    assert (len(records), pages) == (1200, 3)
    last = emulator.api("GET", "/contacts?limit=500&status=deleted").json()
    assert "_links" not in last
    empty = emulator.api("GET", "/contacts?email=nobody@example.com").json()
    assert empty == {"contacts": []}


def test_default_limit_is_50(emulator: EmulatorProcess) -> None:
    assert len(emulator.api("GET", "/contacts").json()["contacts"]) == 50
    assert len(emulator.api("GET", "/contact_tags").json()["tags"]) == len(
        emulator.export("contact_tags")
    )


def test_offset_cursor_shifts_when_the_result_changes(emulator: EmulatorProcess) -> None:
    original = [
        c["contact_id"] for c in emulator.api("GET", "/contacts?limit=40").json()["contacts"]
    ]
    first = emulator.api("GET", "/contacts?limit=10").json()
    for contact_id in original[:3]:
        assert emulator.api("DELETE", f"/contacts/{contact_id}").status_code == 204
    second = emulator.api("GET", first["_links"]["next"]["href"]).json()
    # three contacts left the result, so the next page starts three items later
    assert [c["contact_id"] for c in second["contacts"]] == original[13:23]


def test_keyset_cursor_resumes_after_the_last_item(emulator_factory) -> None:
    emu = emulator_factory(contacts=100, campaigns=0, cursor_mode="keyset")
    original = [c["contact_id"] for c in emu.api("GET", "/contacts?limit=40").json()["contacts"]]
    first = emu.api("GET", "/contacts?limit=10").json()
    for contact_id in original[:3]:
        assert emu.api("DELETE", f"/contacts/{contact_id}").status_code == 204
    second = emu.api("GET", first["_links"]["next"]["href"]).json()
    assert [c["contact_id"] for c in second["contacts"]] == original[10:20]
    records, _ = collect(emu, "/contacts?limit=7&status=all", "contacts")
    assert [r["contact_id"] for r in records] == [c["contact_id"] for c in emu.export("contacts")]


@pytest.mark.parametrize(
    ("path", "key", "resource"),
    [
        ("/contact_lists?status=all&limit=2", "lists", "contact_lists"),
        ("/contact_tags?limit=1", "tags", "contact_tags"),
        ("/contact_custom_fields?limit=3", "custom_fields", "custom_fields"),
    ],
)
def test_small_pages_of_definitions(
    emulator: EmulatorProcess, path: str, key: str, resource: str
) -> None:
    records, pages = collect(emulator, path, key)
    stored = emulator.export(resource)
    id_key = {"lists": "list_id", "tags": "tag_id", "custom_fields": "custom_field_id"}[key]
    assert [r[id_key] for r in records] == [s[id_key] for s in stored]
    assert pages > 1


def test_segments_pages(emulator: EmulatorProcess) -> None:
    records, pages = collect(emulator, "/segments?limit=2&sort_by=name", "segments")
    live = [s for s in emulator.export("segments") if "deleted_at" not in s]
    assert [r["name"] for r in records] == sorted((s["name"] for s in live), key=str.lower)
    assert pages == -(-len(live) // 2)


def test_garbled_cursor_is_400(emulator: EmulatorProcess) -> None:
    for cursor in ("bm90IGEgY3Vyc29y", "%%%", "bGltaXQ9MCZuZXh0PTE="):
        response = emulator.api("GET", f"/contacts?cursor={cursor}")
        assert response.status_code == 400, cursor
        assert "'cursor'" in response.json()[0]["error_message"]
