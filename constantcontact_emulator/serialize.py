"""Stored objects to API JSON. Null fields are omitted, as the real API does."""

from __future__ import annotations

from typing import Any

from constantcontact_emulator.state import (
    Contact,
    ContactList,
    CustomField,
    EmailAddress,
    Segment,
    SmsChannel,
    Tag,
)
from constantcontact_emulator.timefmt import iso_date, iso_millis, iso_seconds

CONTACT_INCLUDES = (
    "custom_fields",
    "list_memberships",
    "phone_numbers",
    "street_addresses",
    "taggings",
    "notes",
)
# Accepted in `include=` beyond the spec's enum (newer API builds).
EXTRA_INCLUDES = ("sms_channel",)
ALL_INCLUDES = frozenset(CONTACT_INCLUDES + EXTRA_INCLUDES)


def email_address(email: EmailAddress) -> dict[str, Any]:
    out: dict[str, Any] = {
        "address": email.address,
        "permission_to_send": email.permission_to_send,
        "created_at": iso_seconds(email.created_at),
        "updated_at": iso_seconds(email.updated_at),
    }
    if email.opt_in_source is not None:
        out["opt_in_source"] = email.opt_in_source
    if email.opt_in_date is not None:
        out["opt_in_date"] = iso_seconds(email.opt_in_date)
    if email.opt_out_source is not None:
        out["opt_out_source"] = email.opt_out_source
    if email.opt_out_date is not None:
        out["opt_out_date"] = iso_seconds(email.opt_out_date)
    if email.opt_out_reason is not None:
        out["opt_out_reason"] = email.opt_out_reason
    out["confirm_status"] = email.confirm_status
    return out


def contact(c: Contact, includes: frozenset[str] = frozenset()) -> dict[str, Any]:
    out: dict[str, Any] = {"contact_id": c.contact_id}
    if c.email_address is not None:
        out["email_address"] = email_address(c.email_address)
    for name in (
        "first_name",
        "last_name",
        "job_title",
        "company_name",
        "birthday_month",
        "birthday_day",
        "anniversary",
    ):
        value = getattr(c, name)
        if value is not None:
            out[name] = value
    out["create_source"] = c.create_source
    out["update_source"] = c.update_source
    out["created_at"] = iso_seconds(c.created_at)
    out["updated_at"] = iso_seconds(c.updated_at)
    if c.deleted_at is not None:
        out["deleted_at"] = iso_date(c.deleted_at)
    if not includes:
        return out
    if "custom_fields" in includes:
        out["custom_fields"] = [
            {"custom_field_id": v.custom_field_id, "value": v.value}
            if v.choice_ids is None
            else {
                "custom_field_id": v.custom_field_id,
                "value": v.value,
                "choice_ids": v.choice_ids,
            }
            for v in c.custom_fields
        ]
    if "phone_numbers" in includes:
        out["phone_numbers"] = [
            {
                "phone_number_id": p.phone_number_id,
                "phone_number": p.phone_number,
                "kind": p.kind,
                "created_at": iso_seconds(p.created_at),
                "updated_at": iso_seconds(p.updated_at),
                "update_source": p.update_source,
                "create_source": p.create_source,
            }
            for p in c.phone_numbers
        ]
    if "street_addresses" in includes:
        out["street_addresses"] = [
            {
                k: v
                for k, v in (
                    ("street_address_id", a.street_address_id),
                    ("kind", a.kind),
                    ("street", a.street),
                    ("city", a.city),
                    ("state", a.state),
                    ("postal_code", a.postal_code),
                    ("country", a.country),
                    ("created_at", iso_seconds(a.created_at)),
                    ("updated_at", iso_seconds(a.updated_at)),
                )
                if v is not None
            }
            for a in c.street_addresses
        ]
    if "list_memberships" in includes:
        out["list_memberships"] = list(c.list_memberships)
    if "taggings" in includes:
        out["taggings"] = list(c.taggings)
    if "notes" in includes:
        out["notes"] = [
            {"note_id": n.note_id, "created_at": iso_seconds(n.created_at), "content": n.content}
            for n in c.notes
        ]
    if "sms_channel" in includes and c.sms_channel is not None:
        out["sms_channel"] = sms_channel(c.sms_channel)
    return out


def sms_channel(channel: SmsChannel) -> dict[str, Any]:
    return {
        "sms_channel_id": channel.sms_channel_id,
        "sms_address": channel.sms_address,
        "dial_code": channel.dial_code,
        "country_code": channel.country_code,
        "update_source": channel.update_source,
        "create_source": channel.create_source,
        "sms_channel_consents": channel.consents,
    }


def contact_list(lst: ContactList, membership_count: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "list_id": lst.list_id,
        "name": lst.name,
        "favorite": lst.favorite,
        "created_at": iso_millis(lst.created_at),
        "updated_at": iso_millis(lst.updated_at),
    }
    if lst.description is not None:
        out["description"] = lst.description
    if lst.deleted_at is not None:
        out["deleted_at"] = iso_millis(lst.deleted_at)
    if membership_count is not None:
        out["membership_count"] = membership_count
    return out


def tag(t: Tag, contacts_count: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "tag_id": t.tag_id,
        "name": t.name,
        "created_at": iso_millis(t.created_at),
        "updated_at": iso_millis(t.updated_at),
    }
    if t.tag_source is not None:
        out["tag_source"] = t.tag_source
    if contacts_count is not None:
        out["contacts_count"] = contacts_count
    return out


def custom_field(f: CustomField) -> dict[str, Any]:
    out: dict[str, Any] = {
        "custom_field_id": f.custom_field_id,
        "label": f.label,
        "name": f.name,
        "type": f.type,
    }
    if f.metadata is not None:
        out["metadata"] = f.metadata
    if f.version is not None:
        out["version"] = f.version
    if f.choices:
        out["choices"] = [
            {
                "custom_field_id": f.custom_field_id,
                "choice_id": choice.choice_id,
                "choice_label": choice.choice_label,
                "display_order": choice.display_order,
                "created_at": iso_millis(choice.created_at),
                "updated_at": iso_millis(choice.updated_at),
            }
            for choice in f.choices
        ]
    out["created_at"] = iso_millis(f.created_at)
    out["updated_at"] = iso_millis(f.updated_at)
    return out


def segment(s: Segment, *, detail: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": s.name,
        "segment_id": s.segment_id,
        "created_at": iso_seconds(s.created_at),
        "edited_at": iso_seconds(s.edited_at),
    }
    if detail:
        out["segment_criteria"] = s.segment_criteria
    return out
