"""Bulk jobs on existing contacts: `contact_delete`, `add_list_memberships`,
`remove_list_memberships`, `contacts_taggings_add` and `contacts_taggings_remove`.

Requests are checked at POST (400 naming the field); the contacts are resolved and changed when
the job runs, through contacts.py:
- delete is soft (contacts.soft_delete): memberships removed, email kept reserved;
- adding to lists revives a deleted contact, never adds an unsubscribed one, and stops at 50
  lists per contact; each contact left out gets an activity error naming its id and email;
- tags stop at 50 per contact the same way.
An unknown contact id is an activity error (`Contact <id> was not found`); the other contacts
are still processed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from constantcontact_emulator import contacts, errors
from constantcontact_emulator.bulk import ActivityFailedError, BulkActivity, JobRequest
from constantcontact_emulator.bulk_sources import (
    ADD_LIST_SOURCES,
    REMOVE_LIST_SOURCES,
    TAGGING_SOURCES,
    describe,
    estimate,
    parse_source,
    resolve,
)
from constantcontact_emulator.params import Fields
from constantcontact_emulator.state import Contact, EmulatorState

MAX_DELETE_CONTACTS = 500
MAX_DELETE_LISTS = 50
MAX_TARGETS = 50


# --- contact_delete ----------------------------------------------------------------------------


def delete_request(state: EmulatorState, body: Fields, now: float) -> JobRequest:
    contact_ids = body.id_list("contact_ids", max_items=MAX_DELETE_CONTACTS)
    list_ids = body.id_list("list_ids", max_items=MAX_DELETE_LISTS)
    if bool(contact_ids) == bool(list_ids):
        raise errors.bad_request(
            "Give either 'contact_ids' (up to 500) or 'list_ids' (up to 50), not both."
        )
    status: dict[str, int] = {"items_total_count": 0, "items_completed_count": 0}
    parsed: dict[str, Any] = {"source": {"contact_ids": contact_ids}, "exclude": []}
    if list_ids:
        contacts.check_lists(state, list_ids, "list_ids")
        parsed = {"source": {"list_ids": list_ids}, "exclude": []}
        status["list_count"] = len(list_ids)
    size = estimate(state, parsed, now)
    status["items_total_count"] = size
    return JobRequest(kind="contact_delete", payload=parsed, size=size, status=status)


def run_delete(state: EmulatorState, activity: BulkActivity, now: float) -> None:
    found, missing = resolve(state, activity.payload, now)
    _report_missing(activity, missing)
    for contact in found:
        contacts.soft_delete(state, contact, now=now)
    activity.status["items_total_count"] = len(found) + len(missing)


# --- list memberships ----------------------------------------------------------------------------


def add_lists_request(state: EmulatorState, body: Fields, now: float) -> JobRequest:
    return _membership_request(state, body, now, "add_list_memberships", ADD_LIST_SOURCES)


def remove_lists_request(state: EmulatorState, body: Fields, now: float) -> JobRequest:
    return _membership_request(state, body, now, "remove_list_memberships", REMOVE_LIST_SOURCES)


def _membership_request(
    state: EmulatorState, body: Fields, now: float, kind: str, sources: Mapping[str, int]
) -> JobRequest:
    targets = body.id_list("list_ids", max_items=MAX_TARGETS, min_items=1, required=True) or []
    contacts.check_lists(state, targets, "list_ids")
    parsed = parse_source(state, body, sources)
    parsed["targets"] = targets
    size = estimate(state, parsed, now)
    status = {"items_total_count": size, "items_completed_count": 0, "list_count": len(targets)}
    return JobRequest(kind=kind, payload=parsed, size=size, status=status)


def run_add_lists(state: EmulatorState, activity: BulkActivity, now: float) -> None:
    targets = _live_lists(state, activity)
    found = _resolve(state, activity, now)
    for contact in found:
        if contact.permission == "unsubscribed":
            activity.errors.append(
                f"{describe(contact)}: unsubscribed contacts cannot be added to lists"
            )
            continue
        new = [t for t in targets if t not in contact.list_memberships]
        room = contacts.MAX_LISTS - len(contact.list_memberships)
        if len(new) > room:
            activity.errors.append(
                f"{describe(contact)}: a contact can be in at most {contacts.MAX_LISTS} lists; "
                f"not added to {', '.join(new[max(room, 0) :])}"
            )
        contacts.add_to_lists(state, contact, targets, now=now)


def run_remove_lists(state: EmulatorState, activity: BulkActivity, now: float) -> None:
    targets = _live_lists(state, activity)
    for contact in _resolve(state, activity, now):
        contacts.remove_from_lists(state, contact, targets, now=now)


def _live_lists(state: EmulatorState, activity: BulkActivity) -> list[str]:
    targets = [
        t
        for t in activity.payload["targets"]
        if t in state.lists and state.lists[t].deleted_at is None
    ]
    if not targets:
        raise ActivityFailedError(
            f"The activity failed: none of its lists exists any more "
            f"({', '.join(activity.payload['targets'])})."
        )
    for gone in activity.payload["targets"]:
        if gone not in targets:
            activity.errors.append(f"List {gone} no longer exists; it was skipped.")
    return targets


# --- taggings ------------------------------------------------------------------------------------


def tagging_request(kind: str) -> Callable[[EmulatorState, Fields, float], JobRequest]:
    def request(state: EmulatorState, body: Fields, now: float) -> JobRequest:
        tag_ids = body.id_list("tag_ids", max_items=MAX_TARGETS, min_items=1, required=True) or []
        contacts.check_tags(state, tag_ids, "tag_ids")
        parsed = parse_source(state, body, TAGGING_SOURCES)
        parsed["targets"] = tag_ids
        size = estimate(state, parsed, now)
        status = {"items_total_count": size, "items_completed_count": 0}
        return JobRequest(kind=kind, payload=parsed, size=size, status=status)

    return request


def run_tag_add(state: EmulatorState, activity: BulkActivity, now: float) -> None:
    tags = _live_tags(state, activity)
    for contact in _resolve(state, activity, now):
        new = [t for t in tags if t not in contact.taggings]
        room = contacts.MAX_TAGS - len(contact.taggings)
        if len(new) > room:
            activity.errors.append(
                f"{describe(contact)}: a contact can have at most {contacts.MAX_TAGS} tags; "
                f"not tagged {', '.join(new[max(room, 0) :])}"
            )
        contacts.add_tags(state, contact, tags, now=now)


def run_tag_remove(state: EmulatorState, activity: BulkActivity, now: float) -> None:
    tags = _live_tags(state, activity)
    for contact in _resolve(state, activity, now):
        contacts.remove_tags(state, contact, tags, now=now)


def _live_tags(state: EmulatorState, activity: BulkActivity) -> list[str]:
    tags = [t for t in activity.payload["targets"] if t in state.tags]
    if not tags:
        raise ActivityFailedError(
            f"The activity failed: none of its tags exists any more "
            f"({', '.join(activity.payload['targets'])})."
        )
    for gone in activity.payload["targets"]:
        if gone not in tags:
            activity.errors.append(f"Tag {gone} no longer exists; it was skipped.")
    return tags


# --- shared --------------------------------------------------------------------------------------


def _resolve(state: EmulatorState, activity: BulkActivity, now: float) -> list[Contact]:
    found, missing = resolve(state, activity.payload, now)
    _report_missing(activity, missing)
    activity.status["items_total_count"] = len(found) + len(missing)
    return found


def _report_missing(activity: BulkActivity, missing: list[str]) -> None:
    activity.errors.extend(f"Contact {contact_id} was not found" for contact_id in missing)
