"""Contact semantics, in one place: the REST routes, the admin actions and the bulk activities
all change contacts through these functions.

Rules (API README §5, §11):
- Email addresses are unique per account, case-insensitively, deleted contacts included.
- Delete is soft: `deleted_at` is set, list memberships are removed, the contact is not
  unsubscribed; it moves `updated_at` unless --no-delete-touches-updated-at.
- Revive (PUT with update_source Account, sign_up_form, import, adding to lists) clears
  `deleted_at` and moves `updated_at`.
- Unsubscribe moves `email_address.updated_at` and sets the opt-out fields, removes every list
  membership, and does NOT move the contact's `updated_at`.
- An unsubscribed contact is never added to a list (add_to_lists returns False), except by an
  explicit opt-in (`resubscribe`, sign_up_form: the contact's own action).
- Any other change moves `updated_at` and sets `update_source`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from constantcontact_emulator import errors
from constantcontact_emulator.state import (
    Contact,
    CustomFieldValue,
    EmailAddress,
    EmulatorState,
    Note,
    PhoneNumber,
    StreetAddress,
)

PERMISSIONS = (
    "explicit",
    "implicit",
    "not_set",
    "pending_confirmation",
    "temp_hold",
    "unsubscribed",
)
SUBSCRIBED = ("explicit", "implicit")
SOURCES = ("Contact", "Account")
PHONE_KINDS = ("home", "work", "mobile", "other")
ADDRESS_KINDS = ("home", "work", "other")
MAX_LISTS = 50
MAX_TAGS = 50
MAX_CUSTOM_FIELDS = 25
SCALAR_FIELDS = (
    "first_name",
    "last_name",
    "job_title",
    "company_name",
    "birthday_month",
    "birthday_day",
    "anniversary",
)


@dataclass
class PhoneInput:
    phone_number: str
    kind: str


@dataclass
class AddressInput:
    kind: str
    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass
class ContactChanges:
    """Validated contact data. `None` for a sub-resource list means "not given"."""

    scalars: dict[str, Any] = field(default_factory=dict)
    email: str | None = None
    permission: str | None = None
    custom_fields: list[CustomFieldValue] | None = None
    phone_numbers: list[PhoneInput] | None = None
    street_addresses: list[AddressInput] | None = None
    list_ids: list[str] | None = None
    tag_ids: list[str] | None = None
    notes: list[tuple[str | None, str, float | None]] | None = (
        None  # (note_id, content, created_at)
    )
    sms_channel: Any = None


# --- lookups -----------------------------------------------------------------------------------


def get_contact(state: EmulatorState, contact_id: str) -> Contact:
    contact = state.contacts.get(contact_id)
    if contact is None:
        raise errors.not_found("contact", contact_id)
    return contact


def find_by_email(state: EmulatorState, address: str) -> Contact | None:
    contact_id = state.contacts_by_email.get(address.strip().lower())
    return state.contacts.get(contact_id) if contact_id else None


def check_lists(
    state: EmulatorState, list_ids: Iterable[str], field_name: str = "list_memberships"
) -> None:
    for list_id in list_ids:
        contact_list = state.lists.get(list_id)
        if contact_list is None or contact_list.deleted_at is not None:
            raise errors.bad_request(f"Invalid '{field_name}': list {list_id} does not exist.")


def check_tags(state: EmulatorState, tag_ids: Iterable[str], field_name: str = "taggings") -> None:
    for tag_id in tag_ids:
        if tag_id not in state.tags:
            raise errors.bad_request(f"Invalid '{field_name}': tag {tag_id} does not exist.")


# --- create ------------------------------------------------------------------------------------


def create_contact(
    state: EmulatorState,
    changes: ContactChanges,
    *,
    create_source: str,
    now: float,
    permission: str | None = None,
    opt_in_source: str | None = None,
    contact_id: str | None = None,
) -> Contact:
    """A new contact; 409 if the email already belongs to a contact, deleted ones included."""
    if changes.email is not None:
        existing = find_by_email(state, changes.email)
        if existing is not None:
            raise errors.conflict(
                f"Validation failed: Email already exists for contact {existing.contact_id}"
            )
    contact = Contact(
        contact_id=contact_id or state.new_id(),
        seq=state.next_seq,
        email_address=None,
        first_name=None,
        last_name=None,
        job_title=None,
        company_name=None,
        birthday_month=None,
        birthday_day=None,
        anniversary=None,
        create_source=create_source,
        update_source=create_source,
        created_at=now,
        updated_at=now,
    )
    state.next_seq += 1
    for name, value in changes.scalars.items():
        setattr(contact, name, value)
    if changes.email is not None:
        perm = permission or changes.permission or "implicit"
        contact.email_address = EmailAddress(
            address=changes.email,
            permission_to_send=perm,
            created_at=now,
            updated_at=now,
            confirm_status="pending" if perm == "pending_confirmation" else "off",
        )
        if perm in SUBSCRIBED:
            contact.email_address.opt_in_source = opt_in_source or create_source
            contact.email_address.opt_in_date = now
        elif perm == "unsubscribed":
            contact.email_address.opt_out_source = create_source
            contact.email_address.opt_out_date = now
        state.contacts_by_email[changes.email.lower()] = contact.contact_id
    state.contacts[contact.contact_id] = contact
    _apply_subresources(state, contact, changes, now, source=create_source)
    state.changed()
    return contact


# --- update ------------------------------------------------------------------------------------


def replace_contact(
    state: EmulatorState,
    contact: Contact,
    changes: ContactChanges,
    *,
    update_source: str,
    now: float,
) -> Contact:
    """PUT: every top-level property is replaced (omitted ones become null); sub-resources are
    replaced only when given. A deleted contact is revived (needs update_source Account)."""
    if contact.is_deleted and update_source != "Account":
        raise errors.bad_request(
            "Invalid 'update_source': it must be Account to restore a deleted contact."
        )
    if changes.email is None and contact.sms_channel is None:
        raise errors.bad_request("'email_address' is required.")
    if changes.email is not None:
        _change_email(state, contact, changes.email, now)
    for name in SCALAR_FIELDS:
        setattr(contact, name, changes.scalars.get(name))
    if contact.is_deleted:
        _revive(state, contact)
    if changes.permission is not None and contact.email_address is not None:
        set_permission(state, contact, changes.permission, source=update_source, now=now)
    contact.update_source = update_source
    contact.updated_at = now
    _apply_subresources(state, contact, changes, now, source=update_source, replace_lists=True)
    state.changed()
    return contact


def update_contact(
    state: EmulatorState,
    contact: Contact,
    changes: ContactChanges,
    *,
    update_source: str,
    now: float,
    append: bool = True,
) -> Contact:
    """A partial update (sign_up_form, import, admin actions): only the given fields change;
    lists, tags and custom fields are appended/merged when `append`."""
    if changes.email is not None and contact.email_address is not None:
        _change_email(state, contact, changes.email, now)
    for name, value in changes.scalars.items():
        setattr(contact, name, value)
    if contact.is_deleted:
        _revive(state, contact)
    contact.update_source = update_source
    contact.updated_at = now
    if append:
        _merge_subresources(state, contact, changes, now, source=update_source)
    else:
        _apply_subresources(state, contact, changes, now, source=update_source, replace_lists=True)
    state.changed()
    return contact


def upsert_contact_by_email(
    state: EmulatorState,
    email: str,
    changes: ContactChanges,
    *,
    source: str,
    now: float,
    new_permission: str,
    new_opt_in_source: str,
    existing_permission: str | None = None,
) -> tuple[Contact, bool, bool]:
    """Create or partially update the contact with this email (case-insensitive).

    - new contacts get `new_permission` / `new_opt_in_source` (import: implicit/Account;
      sign_up_form: explicit/Contact);
    - existing contacts are revived if deleted; `existing_permission` (sign_up_form: explicit)
      opts them in again, otherwise their permission is kept;
    - lists are appended, except for unsubscribed contacts (third value True: "cannot add to
      list", the import's `cannot_add_to_list_count`).

    Returns (contact, created, cannot_add_to_list).
    """
    changes.email = email
    contact = find_by_email(state, email)
    if contact is None:
        list_ids = changes.list_ids
        created = create_contact(
            state,
            changes,
            create_source=source,
            now=now,
            permission=new_permission,
            opt_in_source=new_opt_in_source,
        )
        return created, True, bool(list_ids) and new_permission == "unsubscribed"
    changes.email = None  # the match key; keep the stored spelling
    if existing_permission is not None and contact.email_address is not None:
        set_permission(state, contact, existing_permission, source="Contact", now=now)
    unsubscribed = contact.permission == "unsubscribed"
    wanted_lists = changes.list_ids
    if unsubscribed:
        changes.list_ids = None
    update_contact(state, contact, changes, update_source=source, now=now, append=True)
    return contact, False, unsubscribed and bool(wanted_lists)


def _change_email(state: EmulatorState, contact: Contact, address: str, now: float) -> None:
    if contact.email_address is None:
        contact.email_address = EmailAddress(
            address=address,
            permission_to_send="implicit",
            created_at=now,
            updated_at=now,
            opt_in_source=contact.update_source,
            opt_in_date=now,
        )
        state.contacts_by_email[address.lower()] = contact.contact_id
        return
    old = contact.email_address.address
    if old.lower() == address.lower():
        if old != address:
            contact.email_address.address = address
            contact.email_address.updated_at = now
        return
    owner = find_by_email(state, address)
    if owner is not None and owner.contact_id != contact.contact_id:
        raise errors.conflict(
            f"Validation failed: Email already exists for contact {owner.contact_id}"
        )
    del state.contacts_by_email[old.lower()]
    state.contacts_by_email[address.lower()] = contact.contact_id
    contact.email_address.address = address
    contact.email_address.updated_at = now


def set_permission(
    state: EmulatorState, contact: Contact, permission: str, *, source: str, now: float
) -> None:
    email = contact.email_address
    if email is None or email.permission_to_send == permission:
        return
    if permission == "unsubscribed":
        unsubscribe(state, contact, now=now, source=source)
        return
    email.permission_to_send = permission
    email.updated_at = now
    if permission in SUBSCRIBED:
        email.opt_in_source = source
        email.opt_in_date = now
        email.opt_out_source = email.opt_out_date = email.opt_out_reason = None
    email.confirm_status = (
        "pending" if permission == "pending_confirmation" else email.confirm_status
    )
    state.changed()


# --- delete, revive, unsubscribe ---------------------------------------------------------------


def soft_delete(state: EmulatorState, contact: Contact, *, now: float) -> bool:
    """Returns False when the contact was already deleted (nothing changes)."""
    if contact.is_deleted:
        return False
    contact.deleted_at = now
    _remove_all_lists(state, contact)
    if state.config.delete_touches_updated_at:
        contact.updated_at = now
    state.changed()
    return True


def _revive(state: EmulatorState, contact: Contact) -> None:
    contact.deleted_at = None
    state.changed()


def revive(state: EmulatorState, contact: Contact, *, now: float, source: str = "Account") -> None:
    if not contact.is_deleted:
        return
    _revive(state, contact)
    contact.updated_at = now
    contact.update_source = source


def unsubscribe(
    state: EmulatorState,
    contact: Contact,
    *,
    now: float,
    source: str = "Contact",
    reason: str | None = None,
) -> bool:
    """Opt the email out. Moves email_address.updated_at, not the contact's updated_at."""
    email = contact.email_address
    if email is None or email.permission_to_send == "unsubscribed":
        return False
    email.permission_to_send = "unsubscribed"
    email.opt_out_source = source
    email.opt_out_date = now
    email.opt_out_reason = reason
    email.updated_at = now
    _remove_all_lists(state, contact)
    state.changed()
    return True


# --- lists, tags -------------------------------------------------------------------------------


def add_to_lists(
    state: EmulatorState,
    contact: Contact,
    list_ids: Sequence[str],
    *,
    now: float,
    source: str = "Account",
) -> bool:
    """Add memberships (at most 50 per contact). Revives a deleted contact. Returns False, and
    changes nothing, for an unsubscribed contact."""
    if contact.permission == "unsubscribed":
        return False
    changed = False
    if contact.is_deleted:
        _revive(state, contact)
        contact.updated_at = now
        contact.update_source = source
        changed = True
    for list_id in list_ids:
        if list_id in contact.list_memberships or len(contact.list_memberships) >= MAX_LISTS:
            continue
        contact.list_memberships.append(list_id)
        state.lists[list_id].members.add(contact.contact_id)
        changed = True
    if changed:
        _touch(state, contact, now, source)
    return True


def remove_from_lists(
    state: EmulatorState,
    contact: Contact,
    list_ids: Sequence[str],
    *,
    now: float,
    source: str = "Account",
) -> bool:
    removed = [lid for lid in contact.list_memberships if lid in set(list_ids)]
    if not removed:
        return False
    contact.list_memberships = [lid for lid in contact.list_memberships if lid not in removed]
    for list_id in removed:
        if list_id in state.lists:
            state.lists[list_id].members.discard(contact.contact_id)
    _touch(state, contact, now, source)
    return True


def _remove_all_lists(state: EmulatorState, contact: Contact) -> None:
    for list_id in contact.list_memberships:
        if list_id in state.lists:
            state.lists[list_id].members.discard(contact.contact_id)
    contact.list_memberships = []


def _set_lists(state: EmulatorState, contact: Contact, list_ids: Sequence[str]) -> None:
    _remove_all_lists(state, contact)
    if contact.permission == "unsubscribed":
        return
    for list_id in list(dict.fromkeys(list_ids))[:MAX_LISTS]:
        contact.list_memberships.append(list_id)
        state.lists[list_id].members.add(contact.contact_id)


def add_tags(
    state: EmulatorState,
    contact: Contact,
    tag_ids: Sequence[str],
    *,
    now: float,
    source: str = "Account",
) -> bool:
    added = False
    for tag_id in tag_ids:
        if tag_id in contact.taggings or len(contact.taggings) >= MAX_TAGS:
            continue
        contact.taggings.append(tag_id)
        state.tags[tag_id].members.add(contact.contact_id)
        added = True
    if added:
        _touch(state, contact, now, source)
    return added


def remove_tags(
    state: EmulatorState,
    contact: Contact,
    tag_ids: Sequence[str],
    *,
    now: float,
    source: str = "Account",
) -> bool:
    wanted = set(tag_ids)
    removed = [tid for tid in contact.taggings if tid in wanted]
    if not removed:
        return False
    contact.taggings = [tid for tid in contact.taggings if tid not in wanted]
    for tag_id in removed:
        if tag_id in state.tags:
            state.tags[tag_id].members.discard(contact.contact_id)
    _touch(state, contact, now, source)
    return True


def _set_tags(state: EmulatorState, contact: Contact, tag_ids: Sequence[str]) -> None:
    for tag_id in contact.taggings:
        if tag_id in state.tags:
            state.tags[tag_id].members.discard(contact.contact_id)
    contact.taggings = list(dict.fromkeys(tag_ids))[:MAX_TAGS]
    for tag_id in contact.taggings:
        state.tags[tag_id].members.add(contact.contact_id)


def _touch(state: EmulatorState, contact: Contact, now: float, source: str) -> None:
    """List or tag membership changes move updated_at (an inferred behaviour; configurable)."""
    if state.config.membership_touches_updated_at:
        contact.updated_at = now
        contact.update_source = source
    state.changed()


# --- deleting definitions -----------------------------------------------------------------------


def drop_list_everywhere(state: EmulatorState, list_id: str) -> None:
    contact_list = state.lists[list_id]
    for contact_id in contact_list.members:
        contact = state.contacts.get(contact_id)
        if contact is not None:
            contact.list_memberships = [lid for lid in contact.list_memberships if lid != list_id]
    contact_list.members = set()
    state.changed()


def drop_tag_everywhere(state: EmulatorState, tag_id: str) -> None:
    tag = state.tags.pop(tag_id)
    for contact_id in tag.members:
        contact = state.contacts.get(contact_id)
        if contact is not None:
            contact.taggings = [tid for tid in contact.taggings if tid != tag_id]
    state.changed()


def drop_custom_field_everywhere(state: EmulatorState, custom_field_id: str) -> None:
    del state.custom_fields[custom_field_id]
    for contact in state.contacts.values():
        if contact.custom_fields:
            contact.custom_fields = [
                v for v in contact.custom_fields if v.custom_field_id != custom_field_id
            ]
    state.changed()


# --- sub-resources -----------------------------------------------------------------------------


def _apply_subresources(
    state: EmulatorState,
    contact: Contact,
    changes: ContactChanges,
    now: float,
    *,
    source: str,
    replace_lists: bool = True,
) -> None:
    """Replace each sub-resource that `changes` carries; leave the others alone."""
    if changes.custom_fields is not None:
        contact.custom_fields = list(changes.custom_fields)
    if changes.phone_numbers is not None:
        contact.phone_numbers = _replace_phones(
            state, contact.phone_numbers, changes.phone_numbers, now, source
        )
    if changes.street_addresses is not None:
        contact.street_addresses = _replace_addresses(
            state, contact.street_addresses, changes.street_addresses, now
        )
    if changes.list_ids is not None and replace_lists:
        _set_lists(state, contact, changes.list_ids)
    if changes.tag_ids is not None:
        _set_tags(state, contact, changes.tag_ids)
    if changes.notes is not None:
        contact.notes = [
            Note(note_id=note_id or state.new_id(), created_at=created or now, content=content)
            for note_id, content, created in changes.notes
        ]
        contact.notes.sort(key=lambda note: note.created_at, reverse=True)
    if changes.sms_channel is not None:
        contact.sms_channel = changes.sms_channel


def _merge_subresources(
    state: EmulatorState, contact: Contact, changes: ContactChanges, now: float, *, source: str
) -> None:
    """Append lists/tags, merge custom fields by id, add phones/addresses by kind."""
    if changes.custom_fields:
        by_id = {v.custom_field_id: v for v in contact.custom_fields}
        for value in changes.custom_fields:
            by_id[value.custom_field_id] = value
        contact.custom_fields = list(by_id.values())[:MAX_CUSTOM_FIELDS]
    if changes.phone_numbers:
        phones = {p.kind: PhoneInput(p.phone_number, p.kind) for p in contact.phone_numbers}
        for phone in changes.phone_numbers:
            phones[phone.kind] = phone
        contact.phone_numbers = _replace_phones(
            state, contact.phone_numbers, list(phones.values())[-3:], now, source
        )
    if changes.street_addresses:
        addresses = {
            a.kind: AddressInput(a.kind, a.street, a.city, a.state, a.postal_code, a.country)
            for a in contact.street_addresses
        }
        for address in changes.street_addresses:
            addresses[address.kind] = address
        contact.street_addresses = _replace_addresses(
            state, contact.street_addresses, list(addresses.values())[-3:], now
        )
    if changes.list_ids:
        add_to_lists(state, contact, changes.list_ids, now=now, source=source)
    if changes.tag_ids:
        add_tags(state, contact, changes.tag_ids, now=now, source=source)
    if changes.notes:
        for note_id, content, created in changes.notes:
            contact.notes.insert(0, Note(note_id or state.new_id(), created or now, content))
    if changes.sms_channel is not None:
        contact.sms_channel = changes.sms_channel


def _replace_phones(
    state: EmulatorState, old: list[PhoneNumber], new: Sequence[PhoneInput], now: float, source: str
) -> list[PhoneNumber]:
    """Keep the id and timestamps of phones that did not change."""
    kept = {(p.kind, p.phone_number): p for p in old}
    result = []
    for item in new:
        existing = kept.get((item.kind, item.phone_number))
        if existing is not None:
            result.append(existing)
        else:
            result.append(
                PhoneNumber(state.new_id(), item.phone_number, item.kind, now, now, source, source)
            )
    return result


def _replace_addresses(
    state: EmulatorState, old: list[StreetAddress], new: Sequence[AddressInput], now: float
) -> list[StreetAddress]:
    kept = {(a.kind, a.street, a.city, a.state, a.postal_code, a.country): a for a in old}
    result = []
    for item in new:
        key = (item.kind, item.street, item.city, item.state, item.postal_code, item.country)
        existing = kept.get(key)
        if existing is not None:
            result.append(existing)
        else:
            result.append(
                StreetAddress(
                    state.new_id(),
                    item.kind,
                    item.street,
                    item.city,
                    item.state,
                    item.postal_code,
                    item.country,
                    now,
                    now,
                )
            )
    return result
