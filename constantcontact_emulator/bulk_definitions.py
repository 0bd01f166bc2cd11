"""Bulk deletes of definitions: `list_delete` (<= 100 lists), `contacts_tags_delete` (<= 500
tags) and `custom_fields_delete` (<= 100 custom fields).

Ids are checked for shape at POST (400); when the job runs, each one that does not exist (or a
list already deleted) is an activity error and the others are deleted with the same functions
as the REST DELETEs (definitions.py): lists are soft-deleted and lose their members, tags and
custom fields are removed from every contact.
"""

from __future__ import annotations

from constantcontact_emulator import definitions
from constantcontact_emulator.bulk import BulkActivity, JobRequest
from constantcontact_emulator.params import Fields
from constantcontact_emulator.state import EmulatorState

MAX_LISTS = 100
MAX_TAGS = 500
MAX_CUSTOM_FIELDS = 100


def list_delete_request(state: EmulatorState, body: Fields, now: float) -> JobRequest:
    ids = body.id_list("list_ids", max_items=MAX_LISTS, min_items=1, required=True) or []
    status = {"items_total_count": len(ids), "items_completed_count": 0, "list_count": 0}
    return JobRequest(kind="list_delete", payload={"ids": ids}, size=len(ids), status=status)


def tags_delete_request(state: EmulatorState, body: Fields, now: float) -> JobRequest:
    ids = body.id_list("tag_ids", max_items=MAX_TAGS, min_items=1, required=True) or []
    status = {"items_total_count": len(ids), "items_completed_count": 0}
    return JobRequest(
        kind="contacts_tags_delete", payload={"ids": ids}, size=len(ids), status=status
    )


def custom_fields_delete_request(state: EmulatorState, body: Fields, now: float) -> JobRequest:
    ids = (
        body.id_list("custom_field_ids", max_items=MAX_CUSTOM_FIELDS, min_items=1, required=True)
        or []
    )
    status = {"items_total_count": len(ids), "items_completed_count": 0}
    return JobRequest(
        kind="custom_fields_delete", payload={"ids": ids}, size=len(ids), status=status
    )


def run_list_delete(state: EmulatorState, activity: BulkActivity, now: float) -> None:
    deleted = 0
    for list_id in activity.payload["ids"]:
        contact_list = state.lists.get(list_id)
        if contact_list is None or contact_list.deleted_at is not None:
            activity.errors.append(f"List {list_id} was not found")
            continue
        definitions.delete_list(state, contact_list, now=now)
        deleted += 1
    activity.status["list_count"] = deleted


def run_tags_delete(state: EmulatorState, activity: BulkActivity, now: float) -> None:
    for tag_id in activity.payload["ids"]:
        tag = state.tags.get(tag_id)
        if tag is None:
            activity.errors.append(f"Tag {tag_id} was not found")
            continue
        definitions.delete_tag(state, tag)


def run_custom_fields_delete(state: EmulatorState, activity: BulkActivity, now: float) -> None:
    for custom_field_id in activity.payload["ids"]:
        custom_field = state.custom_fields.get(custom_field_id)
        if custom_field is None:
            activity.errors.append(f"Custom field {custom_field_id} was not found")
            continue
        definitions.delete_custom_field(state, custom_field)
