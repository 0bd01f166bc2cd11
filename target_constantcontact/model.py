"""The target's data model: what a record asks for, what the account holds, what happened."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any

SCALAR_FIELDS = (
    "first_name",
    "last_name",
    "job_title",
    "company_name",
    "birthday_month",
    "birthday_day",
    "anniversary",
)
PHONE_KINDS = ("home", "work", "mobile", "other")
ADDRESS_KINDS = ("home", "work", "other")
ADDRESS_PARTS = ("street", "city", "state", "postal_code", "country")
_ANNIVERSARY = re.compile(
    r"^(?:(?P<y1>\d{4})(?P<s1>[/-])(?P<m1>\d{1,2})(?P=s1)(?P<d1>\d{1,2})"
    r"|(?P<m2>\d{1,2})(?P<s2>[/-])(?P<d2>\d{1,2})(?P=s2)(?P<y2>\d{4}))$"
)


def normalize_anniversary(value: str) -> str | None:
    """`YYYY-MM-DD` for each form the API accepts (`YYYY-MM-DD`, `MM/DD/YYYY`, `2006/1/5`, ...),
    so equal dates compare equal; None when `value` is not such a date."""
    match = _ANNIVERSARY.match(value.strip())
    if match is None:
        return None
    year = int(match["y1"] or match["y2"])
    month = int(match["m1"] or match["m2"])
    day = int(match["d1"] or match["d2"])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


class Action(enum.StrEnum):
    UPSERT = "upsert"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    UNCHANGED = "unchanged"
    SKIPPED = "skipped"
    FAILED = "failed"


class Ref:
    """How a record names a list, tag or custom field (plain strings: used per record)."""

    NAME = "name"  # by name in the target account
    ID = "id"  # by id in the target account
    SOURCE_ID = "source_id"  # by id in the source account (tap records)


@dataclass(slots=True)
class RecordError(Exception):
    """A record that cannot be applied; `field` names what is wrong."""

    error_key: str
    message: str
    field: str | None = None

    def __str__(self) -> str:
        return self.message


@dataclass(slots=True)
class ContactIntent:
    """What one input record asks for. `None` means "not sent": left alone in the target.

    Inside the dicts a `None` value means "sent empty": cleared in the target.
    """

    seq: int
    stream: str
    action: Action
    key: str
    email: str | None = None
    contact_id: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    # phones by kind: a flat column (`mobile_phone`) sets the first phone of its kind
    phones: dict[str, str | None] | None = None
    phones_replace: bool = False
    # further phones of a kind `phones` has (a `phone_numbers` array may hold two mobiles)
    extra_phones: tuple[tuple[str, str], ...] = ()
    addresses: dict[str, dict[str, str | None] | None] | None = None
    addresses_replace: bool = False
    # custom fields: (Ref, name or id) -> value
    custom_field_refs: dict[tuple[str, str], str | None] | None = None
    custom_fields_replace: bool = False
    list_refs: list[tuple[str, str]] | None = None
    tag_refs: list[tuple[str, str]] | None = None
    unsubscribe: bool = False
    opt_out_reason: str | None = None
    notes: list[str] | None = None
    # filled by resolution (definitions.py): target ids
    custom_fields: dict[str, str | None] | None = None  # custom_field_id -> value
    list_ids: frozenset[str] | None = None
    tag_ids: frozenset[str] | None = None
    # other records merged into this one (same contact in one batch)
    merged_seqs: list[int] = field(default_factory=list)

    @property
    def match_key(self) -> str:
        """`contact_id` when matching by id (the mapping sets it only then), else the email."""
        return self.contact_id or (self.email or "").lower()


@dataclass(slots=True)
class ExistingContact:
    """A contact as the target account holds it, normalized for comparison."""

    contact_id: str
    email: str
    permission: str | None
    deleted: bool
    fields: dict[str, Any]
    phones: list[tuple[str, str]]
    addresses: dict[str, dict[str, str | None]]
    custom_fields: dict[str, str]
    list_ids: frozenset[str]
    tag_ids: frozenset[str]
    notes: list[str]
    raw: dict[str, Any]

    @property
    def unsubscribed(self) -> bool:
        return self.permission == "unsubscribed"

    @classmethod
    def from_api(cls, resource: dict[str, Any]) -> ExistingContact:
        email = resource.get("email_address") or {}
        fields = {name: resource.get(name) for name in SCALAR_FIELDS}
        if isinstance(fields["anniversary"], str):
            fields["anniversary"] = (
                normalize_anniversary(fields["anniversary"]) or fields["anniversary"]
            )
        addresses: dict[str, dict[str, str | None]] = {}
        for address in resource.get("street_addresses") or []:
            kind = address.get("kind") or "other"
            addresses.setdefault(kind, {part: address.get(part) for part in ADDRESS_PARTS})
        return cls(
            contact_id=resource["contact_id"],
            email=email.get("address") or "",
            permission=email.get("permission_to_send"),
            deleted=bool(resource.get("deleted_at")),
            fields=fields,
            phones=[
                (phone.get("kind") or "other", phone.get("phone_number") or "")
                for phone in resource.get("phone_numbers") or []
            ],
            addresses=addresses,
            custom_fields={
                item["custom_field_id"]: item.get("value")
                for item in resource.get("custom_fields") or []
                if item.get("custom_field_id")
            },
            list_ids=frozenset(resource.get("list_memberships") or ()),
            tag_ids=frozenset(resource.get("taggings") or ()),
            notes=[note.get("content") or "" for note in resource.get("notes") or []],
            raw=resource,
        )


@dataclass(slots=True)
class RecordResult:
    """One ledger line: the outcome of one input record."""

    seq: int
    stream: str
    key: str
    action: str
    outcome: Outcome
    contact_id: str | None = None
    error_key: str | None = None
    message: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "stream": self.stream,
            "key": self.key,
            "contact_id": self.contact_id,
            "action": self.action,
            "outcome": self.outcome.value,
            "error_key": self.error_key,
            "message": self.message,
        }
