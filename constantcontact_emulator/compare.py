"""Compare two accounts by what a person sees: live contacts by email, with lists, tags and
custom fields by name (ids differ between accounts). Used by the tests, the demo and users' CI
to check that `tap-constantcontact | target-constantcontact` copied an account faithfully.

    from constantcontact_emulator.compare import compare_accounts
    diff = compare_accounts(source.export, target.export)
    assert not diff, diff.summary()
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Export = Callable[[str], Any]  # `EmulatorProcess.export`: resource name -> stored records
ContactView = dict[str, Any]


def _address_key(address: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        address.get(part) for part in ("kind", "street", "city", "state", "postal_code", "country")
    )


def account_view(export: Export) -> dict[str, ContactView]:
    """Every live contact by lower-case email, with lists, tags and custom fields by name."""
    lists = {item["list_id"]: item["name"] for item in export("contact_lists")}
    tags = {item["tag_id"]: item["name"] for item in export("contact_tags")}
    fields = {item["custom_field_id"]: item["name"] for item in export("custom_fields")}
    view: dict[str, ContactView] = {}
    for contact in export("contacts"):
        if contact.get("deleted_at"):
            continue
        email = contact["email_address"]
        view[email["address"].lower()] = {
            "first_name": contact.get("first_name"),
            "last_name": contact.get("last_name"),
            "job_title": contact.get("job_title"),
            "company_name": contact.get("company_name"),
            "birthday_month": contact.get("birthday_month"),
            "birthday_day": contact.get("birthday_day"),
            "anniversary": contact.get("anniversary"),
            "unsubscribed": email.get("permission_to_send") == "unsubscribed",
            "phones": sorted(
                (phone["kind"], phone["phone_number"]) for phone in contact.get("phone_numbers", [])
            ),
            "addresses": sorted(map(_address_key, contact.get("street_addresses", []))),
            "custom_fields": {
                fields[item["custom_field_id"]]: item.get("value")
                for item in contact.get("custom_fields", [])
            },
            "lists": sorted(lists[list_id] for list_id in contact.get("list_memberships", [])),
            "tags": sorted(tags[tag_id] for tag_id in contact.get("taggings", [])),
        }
    return view


@dataclass
class AccountDiff:
    """How account B differs from account A; empty (falsy) when they match."""

    missing: list[str] = field(default_factory=list)  # live in A, not in B
    extra: list[str] = field(default_factory=list)  # live in B, not in A
    different: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)
    compared: int = 0

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra or self.different)

    def summary(self) -> str:
        if not self:
            return f"the accounts match: {self.compared} live contacts, field by field"
        parts = []
        if self.missing:
            parts.append(f"{len(self.missing)} contacts missing in B, e.g. {self.missing[:3]}")
        if self.extra:
            parts.append(f"{len(self.extra)} contacts only in B, e.g. {self.extra[:3]}")
        if self.different:
            email, fields = next(iter(self.different.items()))
            parts.append(f"{len(self.different)} contacts differ; {email}: {fields}")
        return "; ".join(parts)


def compare_accounts(source: Export, target: Export) -> AccountDiff:
    expected, actual = account_view(source), account_view(target)
    diff = AccountDiff(
        missing=sorted(set(expected) - set(actual)),
        extra=sorted(set(actual) - set(expected)),
        compared=len(expected),
    )
    for email in sorted(set(expected) & set(actual)):
        fields = {
            name: (value, actual[email][name])
            for name, value in expected[email].items()
            if value != actual[email][name]
        }
        if fields:
            diff.different[email] = fields
    return diff
