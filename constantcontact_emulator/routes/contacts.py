"""/v3/contacts: the collection with its filters, one contact, sign_up_form and counts."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from constantcontact_emulator import (
    contact_query,
    contacts,
    definitions,
    errors,
    serialize,
    timefmt,
)
from constantcontact_emulator.contacts import AddressInput, ContactChanges, PhoneInput
from constantcontact_emulator.errors import json_response
from constantcontact_emulator.pagination import page_request, paginate, with_links
from constantcontact_emulator.params import (
    Fields,
    QueryParams,
    is_email,
    parse_bool,
    parse_csv_enum,
    read_json,
)
from constantcontact_emulator.routing import api_route, emulator
from constantcontact_emulator.state import Contact, CustomFieldValue, EmulatorState, SmsChannel
from constantcontact_emulator.timefmt import iso_seconds

INCLUDE_VALUES = tuple(serialize.ALL_INCLUDES)


def _includes(params: QueryParams) -> frozenset[str]:
    return frozenset(parse_csv_enum("include", params.get("include"), INCLUDE_VALUES))


async def list_contacts(request: Request) -> Response:
    emu = emulator(request)
    state: EmulatorState = emu.state
    page = page_request(request, "contacts")
    params = page.params
    includes = _includes(params)
    include_count = parse_bool("include_count", params.get("include_count"))
    filters = contact_query.ContactFilter.from_params(params)
    if filters.segment_id is not None and emu.faults.take_segment_processing():
        return json_response({"contacts": [], "status": "processing"}, 202)
    result, keys = contact_query.matching(state, filters)
    chunk, links = paginate(
        page, result, path="/v3/contacts", cursor_mode=state.config.cursor_mode, keys=keys
    )
    body: dict[str, Any] = {"contacts": [serialize.contact(c, includes) for c in chunk]}
    if include_count:
        body["contacts_count"] = len(result)
    return json_response(with_links(body, links))


async def get_contact(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    contact = contacts.get_contact(state, request.path_params["contact_id"])
    includes = _includes(QueryParams(request.query_params.multi_items()))
    return json_response(serialize.contact(contact, includes))


async def create_contact(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    body = Fields(await read_json(request))
    create_source = body.text("create_source", allowed=contacts.SOURCES)
    changes = parse_contact_body(state, body)
    if (
        changes.email is None
        and not any(changes.scalars.get(n) for n in ("first_name", "last_name"))
        and changes.sms_channel is None
    ):
        raise errors.bad_request(
            "At least one of 'email_address', 'first_name', 'last_name' or 'sms_channel' "
            "is required."
        )
    contact = contacts.create_contact(state, changes, create_source=create_source, now=time.time())
    return json_response(serialize.contact(contact, serialize.ALL_INCLUDES), 201)


async def update_contact(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    contact = contacts.get_contact(state, request.path_params["contact_id"])
    body = Fields(await read_json(request))
    update_source = body.text("update_source", allowed=contacts.SOURCES)
    changes = parse_contact_body(state, body)
    contacts.replace_contact(state, contact, changes, update_source=update_source, now=time.time())
    return json_response(serialize.contact(contact, serialize.ALL_INCLUDES))


async def delete_contact(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    contact = contacts.get_contact(state, request.path_params["contact_id"])
    contacts.soft_delete(state, contact, now=time.time())
    return Response(status_code=204)


async def sign_up_form(request: Request) -> Response:
    """Create or update by email: partial update, lists appended, revives, opts in (explicit)."""
    emu = emulator(request)
    state: EmulatorState = emu.state
    body = Fields(await read_json(request))
    email = body.string("email_address", max_length=50)
    if email is None:
        raise errors.bad_request("'email_address' is required.")
    if not is_email(email):
        raise errors.bad_request(f"Invalid 'email_address': {email!r} is not an email address.")
    list_ids = body.id_list("list_memberships", max_items=50, min_items=1, required=True) or []
    contacts.check_lists(state, list_ids)
    changes = ContactChanges(list_ids=list_ids)
    _scalars(body, changes, partial=True)
    phone = body.string("phone_number", max_length=25)
    if phone:
        changes.phone_numbers = [PhoneInput(phone, "home")]
    address = body.obj("street_address")
    if address is not None:
        changes.street_addresses = [_address(address)]
    values = body.objects("custom_fields", max_items=50)
    if values is not None:
        changes.custom_fields = [
            definitions.custom_field_value(
                state,
                v.text("custom_field_id"),
                v.data.get("value"),
                None,
                v.prefix.rstrip("."),
            )
            for v in values
        ]
    permission = "pending_confirmation" if state.config.confirmed_opt_in else "explicit"
    contact, created, _ = contacts.upsert_contact_by_email(
        state,
        email,
        changes,
        source="Contact",
        now=time.time(),
        new_permission=permission,
        new_opt_in_source="Contact",
        existing_permission="explicit",
    )
    return json_response(
        {"contact_id": contact.contact_id, "action": "created" if created else "updated"},
        201 if created else 200,
    )


async def contact_counts(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    include = request.query_params.get("include")
    if include not in (None, "", "new_subscriber"):
        raise errors.invalid_param("include", include, "must be new_subscriber")
    counts = {"total": 0, "explicit": 0, "implicit": 0, "pending": 0, "unsubscribed": 0}
    recent = time.time() - 30 * 86400
    new_subscribers = 0
    for contact in state.contacts.values():
        if contact.is_deleted:
            continue
        counts["total"] += 1
        permission = contact.permission
        if permission in ("explicit", "implicit", "unsubscribed"):
            counts[permission] += 1
        elif permission == "pending_confirmation":
            counts["pending"] += 1
        email = contact.email_address
        if (
            email is not None
            and permission in contacts.SUBSCRIBED
            and email.opt_in_date is not None
            and email.opt_in_date >= recent
        ):
            new_subscribers += 1
    if include == "new_subscriber":
        counts["new_subscriber"] = new_subscribers
    return json_response(counts)


# --- request bodies ----------------------------------------------------------------------------


def parse_contact_body(state: EmulatorState, body: Fields) -> ContactChanges:
    """POST/PUT body -> ContactChanges; 400 naming the first invalid field."""
    changes = ContactChanges()
    _scalars(body, changes, partial=False)
    email = body.obj("email_address")
    if email is not None:
        address = email.text("address", max_length=80)
        if not is_email(address):
            raise errors.bad_request(
                f"Invalid 'email_address.address': {address!r} is not an email address."
            )
        changes.email = address
        changes.permission = email.string("permission_to_send", allowed=contacts.PERMISSIONS)
    changes.custom_fields = _custom_values(state, body)
    phones = body.objects("phone_numbers", max_items=3)
    if phones is not None:
        changes.phone_numbers = [
            PhoneInput(
                p.text("phone_number", max_length=25),
                p.string("kind", allowed=contacts.PHONE_KINDS) or "other",
            )
            for p in phones
        ]
    addresses = body.objects("street_addresses", max_items=3)
    if addresses is not None:
        changes.street_addresses = [_address(a) for a in addresses]
    changes.list_ids = body.id_list("list_memberships", max_items=contacts.MAX_LISTS)
    if changes.list_ids:
        contacts.check_lists(state, changes.list_ids)
    changes.tag_ids = body.id_list("taggings", max_items=contacts.MAX_TAGS)
    if changes.tag_ids:
        contacts.check_tags(state, changes.tag_ids)
    changes.notes = _notes(body)
    sms = body.obj("sms_channel")
    if sms is not None:
        changes.sms_channel = _sms_channel(state, sms)
    return changes


def _custom_values(state: EmulatorState, body: Fields) -> list[CustomFieldValue] | None:
    values = body.objects("custom_fields", max_items=contacts.MAX_CUSTOM_FIELDS)
    if values is None:
        return None
    result = []
    seen: set[str] = set()
    for v in values:
        field_id = v.text("custom_field_id")
        if field_id in seen:
            raise errors.bad_request(
                f"Invalid '{v.prefix}custom_field_id': {field_id} appears twice."
            )
        seen.add(field_id)
        choice_ids = v.data.get("choice_ids")
        if choice_ids is not None and not isinstance(choice_ids, list):
            raise errors.bad_request(f"Invalid '{v.prefix}choice_ids': must be an array.")
        result.append(
            definitions.custom_field_value(
                state, field_id, v.data.get("value"), choice_ids, v.prefix.rstrip(".")
            )
        )
    return result


def _notes(body: Fields) -> list[tuple[str | None, str, float | None]] | None:
    notes = body.objects("notes", max_items=150)
    if notes is None:
        return None
    result = []
    for n in notes:
        content = n.text("content", max_length=2000)
        created_raw = n.string("created_at")
        created = None
        if created_raw:
            try:
                created = timefmt.parse_datetime(created_raw)
            except ValueError:
                raise errors.bad_request(
                    f"Invalid '{n.prefix}created_at': {created_raw!r} is not a date-time."
                ) from None
        result.append((n.string("note_id"), content, created))
    return result


def _sms_channel(state: EmulatorState, sms: Fields) -> SmsChannel:
    full = sms.text("full_sms_address", max_length=20)
    digits = "".join(ch for ch in full if ch.isdigit())
    if len(digits) < 10:
        raise errors.bad_request(
            f"Invalid '{sms.path('full_sms_address')}': {full!r} is not a phone number."
        )
    consents = sms.objects("sms_channel_consents", max_items=5) or []
    now = time.time()
    stored = []
    for consent in consents:
        permission = consent.string(
            "sms_consent_permission",
            required=True,
            allowed=("explicit", "unsubscribed", "pending_confirmation", "not_set"),
        )
        stored.append(
            {
                "sms_consent_permission": permission,
                "consent_type": consent.string("consent_type") or "promotional_sms",
                "opt_in_date": iso_seconds(now) if permission == "explicit" else None,
                "created_at": iso_seconds(now),
                "updated_at": iso_seconds(now),
            }
        )
    return SmsChannel(
        sms_channel_id=state.new_id(),
        sms_address=digits[-10:],
        dial_code=digits[:-10] or "1",
        country_code="US",
        create_source="Account",
        update_source="Account",
        consents=[{k: v for k, v in c.items() if v is not None} for c in stored],
    )


def _scalars(body: Fields, changes: ContactChanges, *, partial: bool) -> None:
    for name in ("first_name", "last_name", "job_title", "company_name"):
        value = body.string(name, max_length=50)
        if value is not None or not partial:
            changes.scalars[name] = value
    month = body.integer("birthday_month", minimum=1, maximum=12)
    day = body.integer("birthday_day", minimum=1, maximum=31)
    if (month is None) != (day is None):
        raise errors.bad_request("'birthday_month' and 'birthday_day' must be given together.")
    if month is not None or not partial:
        changes.scalars["birthday_month"] = month
        changes.scalars["birthday_day"] = day
    anniversary = body.string("anniversary", max_length=10)
    if anniversary is not None and definitions.parse_loose_date(anniversary) is None:
        raise errors.bad_request(
            f"Invalid 'anniversary': {anniversary!r} is not a date (MM/DD/YYYY, YYYY-MM-DD, ...)."
        )
    if anniversary is not None or not partial:
        changes.scalars["anniversary"] = anniversary


def _address(a: Fields) -> AddressInput:
    return AddressInput(
        kind=a.text("kind", allowed=contacts.ADDRESS_KINDS),
        street=a.string("street", max_length=255),
        city=a.string("city", max_length=50),
        state=a.string("state", max_length=50),
        postal_code=a.string("postal_code", max_length=50),
        country=a.string("country", max_length=50),
    )


def contact_resource(contact: Contact) -> dict[str, Any]:
    return serialize.contact(contact, serialize.ALL_INCLUDES)


routes = [
    api_route("/contacts", list_contacts, ["GET"]),
    api_route("/contacts", create_contact, ["POST"]),
    api_route("/contacts/counts", contact_counts, ["GET"]),
    api_route("/contacts/sign_up_form", sign_up_form, ["POST"]),
    api_route("/contacts/{contact_id}", get_contact, ["GET"]),
    api_route("/contacts/{contact_id}", update_contact, ["PUT"]),
    api_route("/contacts/{contact_id}", delete_contact, ["DELETE"]),
]
