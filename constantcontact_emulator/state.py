"""The emulated account: every stored object, in memory.

One `EmulatorState` holds an account's data. Handlers read and change it only through the domain
functions (contacts.py, lists.py, ...) so the semantics live in one place; the bulk activities
call the same functions. Handlers are `async def` and run on one event loop, so there is no
locking: never `await` in the middle of a change.

Timestamps are floats of epoch seconds; serializers format them (timefmt.py).
"""

from __future__ import annotations

import random
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from constantcontact_emulator.config import EmulatorConfig


def new_id(rng: random.Random) -> str:
    """A version-1-looking UUID like the ones Constant Contact issues (`...-11ef-...-fa163e...`)."""
    bits = rng.getrandbits(96)
    return (
        f"{bits >> 64:08x}-{(bits >> 48) & 0xFFFF:04x}-11{(bits >> 40) & 0xFF:02x}-"
        f"{0x8000 | ((bits >> 26) & 0x3FFF):04x}-fa163e{bits & 0xFFFFFF:06x}"
    )


@dataclass(slots=True)
class EmailAddress:
    address: str
    permission_to_send: str
    created_at: float
    updated_at: float
    opt_in_source: str | None = None
    opt_in_date: float | None = None
    opt_out_source: str | None = None
    opt_out_date: float | None = None
    opt_out_reason: str | None = None
    confirm_status: str = "off"


@dataclass(slots=True)
class PhoneNumber:
    phone_number_id: str
    phone_number: str
    kind: str
    created_at: float
    updated_at: float
    create_source: str
    update_source: str


@dataclass(slots=True)
class StreetAddress:
    street_address_id: str
    kind: str
    street: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str | None
    created_at: float
    updated_at: float


@dataclass(slots=True)
class Note:
    note_id: str
    created_at: float
    content: str


@dataclass(slots=True, frozen=True)
class CustomFieldValue:
    custom_field_id: str
    value: str
    choice_ids: list[str] | None = None


@dataclass(slots=True)
class SmsChannel:
    sms_channel_id: str
    sms_address: str
    dial_code: str
    country_code: str
    create_source: str
    update_source: str
    consents: list[dict[str, Any]]


@dataclass(slots=True)
class Contact:
    contact_id: str
    # Creation order; GET /contacts returns contacts in this order (= created_at ascending).
    seq: int
    email_address: EmailAddress | None
    first_name: str | None
    last_name: str | None
    job_title: str | None
    company_name: str | None
    birthday_month: int | None
    birthday_day: int | None
    anniversary: str | None
    create_source: str
    update_source: str
    created_at: float
    updated_at: float
    deleted_at: float | None = None
    custom_fields: list[CustomFieldValue] = field(default_factory=list)
    phone_numbers: list[PhoneNumber] = field(default_factory=list)
    street_addresses: list[StreetAddress] = field(default_factory=list)
    list_memberships: list[str] = field(default_factory=list)
    taggings: list[str] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    sms_channel: SmsChannel | None = None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def permission(self) -> str | None:
        return self.email_address.permission_to_send if self.email_address else None


@dataclass(slots=True)
class ContactList:
    list_id: str
    name: str
    description: str | None
    favorite: bool
    created_at: float
    updated_at: float
    deleted_at: float | None = None
    # contact_ids of the members; kept in step with Contact.list_memberships by contacts.py
    members: set[str] = field(default_factory=set)


@dataclass(slots=True)
class Tag:
    tag_id: str
    name: str
    tag_source: str | None
    created_at: float
    updated_at: float
    members: set[str] = field(default_factory=set)


@dataclass(slots=True)
class CustomFieldChoice:
    choice_id: int
    choice_label: str
    display_order: int
    created_at: float
    updated_at: float


@dataclass(slots=True)
class CustomField:
    custom_field_id: str
    label: str
    name: str
    type: str
    metadata: dict[str, Any] | None
    version: int | None
    choices: list[CustomFieldChoice]
    created_at: float
    updated_at: float


@dataclass(slots=True)
class Segment:
    segment_id: int
    name: str
    segment_criteria: str
    created_at: float
    edited_at: float
    deleted_at: float | None = None


class EmulatorState:
    """All data of the emulated account. Reset builds a new instance (see seed.build_state)."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.config = config
        # Runtime randomness (ids of created objects, admin actions): seeded for reproducibility.
        self.rng = random.Random(f"runtime-{config.seed}")

        self.contacts: dict[str, Contact] = {}  # insertion order == seq order
        self.contacts_by_email: dict[str, str] = {}  # lower-cased address -> contact_id
        self.next_seq = 0
        # Bumped by every contact change; query caches are keyed on it.
        self.version = 0
        self.query_cache: OrderedDict[Any, Any] = OrderedDict()

        self.lists: dict[str, ContactList] = {}
        self.tags: dict[str, Tag] = {}
        self.custom_fields: dict[str, CustomField] = {}
        self.segments: dict[int, Segment] = {}
        self.next_segment_id = 1
        self.account: dict[str, Any] = {}
        self.privileges: list[dict[str, Any]] = []

        # Filled by the campaigns/reports extension (routes/campaigns.py, seed_campaigns.py).
        self.campaigns: dict[str, Any] = {}
        self.campaign_activities: dict[str, Any] = {}
        self.tracking_events: dict[str, list[Any]] = {}  # by campaign_activity_id
        # Filled by the bulk-activities extension (routes/activities.py, bulk.py).
        self.bulk_activities: dict[str, Any] = {}
        self.contact_exports: dict[str, Any] = {}
        # Free space for extensions: extension name -> anything.
        self.extension_data: dict[str, Any] = {}
        # Called with (state, now) before every request, e.g. to advance bulk activities.
        self.tickers: list[Callable[[EmulatorState, float], None]] = []
        # Set by the bulk extension: (state, kind, details) -> the API body of a new activity
        # for list/tag DELETE (see activities_core.py).
        self.activity_recorder: (
            Callable[[EmulatorState, str, dict[str, Any]], dict[str, Any]] | None
        ) = None

    def new_id(self) -> str:
        return new_id(self.rng)

    def changed(self) -> None:
        """Record that contact data changed: cached query results are stale."""
        self.version += 1

    def tick(self, now: float) -> None:
        for ticker in self.tickers:
            ticker(self, now)

    def queued_activity_count(self) -> int:
        """Bulk activities not yet finished; the API refuses new ones past the limit."""
        return sum(
            1
            for activity in self.bulk_activities.values()
            if _activity_state(activity) in ("initialized", "processing")
        )


def _activity_state(activity: Any) -> str | None:
    if isinstance(activity, dict):
        return activity.get("state")
    return getattr(activity, "state", None)
