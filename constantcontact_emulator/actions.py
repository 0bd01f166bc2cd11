"""`POST /_emulator/actions`: changes a person would make in the Constant Contact UI, now.

- create: a new contact (create_source Account, implicit permission) added to one or two lists;
- update: an edit of name, job, company, phone, address or a custom field value;
- delete: a soft delete;
- unsubscribe: the contact opts out (source Contact); only the email's timestamps move.

All go through contacts.py, so they behave exactly like the API's own changes.
"""

from __future__ import annotations

import time
from typing import Any

from faker import Faker

from constantcontact_emulator import contacts, definitions
from constantcontact_emulator.contacts import AddressInput, ContactChanges, PhoneInput
from constantcontact_emulator.state import Contact, EmulatorState

CORE_KINDS = ("create", "update", "delete", "unsubscribe")
RESULT_KEYS = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "unsubscribe": "unsubscribed",
}


class _Faker:
    """One Faker per state, seeded from the state's runtime randomness."""

    def __init__(self, state: EmulatorState) -> None:
        self.fake = Faker("en_US")
        self.fake.seed_instance(state.rng.getrandbits(32))


def _fake(state: EmulatorState) -> Faker:
    holder = state.extension_data.get("_actions_faker")
    if holder is None:
        holder = state.extension_data["_actions_faker"] = _Faker(state)
    return holder.fake


def apply(
    state: EmulatorState, counts: dict[str, int], now: float | None = None
) -> dict[str, list[Any]]:
    now = time.time() if now is None else now
    result: dict[str, list[Any]] = {}
    if counts.get("create"):
        result["created"] = [c.contact_id for c in _create(state, counts["create"], now)]
    if counts.get("update"):
        result["updated"] = [c.contact_id for c in _update(state, counts["update"], now)]
    if counts.get("delete"):
        result["deleted"] = [c.contact_id for c in _delete(state, counts["delete"], now)]
    if counts.get("unsubscribe"):
        result["unsubscribed"] = [
            c.contact_id for c in _unsubscribe(state, counts["unsubscribe"], now)
        ]
    return result


def _pick(state: EmulatorState, n: int, eligible: list[Contact]) -> list[Contact]:
    return state.rng.sample(eligible, min(n, len(eligible)))


def _create(state: EmulatorState, n: int, now: float) -> list[Contact]:
    fake = _fake(state)
    rng = state.rng
    list_ids = [lid for lid, lst in state.lists.items() if lst.deleted_at is None]
    created = []
    for _ in range(n):
        first, last = fake.first_name(), fake.last_name()
        email = f"{first}.{last}.{rng.randint(1000, 99999)}@{fake.free_email_domain()}".lower()
        while contacts.find_by_email(state, email) is not None:
            email = f"{first}.{last}.{rng.randint(1000, 99999)}@{fake.free_email_domain()}".lower()
        changes = ContactChanges(
            scalars={"first_name": first, "last_name": last, "company_name": fake.company()[:50]},
            email=email,
            permission="implicit",
            phone_numbers=[PhoneInput(fake.numerify("(###) ###-####"), "mobile")],
            list_ids=rng.sample(list_ids, min(len(list_ids), rng.randint(1, 2)))
            if list_ids
            else None,
        )
        created.append(contacts.create_contact(state, changes, create_source="Account", now=now))
    return created


def _update(state: EmulatorState, n: int, now: float) -> list[Contact]:
    fake = _fake(state)
    rng = state.rng
    eligible = [c for c in state.contacts.values() if not c.is_deleted]
    chosen = _pick(state, n, eligible)
    fields = list(state.custom_fields.values())
    for contact in chosen:
        edit = rng.choice(("job", "company", "name", "phone", "address", "custom_field"))
        changes = ContactChanges()
        if edit == "job":
            changes.scalars["job_title"] = fake.job()[:50]
        elif edit == "company":
            changes.scalars["company_name"] = fake.company()[:50]
        elif edit == "name":
            changes.scalars["last_name"] = fake.last_name()
        elif edit == "phone":
            changes.phone_numbers = [PhoneInput(fake.numerify("(###) ###-####"), "work")]
        elif edit == "address":
            changes.street_addresses = [
                AddressInput(
                    "home",
                    fake.street_address(),
                    fake.city(),
                    fake.state(),
                    fake.zipcode(),
                    "United States",
                )
            ]
        elif fields:
            field = rng.choice(fields)
            changes.custom_fields = [_random_value(state, field.custom_field_id, fake)]
        else:
            changes.scalars["job_title"] = fake.job()[:50]
        contacts.update_contact(state, contact, changes, update_source="Account", now=now)
    return chosen


def _random_value(state: EmulatorState, field_id: str, fake: Faker) -> Any:
    field = state.custom_fields[field_id]
    rng = state.rng
    if field.type in ("single_select", "multi_select"):
        return definitions.custom_field_value(
            state, field_id, None, [rng.choice(field.choices).choice_id], "action"
        )
    if field.type == "currency":
        value = f"{rng.uniform(5, 5000):.2f}"
    elif field.type == "number":
        value = str(rng.randint(0, 20000))
    elif field.type == "date":
        value = fake.date_between("-1y", "+1y").isoformat()
    else:
        value = fake.bothify("???-####").upper()
    return definitions.custom_field_value(state, field_id, value, None, "action")


def _delete(state: EmulatorState, n: int, now: float) -> list[Contact]:
    chosen = _pick(state, n, [c for c in state.contacts.values() if not c.is_deleted])
    for contact in chosen:
        contacts.soft_delete(state, contact, now=now)
    return chosen


def _unsubscribe(state: EmulatorState, n: int, now: float) -> list[Contact]:
    eligible = [
        c
        for c in state.contacts.values()
        if not c.is_deleted and c.permission is not None and c.permission != "unsubscribed"
    ]
    chosen = _pick(state, n, eligible)
    for contact in chosen:
        contacts.unsubscribe(state, contact, now=now, source="Contact", reason="Too many emails.")
    return chosen
