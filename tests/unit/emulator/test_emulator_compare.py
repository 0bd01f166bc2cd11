"""`compare_accounts` matches contacts by email and names, and reports every kind of difference."""

from __future__ import annotations

import copy
from typing import Any

from constantcontact_emulator.compare import compare_accounts


def account(list_id: str, tag_id: str, field_id: str) -> dict[str, list[dict[str, Any]]]:
    return {
        "contact_lists": [{"list_id": list_id, "name": "Customers"}],
        "contact_tags": [{"tag_id": tag_id, "name": "VIP"}],
        "custom_fields": [{"custom_field_id": field_id, "name": "shoe_size"}],
        "contacts": [
            {
                "email_address": {"address": "Ann@Example.com", "permission_to_send": "implicit"},
                "first_name": "Ann",
                "list_memberships": [list_id],
                "taggings": [tag_id],
                "custom_fields": [{"custom_field_id": field_id, "value": "38"}],
            },
            {
                "email_address": {"address": "gone@example.com"},
                "deleted_at": "2026-01-02",
            },
        ],
    }


def test_accounts_with_different_ids_but_same_names_match() -> None:
    a, b = account("l-1", "t-1", "f-1"), account("l-2", "t-2", "f-2")
    b["contacts"][0]["email_address"]["address"] = "ann@example.com"  # case differs
    b["contacts"].pop()  # deleted contacts are not compared
    diff = compare_accounts(a.__getitem__, b.__getitem__)
    assert not diff
    assert diff.compared == 1
    assert "match" in diff.summary()


def test_every_kind_of_difference_is_reported() -> None:
    a = account("l-1", "t-1", "f-1")
    b = copy.deepcopy(a)
    contact = b["contacts"][0]
    contact["first_name"] = "Anne"
    contact["taggings"] = []
    contact["custom_fields"][0]["value"] = "39"
    contact["email_address"]["permission_to_send"] = "unsubscribed"
    b["contacts"].append({"email_address": {"address": "new@example.com"}})
    a["contacts"].append({"email_address": {"address": "only-a@example.com"}})

    diff = compare_accounts(a.__getitem__, b.__getitem__)

    assert diff.missing == ["only-a@example.com"]
    assert diff.extra == ["new@example.com"]
    assert diff.different["ann@example.com"] == {
        "first_name": ("Ann", "Anne"),
        "tags": (["VIP"], []),
        "custom_fields": ({"shoe_size": "38"}, {"shoe_size": "39"}),
        "unsubscribed": (False, True),
    }
    assert "1 contacts missing" in diff.summary()
