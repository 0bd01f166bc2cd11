"""Deterministic, realistic seed data.

Names, streets, companies and sentences come from Faker, drawn once into small pools; contacts
combine pool entries with a seeded `random.Random`, which keeps 100,000 contacts to a few
seconds. The same `--seed` (and the same anchor day) gives the same account.

Timestamps spread over the two years before the anchor: 00:00 UTC of the start day unless
`seed_anchor` is given, so two emulators started the same day with the same seed are identical.
"""

from __future__ import annotations

import gc
import json
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from faker import Faker

from constantcontact_emulator import definitions
from constantcontact_emulator.config import EmulatorConfig
from constantcontact_emulator.state import (
    Contact,
    CustomField,
    CustomFieldValue,
    EmailAddress,
    EmulatorState,
    Note,
    PhoneNumber,
    SmsChannel,
    StreetAddress,
    new_id,
)
from constantcontact_emulator.timefmt import iso_seconds

if TYPE_CHECKING:
    from constantcontact_emulator.extensions import Extension

T = TypeVar("T")
DAY = 86400.0
SPAN = 730 * DAY

LIST_NAMES = (
    "General Interest",
    "Monthly Newsletter",
    "VIP Customers",
    "Webinar Attendees",
    "Spring Promotion",
    "Event Leads",
    "Partners",
    "Product Updates",
    "Former Customers",
)
TAG_NAMES = (
    "Gold card member",
    "Trade show lead",
    "Newsletter signup",
    "High value",
    "Churn risk",
    "Referral",
    "Volunteer",
    "Beta tester",
)
TAG_SOURCES = (None, None, "ETSY", "Shopify", "Contact")
FREE_DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com")
OPT_OUT_REASONS = (
    None,
    "I am no longer interested in this service.",
    "Too many emails.",
    "The content is not relevant to me.",
    None,
)
PRIVILEGES = (
    "account:read",
    "account:update",
    "contacts:read",
    "contacts:write",
    "contacts:lists:read",
    "contacts:lists:write",
    "campaign:read",
    "campaign:create",
    "campaign:send",
    "campaign:metrics",
    "ui:campaign:metrics",
    "contacts:delete",
    "contacts:export",
)


@dataclass(frozen=True)
class SeedOptions:
    contacts: int
    campaigns: int
    seed: int
    anchor: float


def anchor_for(config: EmulatorConfig, now: float | None = None) -> float:
    if config.seed_anchor is not None:
        return config.seed_anchor
    current = time.time() if now is None else now
    return current - (current % DAY)


def build_state(
    config: EmulatorConfig, options: SeedOptions, extensions: Sequence[Extension] = ()
) -> EmulatorState:
    # Millions of new objects would trigger full garbage collections over and over; the seeded
    # objects live as long as the state, so collect nothing while building, then freeze them.
    gc.disable()
    try:
        state = _build(config, options, extensions)
    finally:
        gc.enable()
    gc.freeze()
    return state


def _build(
    config: EmulatorConfig, options: SeedOptions, extensions: Sequence[Extension]
) -> EmulatorState:
    state = EmulatorState(config)
    rng = random.Random(f"seed-{options.seed}")
    fake = Faker("en_US")
    fake.seed_instance(options.seed)
    _seed_account(state, fake, rng, options)
    if options.contacts > 0:
        pools = _Pools(fake)
        _seed_definitions(state, rng, options)
        _seed_contacts(state, rng, pools, options)
        _seed_segments(state, rng, pools, options)
    for extension in extensions:
        if extension.seed is not None:
            extension.seed(state, options)
    state.next_seq = len(state.contacts)
    install_extensions(state, extensions)
    return state


def install_extensions(state: EmulatorState, extensions: Sequence[Extension]) -> None:
    for extension in extensions:
        if extension.on_state is not None:
            extension.on_state(state)


class _Pools:
    """Faker output drawn once; contacts combine these."""

    def __init__(self, fake: Faker) -> None:
        self.first = [fake.first_name() for _ in range(700)]
        self.last = [fake.last_name() for _ in range(900)]
        self.companies = [fake.company()[:50] for _ in range(300)]
        self.jobs = [fake.job()[:50] for _ in range(250)]
        self.streets = [fake.street_address() for _ in range(600)]
        self.places = [(fake.city(), fake.state(), fake.zipcode()) for _ in range(400)]
        self.domains = [fake.domain_name() for _ in range(150)]
        self.sentences = [fake.sentence(nb_words=12) for _ in range(150)]
        self.words = [fake.word() for _ in range(100)]


def _seed_account(
    state: EmulatorState, fake: Faker, rng: random.Random, options: SeedOptions
) -> None:
    first, last = fake.first_name(), fake.last_name()
    organization = fake.company()
    domain = fake.domain_name()
    state.account = {
        "contact_email": f"{first}.{last}@{domain}".lower(),
        "contact_phone": fake.numerify("##########"),
        "country_code": "US",
        "encoded_account_id": "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(14)
        ),
        "encoded_partner_id": "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(14)
        ),
        "first_name": first,
        "last_name": last,
        "organization_name": organization,
        "organization_phone": fake.numerify("###-###-####"),
        "state_code": fake.state_abbr(),
        "time_zone_id": "US/Eastern",
        "website": f"https://www.{domain}",
        "physical_address": {
            "address_line1": fake.street_address(),
            "city": fake.city(),
            "state_code": fake.state_abbr(),
            "postal_code": fake.zipcode(),
            "country_code": "US",
        },
        "company_logo": {
            "url": f"https://files.constantcontact.com/{rng.getrandbits(32):08x}/logo.png",
            "external_url": f"https://www.{domain}/logo.png",
            "internal_id": str(rng.randint(10_000, 99_999)),
        },
    }
    state.privileges = [
        {"privilege_id": index, "privilege_name": name}
        for index, name in enumerate(PRIVILEGES, start=1)
    ]


def _seed_definitions(state: EmulatorState, rng: random.Random, options: SeedOptions) -> None:
    start = options.anchor - SPAN - 30 * DAY
    list_count = rng.randint(5, 8)
    for index, name in enumerate(rng.sample(LIST_NAMES, list_count)):
        lst = definitions.create_list(
            state,
            name,
            now=start + index * 3 * DAY + rng.uniform(0, DAY),
            favorite=rng.random() < 0.3,
            description=f"{name} ({'imported' if index % 2 else 'sign-up form'})",
        )
        lst.updated_at = lst.created_at + rng.uniform(0, 200 * DAY)
    # one deleted list, kept and visible with status=all
    old = definitions.create_list(state, "Archived 2023 Leads", now=start - 60 * DAY)
    old.deleted_at = old.updated_at = start + rng.uniform(0, 100 * DAY)

    for index, name in enumerate(rng.sample(TAG_NAMES, rng.randint(3, 6))):
        definitions.create_tag(
            state,
            name,
            now=start + index * 5 * DAY + rng.uniform(0, DAY),
            tag_source=rng.choice(TAG_SOURCES),
        )

    def field(label: str, field_type: str, **kwargs: object) -> CustomField:
        return definitions.create_custom_field(
            state,
            label,
            field_type,
            now=start + len(state.custom_fields) * 2 * DAY,
            **kwargs,  # type: ignore[arg-type]
        )

    field(
        "Membership Level",
        "single_select",
        metadata={"display_type": "dropdown"},
        choices=[("Bronze", 1), ("Silver", 2), ("Gold", 3), ("Platinum", 4)],
    )
    field(
        "Interests",
        "multi_select",
        metadata={"display_type": "checkbox"},
        choices=[("Skiing", 1), ("Hiking", 2), ("Cooking", 3), ("Travel", 4), ("Music", 5)],
    )
    field(
        "Lifetime Value",
        "currency",
        metadata={
            "currency_code": "USD",
            "decimal_places": 2,
            "integer": False,
            "allow_negative": False,
        },
    )
    field("Loyalty Points", "number", metadata={"integer": True, "allow_negative": False})
    field("Renewal Date", "date", version=2, metadata={"display_format": "MM/DD/YYYY"})
    field("Last Purchase", "date", version=1)
    field("Referral Code", "string")


class _Draw:
    """Fast draws from one seeded generator (random.choice/randint are several times slower)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.random = rng.random

    def pick(self, items: Sequence[T]) -> T:
        return items[int(self.random() * len(items))]

    def below(self, n: int) -> int:
        return int(self.random() * n)

    def chance(self, p: float) -> bool:
        return self.random() < p

    def between(self, low: float, high: float) -> float:
        return low + self.random() * (high - low)


def _value_pool(
    field: CustomField, draw: _Draw, pools: _Pools, anchor: float
) -> list[CustomFieldValue]:
    """Values contacts draw from; shared instances are safe because values are frozen."""
    values = []
    for _ in range(300):
        if field.type == "single_select":
            choice = draw.pick(field.choices)
            value = CustomFieldValue(
                field.custom_field_id, choice.choice_label, [str(choice.choice_id)]
            )
        elif field.type == "multi_select":
            chosen = sorted(
                draw.rng.sample(field.choices, 1 + draw.below(3)), key=lambda c: c.choice_id
            )
            value = CustomFieldValue(
                field.custom_field_id,
                ",".join(c.choice_label for c in chosen),
                [str(c.choice_id) for c in chosen],
            )
        elif field.type == "currency":
            value = CustomFieldValue(field.custom_field_id, f"{draw.between(5, 5000):.2f}")
        elif field.type == "number":
            value = CustomFieldValue(field.custom_field_id, str(draw.below(20001)))
        elif field.type == "date":
            day = time.gmtime(anchor + draw.between(-400 * DAY, 400 * DAY))
            text = (
                f"{day.tm_year:04d}-{day.tm_mon:02d}-{day.tm_mday:02d}"
                if field.version == 2
                else f"{day.tm_mon:02d}/{day.tm_mday:02d}/{day.tm_year:04d}"
            )
            value = CustomFieldValue(field.custom_field_id, text)
        else:
            code = f"{draw.pick(pools.words).upper()}{100 + draw.below(900)}"
            value = CustomFieldValue(field.custom_field_id, code)
        values.append(value)
    return values


def _sibling_ids(contact_id: str) -> Iterator[str]:
    """Ids of a contact's sub-resources. Like version-1 UUIDs made in the same moment on the
    same node, they share everything but the first (time_low) group."""
    time_low = int(contact_id[:8], 16)
    rest = contact_id[8:]
    for step in range(1, 100):
        yield f"{(time_low + step) & 0xFFFFFFFF:08x}{rest}"


def _permission(draw: _Draw) -> str:
    p = draw.random()
    if p < 0.62:
        return "implicit"
    if p < 0.94:
        return "explicit"
    if p < 0.97:
        return "pending_confirmation"
    if p < 0.98:
        return "not_set"
    return "unsubscribed"


class _ContactFactory:
    """Builds seeded contacts; one instance per seed run."""

    def __init__(
        self, state: EmulatorState, rng: random.Random, pools: _Pools, anchor: float
    ) -> None:
        self.state = state
        self.rng = rng
        self.draw = _Draw(rng)
        self.pools = pools
        self.anchor = anchor
        self.list_ids = [lid for lid, lst in state.lists.items() if lst.deleted_at is None]
        # the first lists are the popular ones: list i is drawn with weight 1 / (i + 1)
        self.weighted_list_ids = [
            lid for i, lid in enumerate(self.list_ids) for _ in range(round(60 / (i + 1)))
        ]
        self.tag_ids = list(state.tags)
        self.value_pools = [
            _value_pool(f, self.draw, pools, anchor) for f in state.custom_fields.values()
        ]
        below = self.draw.below
        self.phones = [
            f"({201 + below(789)}) {200 + below(800)}-{below(10000):04d}" for _ in range(5000)
        ]

    def email(self, first: str, last: str, seq: int, style: float) -> str:
        draw = self.draw
        domain = draw.pick(FREE_DOMAINS) if draw.chance(0.7) else draw.pick(self.pools.domains)
        local = f"{first}.{last}" if style < 0.5 else f"{first[0]}{last}{1 + draw.below(999)}"
        address = f"{local}@{domain}".lower().replace(" ", "").replace("'", "")
        if address in self.state.contacts_by_email:
            address = f"{local}{seq}@{domain}".lower().replace(" ", "").replace("'", "")
        return address

    def contact(self, seq: int, created: float) -> Contact:
        draw, pools = self.draw, self.pools
        first, last = draw.pick(pools.first), draw.pick(pools.last)
        style = draw.random()
        updated = created if style < 0.4 else draw.between(created, self.anchor)
        source = "Account" if draw.chance(0.75) else "Contact"
        permission = _permission(draw)
        email = EmailAddress(
            address=self.email(first, last, seq, style),
            permission_to_send=permission,
            created_at=created,
            updated_at=created,
            confirm_status="pending" if permission == "pending_confirmation" else "off",
        )
        if permission == "explicit" and draw.chance(0.5):
            email.confirm_status = "confirmed"
        if permission in ("implicit", "explicit", "unsubscribed"):
            email.opt_in_source = "Account" if permission == "implicit" else source
            email.opt_in_date = created
        if permission == "unsubscribed":
            email.opt_out_date = email.updated_at = draw.between(created, self.anchor)
            email.opt_out_source = "Contact" if draw.chance(0.85) else "Account"
            email.opt_out_reason = draw.pick(OPT_OUT_REASONS)
        contact = Contact(
            contact_id=new_id(self.rng),
            seq=seq,
            email_address=email,
            first_name=first,
            last_name=last,
            job_title=draw.pick(pools.jobs) if draw.chance(0.5) else None,
            company_name=draw.pick(pools.companies) if draw.chance(0.55) else None,
            birthday_month=None,
            birthday_day=None,
            anniversary=None,
            create_source=source,
            update_source="Account" if updated != created or source == "Account" else "Contact",
            created_at=created,
            updated_at=updated,
        )
        if draw.chance(0.3):
            contact.birthday_month = 1 + draw.below(12)
            contact.birthday_day = 1 + draw.below(28)
        if draw.chance(0.15):
            year = time.gmtime(created).tm_year - draw.below(11)
            contact.anniversary = f"{year}-{1 + draw.below(12):02d}-{1 + draw.below(28):02d}"
        self._subresources(contact, source)
        self._memberships(contact)
        if draw.chance(0.03):
            self._delete(contact)
        return contact

    def _subresources(self, contact: Contact, source: str) -> None:
        draw, pools = self.draw, self.pools
        created, updated = contact.created_at, contact.updated_at
        ids = _sibling_ids(contact.contact_id)
        if draw.chance(0.8):
            kinds = (
                ("mobile", "home")
                if draw.chance(0.25)
                else (draw.pick(("mobile", "home", "work")),)
            )
            contact.phone_numbers = [
                PhoneNumber(
                    next(ids), draw.pick(self.phones), kind, created, created, source, source
                )
                for kind in kinds
            ]
        if draw.chance(0.55):
            kinds = ("home", "work") if draw.chance(0.15) else ("home",)
            contact.street_addresses = [
                StreetAddress(
                    next(ids),
                    kind,
                    draw.pick(pools.streets),
                    *draw.pick(pools.places),
                    "United States",
                    created,
                    updated,
                )
                for kind in kinds
            ]
        if draw.chance(0.12):
            contact.notes = sorted(
                (
                    Note(next(ids), draw.between(created, updated), draw.pick(pools.sentences))
                    for _ in range(1 + draw.below(2))
                ),
                key=lambda note: note.created_at,
                reverse=True,
            )
        values = [draw.pick(pool) for pool in self.value_pools if draw.chance(0.4)]
        if values:
            contact.custom_fields = values
        if draw.chance(0.03):
            digits = self.phones[draw.below(len(self.phones))]
            digits = "".join(ch for ch in digits if ch.isdigit())
            contact.sms_channel = SmsChannel(
                next(ids),
                digits,
                "1",
                "US",
                source,
                source,
                [
                    {
                        "sms_consent_permission": "explicit",
                        "consent_type": "promotional_sms",
                        "opt_in_date": iso_seconds(created),
                        "created_at": iso_seconds(created),
                        "updated_at": iso_seconds(created),
                    }
                ],
            )

    def _memberships(self, contact: Contact) -> None:
        draw, state = self.draw, self.state
        if contact.permission != "unsubscribed" and self.list_ids and draw.chance(0.92):
            chosen = [draw.pick(self.weighted_list_ids) for _ in range(1 + draw.below(3))]
            contact.list_memberships = list(dict.fromkeys(chosen))
            for list_id in contact.list_memberships:
                state.lists[list_id].members.add(contact.contact_id)
        if self.tag_ids and draw.chance(0.3):
            contact.taggings = self.rng.sample(
                self.tag_ids, min(len(self.tag_ids), 1 + draw.below(2))
            )
            for tag_id in contact.taggings:
                state.tags[tag_id].members.add(contact.contact_id)

    def _delete(self, contact: Contact) -> None:
        deleted = self.draw.between(contact.updated_at, self.anchor)
        contact.deleted_at = deleted
        for list_id in contact.list_memberships:
            self.state.lists[list_id].members.discard(contact.contact_id)
        contact.list_memberships = []
        if self.state.config.delete_touches_updated_at:
            contact.updated_at = deleted


def _seed_contacts(
    state: EmulatorState, rng: random.Random, pools: _Pools, options: SeedOptions
) -> None:
    """Contacts in creation order, created over the two years before the anchor."""
    random_ = rng.random
    created_times = sorted(options.anchor - random_() * SPAN for _ in range(options.contacts))
    factory = _ContactFactory(state, rng, pools, options.anchor)
    for seq, created in enumerate(created_times):
        contact = factory.contact(seq, created)
        state.contacts[contact.contact_id] = contact
        assert contact.email_address is not None  # noqa: S101 - every seeded contact has one
        state.contacts_by_email[contact.email_address.address] = contact.contact_id
    state.next_seq = options.contacts


def _seed_segments(
    state: EmulatorState, rng: random.Random, pools: _Pools, options: SeedOptions
) -> None:
    anchor = options.anchor
    list_ids = [lid for lid, lst in state.lists.items() if lst.deleted_at is None]
    tag_ids = list(state.tags)
    city = pools.places[0][0]
    segments = [
        (
            "Engaged newsletter readers",
            {
                "type": "or",
                "group": [
                    {
                        "source": "list_membership",
                        "field": "list_membership",
                        "op": "contains-any",
                        "const_value": list_ids[:2],
                    }
                ],
            },
        ),
        (
            f"Contacts tagged {state.tags[tag_ids[0]].name}",
            {
                "type": "or",
                "group": [
                    {
                        "source": "tags",
                        "field": "tags",
                        "op": "contains-any",
                        "const_value": [tag_ids[0]],
                    }
                ],
            },
        ),
        (
            f"Local: {city}",
            {
                "type": "and",
                "group": [{"source": "contact", "field": "city", "op": "eq", "const_value": city}],
            },
        ),
        (
            "Recent sign-ups",
            {
                "type": "and",
                "group": [
                    {
                        "source": "contact",
                        "field": "created_at",
                        "op": "after",
                        "const_value": iso_seconds(anchor - 90 * DAY),
                    },
                    {
                        "source": "contact",
                        "field": "permission_to_send",
                        "op": "contains-any",
                        "const_value": ["explicit", "implicit"],
                    },
                ],
            },
        ),
        (
            "Did not open last 5 campaigns",
            {
                "type": "and",
                "group": [
                    {
                        "source": "tracking",
                        "field": "not_opened",
                        "op": "contains-any",
                        "const_value": "last-n-campaigns",
                        "param": "5",
                    }
                ],
            },
        ),
    ]
    for index, (name, criteria) in enumerate(segments):
        created = anchor - SPAN / 2 + index * 20 * DAY + rng.uniform(0, DAY)
        segment = definitions.create_segment(
            state,
            name,
            json.dumps({"version": "1.0.0", "criteria": criteria}, separators=(",", ":")),
            now=created,
        )
        segment.edited_at = created + rng.uniform(0, 200 * DAY)
    deleted = definitions.create_segment(
        state,
        "Old promotion audience",
        json.dumps(
            {
                "version": "1.0.0",
                "criteria": {
                    "type": "or",
                    "group": [
                        {
                            "source": "list_membership",
                            "field": "list_membership",
                            "op": "contains-any",
                            "const_value": list_ids[-1:],
                        }
                    ],
                },
            },
            separators=(",", ":"),
        ),
        now=anchor - SPAN + rng.uniform(0, DAY),
    )
    deleted.deleted_at = deleted.edited_at = deleted.created_at + 30 * DAY
