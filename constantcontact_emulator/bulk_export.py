"""`contact_exports`: contacts to a CSV file, downloaded from `GET /v3/contact_exports/{id}`.

Filters (`ContactsExport`): `contact_ids` (<= 500), `list_ids` (<= 50), `tag_ids` (<= 50),
`segment_id`, `new_subscriber` (subscribed in the last 30 days), `status` and
`exclude.contact_ids` (<= 50). They combine only as the spec allows: `status` with
`contact_ids` or `list_ids`, `exclude` with `list_ids` or `new_subscriber`, and `list_ids` with
`new_subscriber`; any other pair is a 400. Without a filter, every contact is exported.
`status` is `active` (neither deleted nor unsubscribed), `unsubscribed` or `removed` (deleted;
`deleted` is accepted too); without it, deleted contacts are left out.

`fields` picks the columns (default: the documented ones, then `cf:<name>` for every custom
field); `contact_id`, `tags` and `cf:<name>` may be asked for too. The header row holds the
field names. `email_optin_*`/`email_optout_*` need `email_address`. Lists and tags are written
as their names joined with ", "; `birthday` as MM/DD. The CSV is built when the job completes,
and then `_links.results.href` points at it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from itertools import combinations
from typing import Any

from constantcontact_emulator import contacts, errors
from constantcontact_emulator.bulk import ActivityFailedError, BulkActivity, JobRequest
from constantcontact_emulator.bulk_sources import NEW_SUBSCRIBER_SECONDS, is_new_subscriber
from constantcontact_emulator.definitions import find_custom_field_by_name
from constantcontact_emulator.params import Fields
from constantcontact_emulator.segment_criteria import compile_predicate, parse
from constantcontact_emulator.state import Contact, EmulatorState
from constantcontact_emulator.timefmt import iso_seconds

STATUSES = ("active", "unsubscribed", "removed", "deleted")
FILTERS = (
    "contact_ids",
    "list_ids",
    "tag_ids",
    "segment_id",
    "new_subscriber",
    "status",
    "exclude",
)
COMBINABLE = frozenset(
    frozenset(pair)
    for pair in (
        ("contact_ids", "status"),
        ("list_ids", "status"),
        ("list_ids", "exclude"),
        ("list_ids", "new_subscriber"),
        ("new_subscriber", "exclude"),
    )
)
OPT_FIELDS = (
    "email_optin_source",
    "email_optin_date",
    "email_optout_source",
    "email_optout_date",
    "email_optout_reason",
)


def _when(ts: float | None) -> str:
    return iso_seconds(ts) if ts is not None else ""


def _email(attribute: str, as_date: bool = False) -> Callable[[EmulatorState, Contact], str]:
    def get(state: EmulatorState, c: Contact) -> str:
        if c.email_address is None:
            return ""
        value = getattr(c.email_address, attribute)
        if as_date:
            return _when(value)
        return "" if value is None else str(value)

    return get


def _scalar(name: str) -> Callable[[EmulatorState, Contact], str]:
    def get(state: EmulatorState, c: Contact) -> str:
        value = getattr(c, name)
        return "" if value is None else str(value)

    return get


def _address(part: str) -> Callable[[EmulatorState, Contact], str]:
    def get(state: EmulatorState, c: Contact) -> str:
        if not c.street_addresses:
            return ""
        value = getattr(c.street_addresses[0], part)
        return value or ""

    return get


def _birthday(state: EmulatorState, c: Contact) -> str:
    if c.birthday_month is None or c.birthday_day is None:
        return ""
    return f"{c.birthday_month:02d}/{c.birthday_day:02d}"


def _lists(state: EmulatorState, c: Contact) -> str:
    return ", ".join(state.lists[i].name for i in c.list_memberships if i in state.lists)


def _tags(state: EmulatorState, c: Contact) -> str:
    return ", ".join(state.tags[i].name for i in c.taggings if i in state.tags)


COLUMNS: dict[str, Callable[[EmulatorState, Contact], str]] = {
    "email_address": _email("address"),
    "first_name": _scalar("first_name"),
    "last_name": _scalar("last_name"),
    "company_name": _scalar("company_name"),
    "job_title": _scalar("job_title"),
    "phone_number": lambda s, c: c.phone_numbers[0].phone_number if c.phone_numbers else "",
    "street": _address("street"),
    "city": _address("city"),
    "state": _address("state"),
    "zip": _address("postal_code"),
    "country": _address("country"),
    "anniversary": _scalar("anniversary"),
    "birthday": _birthday,
    "birthday_month": _scalar("birthday_month"),
    "birthday_day": _scalar("birthday_day"),
    "email_lists": _lists,
    "source_name": _scalar("create_source"),
    "created_at": lambda s, c: _when(c.created_at),
    "updated_at": lambda s, c: _when(c.updated_at),
    "email_optin_source": _email("opt_in_source"),
    "email_optin_date": _email("opt_in_date", as_date=True),
    "email_optout_source": _email("opt_out_source"),
    "email_optout_date": _email("opt_out_date", as_date=True),
    "email_optout_reason": _email("opt_out_reason"),
}
# Not exported unless asked for.
EXTRA_COLUMNS: dict[str, Callable[[EmulatorState, Contact], str]] = {
    "contact_id": lambda s, c: c.contact_id,
    "tags": _tags,
}


def export_request(state: EmulatorState, body: Fields, now: float) -> JobRequest:
    payload: dict[str, Any] = {
        "contact_ids": body.id_list("contact_ids", max_items=500),
        "list_ids": body.id_list("list_ids", max_items=50),
        "tag_ids": body.id_list("tag_ids", max_items=50),
        "segment_id": body.integer("segment_id", minimum=1),
        "new_subscriber": body.boolean("new_subscriber") or None,
        "status": body.string("status", allowed=STATUSES),
        "exclude": None,
        "fields": _fields(state, body),
    }
    exclude = body.obj("exclude")
    if exclude is not None:
        payload["exclude"] = exclude.id_list("contact_ids", max_items=50) or None
    given = [name for name in FILTERS if payload[name]]
    for first, second in combinations(given, 2):
        if frozenset((first, second)) not in COMBINABLE:
            raise errors.bad_request(f"'{first}' and '{second}' cannot be combined in one export.")
    if payload["list_ids"]:
        contacts.check_lists(state, payload["list_ids"], "list_ids")
    if payload["tag_ids"]:
        contacts.check_tags(state, payload["tag_ids"], "tag_ids")
    if payload["segment_id"] is not None:
        segment = state.segments.get(payload["segment_id"])
        if segment is None or segment.deleted_at is not None:
            raise errors.bad_request(
                f"Invalid 'segment_id': segment {payload['segment_id']} does not exist."
            )
    size = len(_select(state, payload, now, []))
    status = {"items_total_count": size, "items_completed_count": 0}
    return JobRequest(kind="contact_exports", payload=payload, size=size, status=status)


def _fields(state: EmulatorState, body: Fields) -> list[str] | None:
    raw = body.data.get("fields")
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(f, str) for f in raw) or not raw:
        raise errors.bad_request("Invalid 'fields': must be a non-empty array of field names.")
    for name in raw:
        if name.startswith("cf:"):
            if find_custom_field_by_name(state, name[3:]) is None:
                raise errors.bad_request(
                    f"Invalid 'fields': custom field '{name[3:]}' does not exist."
                )
        elif name not in COLUMNS and name not in EXTRA_COLUMNS:
            raise errors.bad_request(
                f"Invalid 'fields': unknown field {name!r}; known: {', '.join(COLUMNS)}."
            )
    if any(name in OPT_FIELDS for name in raw) and "email_address" not in raw:
        raise errors.bad_request(
            "Invalid 'fields': export email_address to export the email opt-in/opt-out fields."
        )
    return list(dict.fromkeys(raw))


def run_export(state: EmulatorState, activity: BulkActivity, now: float) -> None:
    payload = activity.payload
    segment_id = payload.get("segment_id")
    if segment_id is not None and (
        segment_id not in state.segments or state.segments[segment_id].deleted_at is not None
    ):
        raise ActivityFailedError(f"The export failed: segment {segment_id} was deleted.")
    fields = payload.get("fields") or [
        *COLUMNS,
        *(f"cf:{f.name}" for f in state.custom_fields.values()),
    ]
    selected = _select(state, payload, now, activity.errors)
    state.contact_exports[activity.activity_id] = to_csv(state, selected, fields)
    activity.status["items_total_count"] = len(selected)
    activity.has_results = True


def to_csv(state: EmulatorState, selected: list[Contact], fields: list[str]) -> str:
    getters = []
    for name in fields:
        if name.startswith("cf:"):
            custom_field = find_custom_field_by_name(state, name[3:])
            field_id = custom_field.custom_field_id if custom_field is not None else ""
            getters.append(_custom_value(field_id))
        else:
            getters.append(COLUMNS.get(name) or EXTRA_COLUMNS[name])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(fields)
    for contact in selected:
        writer.writerow([get(state, contact) for get in getters])
    return out.getvalue()


def _custom_value(field_id: str) -> Callable[[EmulatorState, Contact], str]:
    def get(state: EmulatorState, c: Contact) -> str:
        return next((v.value for v in c.custom_fields if v.custom_field_id == field_id), "")

    return get


def _select(
    state: EmulatorState, payload: dict[str, Any], now: float, problems: list[str]
) -> list[Contact]:
    status = payload.get("status")
    excluded = set(payload.get("exclude") or ())
    if payload.get("contact_ids"):
        candidates = []
        for contact_id in payload["contact_ids"]:
            contact = state.contacts.get(contact_id)
            if contact is None:
                problems.append(f"Contact {contact_id} was not found")
            else:
                candidates.append(contact)
    else:
        candidates = list(state.contacts.values())
    wanted = _filters(state, payload, now)
    return [
        c
        for c in candidates
        if c.contact_id not in excluded and _status_matches(c, status) and all(f(c) for f in wanted)
    ]


def _filters(
    state: EmulatorState, payload: dict[str, Any], now: float
) -> list[Callable[[Contact], bool]]:
    wanted: list[Callable[[Contact], bool]] = []
    if payload.get("list_ids"):
        members = set().union(*(state.lists[i].members for i in payload["list_ids"]))
        wanted.append(lambda c: c.contact_id in members)
    if payload.get("tag_ids"):
        tagged = set().union(
            *(state.tags[i].members for i in payload["tag_ids"] if i in state.tags)
        )
        wanted.append(lambda c: c.contact_id in tagged)
    if payload.get("segment_id") is not None:
        segment = state.segments[payload["segment_id"]]
        wanted.append(compile_predicate(parse(segment.segment_criteria)))
    if payload.get("new_subscriber"):
        since = now - NEW_SUBSCRIBER_SECONDS
        wanted.append(lambda c: is_new_subscriber(c, since))
    return wanted


def _status_matches(contact: Contact, status: str | None) -> bool:
    if status in ("removed", "deleted"):
        return contact.is_deleted
    if contact.is_deleted:
        return False
    if status == "active":
        return contact.permission != "unsubscribed"
    if status == "unsubscribed":
        return contact.permission == "unsubscribed"
    return True
