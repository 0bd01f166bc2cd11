"""Request bodies: JSON import rows, POST /contacts and the merged PUT /contacts/{id}."""

from __future__ import annotations

from typing import Any

from target_constantcontact.model import (
    ADDRESS_PARTS,
    SCALAR_FIELDS,
    ContactIntent,
    ExistingContact,
)

UPDATE_SOURCE = "Account"
# ContactsJsonImport names an address part differently from the contact resource.
_IMPORT_ADDRESS_PART = {
    "street": "street",
    "city": "city",
    "state": "state",
    "postal_code": "zip",
    "country": "country",
}


def import_row(
    email: str,
    fields: dict[str, Any],
    phones: dict[str, str],
    addresses: dict[str, dict[str, str]],
    custom_fields: dict[str, str],
) -> dict[str, Any]:
    """One `import_data` item. Only values to set: the import cannot clear anything."""
    row: dict[str, Any] = {"email": email}
    row.update((name, value) for name, value in fields.items() if value is not None)
    for kind, number in phones.items():
        row[f"{kind}_phone"] = number
    for kind, parts in addresses.items():
        for part, value in parts.items():
            if value is not None:
                row[f"{kind}_{_IMPORT_ADDRESS_PART[part]}"] = value
    for name, value in custom_fields.items():
        row[f"cf:{name}"] = value
    return row


def one_per_kind(phones: list[tuple[str, str]]) -> dict[str, str] | None:
    """Phones by kind, or None when a kind has several (the import sets one phone per kind)."""
    by_kind = dict(phones)
    return by_kind if len(by_kind) == len(phones) else None


def _phone_list(phones: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"kind": kind, "phone_number": number} for kind, number in phones]


def _address_list(addresses: dict[str, dict[str, str | None]]) -> list[dict[str, Any]]:
    result = []
    for kind, parts in addresses.items():
        item = {"kind": kind} | {part: parts.get(part) for part in ADDRESS_PARTS if parts.get(part)}
        if len(item) > 1:
            result.append(item)
    return result


def _custom_field_list(values: dict[str, str | None]) -> list[dict[str, str]]:
    return [
        {"custom_field_id": custom_field_id, "value": value}
        for custom_field_id, value in values.items()
        if value is not None
    ]


def post_body(
    intent: ContactIntent,
    desired: DesiredContact,
    *,
    write_notes: bool,
) -> dict[str, Any]:
    """`POST /contacts` for a contact the account does not have."""
    email: dict[str, Any] = {
        "address": intent.email or "",
        "permission_to_send": "unsubscribed" if intent.unsubscribe else "implicit",
    }
    body: dict[str, Any] = {"email_address": email, "create_source": UPDATE_SOURCE}
    body.update((name, value) for name, value in desired.fields.items() if value is not None)
    if desired.custom_fields:
        body["custom_fields"] = _custom_field_list(desired.custom_fields)
    if desired.phones:
        body["phone_numbers"] = _phone_list(desired.phones)
    if desired.addresses:
        body["street_addresses"] = _address_list(desired.addresses)
    if desired.list_ids and not intent.unsubscribe:
        body["list_memberships"] = sorted(desired.list_ids)
    if desired.tag_ids:
        body["taggings"] = sorted(desired.tag_ids)
    if write_notes and desired.notes:
        body["notes"] = [{"content": content} for content in desired.notes]
    return body


def put_body(
    existing: ExistingContact,
    desired: DesiredContact,
    *,
    email: str | None,
    unsubscribe: bool,
    opt_out_reason: str | None,
    write_notes: bool,
) -> dict[str, Any]:
    """`PUT /contacts/{id}`: the whole contact, merged, since a PUT nulls what it omits."""
    permission = "unsubscribed" if unsubscribe or existing.unsubscribed else existing.permission
    email_address: dict[str, Any] = {"address": email or existing.email}
    if permission:
        email_address["permission_to_send"] = permission
    if unsubscribe and opt_out_reason:
        email_address["opt_out_reason"] = opt_out_reason
    body: dict[str, Any] = {"email_address": email_address, "update_source": UPDATE_SOURCE}
    body.update((name, value) for name, value in desired.fields.items() if value is not None)
    body["custom_fields"] = _custom_field_list(desired.custom_fields)
    body["phone_numbers"] = _phone_list(desired.phones)
    body["street_addresses"] = _address_list(desired.addresses)
    if permission != "unsubscribed":
        body["list_memberships"] = sorted(desired.list_ids)
    body["taggings"] = sorted(desired.tag_ids)
    if write_notes and desired.notes != existing.notes:
        body["notes"] = [{"content": content} for content in desired.notes]
    return body


class DesiredContact:
    """The contact as it should be after the write: the intent laid over the current state."""

    __slots__ = ("addresses", "custom_fields", "fields", "list_ids", "notes", "phones", "tag_ids")

    def __init__(
        self,
        intent: ContactIntent,
        existing: ExistingContact | None,
        *,
        add_only_memberships: bool,
    ) -> None:
        base_fields = dict(existing.fields) if existing else dict.fromkeys(SCALAR_FIELDS)
        self.fields: dict[str, Any] = {**base_fields, **intent.fields}

        # every phone the contact has is kept, several of one kind included (a PUT drops
        # what it omits); a phone given by kind replaces the first of that kind
        phones = list(existing.phones) if existing else []
        if intent.phones is not None:
            if intent.phones_replace:
                phones = []
            for kind, number in intent.phones.items():
                phones = _set_phone(phones, kind, number)
            phones += [phone for phone in intent.extra_phones if intent.phones.get(phone[0])]
        self.phones: list[tuple[str, str]] = [phone for phone in phones if phone[1]]

        addresses = {k: dict(v) for k, v in existing.addresses.items()} if existing else {}
        if intent.addresses is not None:
            if intent.addresses_replace:
                addresses = {}
            for kind, parts in intent.addresses.items():
                if parts is None:
                    addresses.pop(kind, None)
                else:
                    addresses[kind] = {**addresses.get(kind, {}), **parts}
        self.addresses: dict[str, dict[str, str | None]] = {
            kind: parts for kind, parts in addresses.items() if any(parts.values())
        }

        custom_fields: dict[str, str | None] = dict(existing.custom_fields) if existing else {}
        custom_fields.update(intent.custom_fields or {})
        self.custom_fields: dict[str, str | None] = {
            k: v for k, v in custom_fields.items() if v is not None
        }

        current_lists = existing.list_ids if existing and not existing.deleted else frozenset()
        self.list_ids: frozenset[str] = _memberships(
            current_lists, intent.list_ids, add_only=add_only_memberships
        )
        current_tags = existing.tag_ids if existing else frozenset()
        self.tag_ids: frozenset[str] = _memberships(
            current_tags, intent.tag_ids, add_only=add_only_memberships
        )
        self.notes: list[str] = (
            intent.notes if intent.notes is not None else (existing.notes if existing else [])
        )


def _memberships(
    current: frozenset[str], wanted: frozenset[str] | None, *, add_only: bool
) -> frozenset[str]:
    if wanted is None:
        return current
    return current | wanted if add_only else wanted


def _set_phone(
    phones: list[tuple[str, str]], kind: str, number: str | None
) -> list[tuple[str, str]]:
    """The first phone of `kind` becomes `number` (further ones stay); no number: none of the
    kind is left."""
    if number is None:
        return [phone for phone in phones if phone[0] != kind]
    kinds = [phone_kind for phone_kind, _ in phones]
    if kind not in kinds:
        return [*phones, (kind, number)]
    result = list(phones)
    result[kinds.index(kind)] = (kind, number)
    return result
