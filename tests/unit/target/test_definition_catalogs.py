"""Definitions against an in-memory account: names that match several lists only by case are
an explicit error (never "does not exist", never a new list), and lists are read 500 a page."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from constantcontact_client.usage import Usage
from target_constantcontact.calls import CallCounter
from target_constantcontact.definitions import LIST, AmbiguousNameError, Definitions
from target_constantcontact.model import Action, ContactIntent, RecordError, Ref


class Response:
    def __init__(self, body: Any, status: int = 200) -> None:
        self.status_code = status
        self.content = msgspec.json.encode(body)
        self.request = None


class FakeAccount:
    """Lists, tags and custom fields of one account; every call is counted in `usage`."""

    def __init__(self, lists: list[str]) -> None:
        self.items: dict[str, list[dict[str, Any]]] = {
            "/contact_lists": [{"list_id": f"id-{n}", "name": n} for n in lists],
            "/contact_tags": [],
            "/contact_custom_fields": [],
        }
        self.usage = Usage()
        self.reads: list[tuple[str, Any]] = []
        self.posts: list[tuple[str, Any]] = []

    def pages(self, path: str, params: Any = None):
        self.usage.record(f"GET {path}", 200)
        self.reads.append((path, params))
        key = {"/contact_lists": "lists", "/contact_tags": "tags"}.get(path, "custom_fields")
        yield {key: self.items[path]}

    def retrying(self, func):
        return func

    def request(self, method: str, path: str, json: Any = None, **_: Any) -> Response:
        self.usage.record(f"{method} {path}", 201)
        self.posts.append((path, json))
        item = {"list_id": f"id-{json['name']}", **json}
        self.items[path].append(item)
        return Response(item, 201)


def definitions(account: FakeAccount) -> Definitions:
    return Definitions(account, create_missing=True, dry_run=False, calls=CallCounter())


def named(*lists: str) -> ContactIntent:
    intent = ContactIntent(seq=1, stream="contacts", action=Action.UPSERT, key="a@x.io")
    intent.list_refs = [(Ref.NAME, name) for name in lists]
    return intent


def test_exact_name_wins_and_a_unique_case_insensitive_match_is_used() -> None:
    account = FakeAccount(["VIP", "vip", "Customers"])
    defs = definitions(account)
    intent = named("VIP", "customers")
    defs.prepare([intent])
    defs.resolve(intent)
    assert intent.list_ids == frozenset({"id-VIP", "id-Customers"})
    assert account.posts == []


def test_ambiguous_name_is_an_explicit_error_and_nothing_is_created() -> None:
    account = FakeAccount(["VIP", "vip"])
    defs = definitions(account)
    intent = named("Vip")
    defs.prepare([intent])
    with pytest.raises(RecordError) as caught:
        defs.resolve(intent)
    assert caught.value.error_key == "ambiguous_list"
    assert caught.value.field == "list_memberships"
    assert "'VIP', 'vip'" in caught.value.message
    assert "does not exist" not in caught.value.message
    assert account.posts == []  # not created as a third list
    with pytest.raises(AmbiguousNameError):
        defs.find(LIST, "Vip")


def test_lists_are_read_500_a_page() -> None:
    account = FakeAccount(["One"])
    defs = definitions(account)
    assert defs.find(LIST, "One") is not None
    assert ("/contact_lists", {"limit": 500}) in account.reads
