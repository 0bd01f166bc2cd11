"""Lists, tags, custom fields and segments: creation rules and custom field values.

Names are unique: a list or tag name (case-insensitive) and a custom field's derived `name`.
The bulk activities (list_delete, contacts_tags_delete, custom_fields_delete) use the same
delete functions as the REST routes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from constantcontact_emulator import contacts, errors
from constantcontact_emulator.state import (
    ContactList,
    CustomField,
    CustomFieldChoice,
    CustomFieldValue,
    EmulatorState,
    Segment,
    Tag,
)

CUSTOM_FIELD_TYPES = ("string", "number", "currency", "date", "single_select", "multi_select")
MAX_CUSTOM_FIELDS = 100
DATE_FORMATS = (
    r"(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})",
    r"(?P<y>\d{4})/(?P<m>\d{1,2})/(?P<d>\d{1,2})",
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})",
    r"(?P<m>\d{1,2})-(?P<d>\d{1,2})-(?P<y>\d{4})",
)


def parse_loose_date(value: str) -> date | None:
    """The date forms the API accepts for anniversaries and date custom fields."""
    for pattern in DATE_FORMATS:
        match = re.fullmatch(pattern, value.strip())
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


# --- lists -------------------------------------------------------------------------------------


def find_list_by_name(state: EmulatorState, name: str) -> ContactList | None:
    lowered = name.strip().lower()
    for contact_list in state.lists.values():
        if contact_list.deleted_at is None and contact_list.name.lower() == lowered:
            return contact_list
    return None


def create_list(
    state: EmulatorState,
    name: str,
    *,
    now: float,
    favorite: bool = False,
    description: str | None = None,
) -> ContactList:
    if find_list_by_name(state, name) is not None:
        raise errors.conflict(f"Validation failed: a list named '{name}' already exists.")
    contact_list = ContactList(
        list_id=state.new_id(),
        name=name,
        description=description,
        favorite=favorite,
        created_at=now,
        updated_at=now,
    )
    state.lists[contact_list.list_id] = contact_list
    return contact_list


def update_list(
    state: EmulatorState,
    contact_list: ContactList,
    name: str,
    *,
    now: float,
    favorite: bool = False,
    description: str | None = None,
) -> ContactList:
    other = find_list_by_name(state, name)
    if other is not None and other.list_id != contact_list.list_id:
        raise errors.conflict(f"Validation failed: a list named '{name}' already exists.")
    contact_list.name = name
    contact_list.favorite = favorite
    contact_list.description = description
    contact_list.updated_at = now
    return contact_list


def delete_list(state: EmulatorState, contact_list: ContactList, *, now: float) -> None:
    """Lists are soft-deleted: still listed with status=all/deleted, memberships removed."""
    if contact_list.deleted_at is not None:
        return
    contacts.drop_list_everywhere(state, contact_list.list_id)
    contact_list.deleted_at = now
    contact_list.updated_at = now


def active_member_count(state: EmulatorState, contact_list: ContactList) -> int:
    count = 0
    for contact_id in contact_list.members:
        contact = state.contacts.get(contact_id)
        if contact is not None and contact.permission in contacts.SUBSCRIBED:
            count += 1
    return count


# --- tags --------------------------------------------------------------------------------------


def find_tag_by_name(state: EmulatorState, name: str) -> Tag | None:
    lowered = name.strip().lower()
    return next((t for t in state.tags.values() if t.name.lower() == lowered), None)


def create_tag(
    state: EmulatorState, name: str, *, now: float, tag_source: str | None = None
) -> Tag:
    if find_tag_by_name(state, name) is not None:
        raise errors.conflict(f"Validation failed: a tag named '{name}' already exists.")
    tag = Tag(
        tag_id=state.new_id(), name=name, tag_source=tag_source, created_at=now, updated_at=now
    )
    state.tags[tag.tag_id] = tag
    return tag


def rename_tag(state: EmulatorState, tag: Tag, name: str, *, now: float) -> Tag:
    other = find_tag_by_name(state, name)
    if other is not None and other.tag_id != tag.tag_id:
        raise errors.conflict(f"Validation failed: a tag named '{name}' already exists.")
    tag.name = name
    tag.updated_at = now
    return tag


def delete_tag(state: EmulatorState, tag: Tag) -> None:
    """Tags are deleted for good and removed from every contact."""
    contacts.drop_tag_everywhere(state, tag.tag_id)


# --- custom fields -----------------------------------------------------------------------------


def derived_name(label: str) -> str:
    """The read-only `name`: the label with blanks replaced by underscores."""
    return re.sub(r"\s", "_", label.strip())


def find_custom_field_by_name(state: EmulatorState, name: str) -> CustomField | None:
    lowered = name.lower()
    return next((f for f in state.custom_fields.values() if f.name.lower() == lowered), None)


def create_custom_field(
    state: EmulatorState,
    label: str,
    field_type: str,
    *,
    now: float,
    metadata: dict[str, Any] | None = None,
    version: int | None = None,
    choices: Sequence[tuple[str, int]] = (),
) -> CustomField:
    if len(state.custom_fields) >= MAX_CUSTOM_FIELDS:
        raise errors.bad_request(
            f"An account can have at most {MAX_CUSTOM_FIELDS} custom fields; delete one first."
        )
    name = derived_name(label)
    if find_custom_field_by_name(state, name) is not None:
        raise errors.conflict(f"Validation failed: a custom field named '{name}' already exists.")
    custom_field = CustomField(
        custom_field_id=state.new_id(),
        label=label,
        name=name,
        type=field_type,
        metadata=metadata,
        version=version,
        choices=[],
        created_at=now,
        updated_at=now,
    )
    for index, (choice_label, display_order) in enumerate(choices, start=1):
        custom_field.choices.append(CustomFieldChoice(index, choice_label, display_order, now, now))
    state.custom_fields[custom_field.custom_field_id] = custom_field
    return custom_field


def custom_field_value(
    state: EmulatorState,
    custom_field_id: str,
    value: Any,
    choice_ids: Sequence[Any] | None,
    where: str,
) -> CustomFieldValue:
    """Validate one value against its field's type; 400 naming `where` and the field."""
    custom_field = state.custom_fields.get(custom_field_id)
    if custom_field is None:
        raise errors.bad_request(
            f"Invalid '{where}.custom_field_id': custom field {custom_field_id} does not exist."
        )
    label = f"custom field '{custom_field.name}'"
    if custom_field.type in ("single_select", "multi_select"):
        return _select_value(custom_field, value, choice_ids, where, label)
    if value is None:
        raise errors.bad_request(f"'{where}.value' is required for {label}.")
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise errors.bad_request(f"Invalid '{where}.value': must be a string for {label}.")
    text = str(value)
    if len(text) > 255:
        raise errors.bad_request(f"Invalid '{where}.value': at most 255 characters for {label}.")
    if custom_field.type in ("number", "currency"):
        try:
            number = float(text)
        except ValueError:
            raise errors.bad_request(
                f"Invalid '{where}.value': {text!r} is not a number for {label}."
            ) from None
        metadata = custom_field.metadata or {}
        if number < 0 and not metadata.get("allow_negative", False):
            raise errors.bad_request(
                f"Invalid '{where}.value': {label} does not allow negative numbers."
            )
        if metadata.get("integer") and not number.is_integer():
            raise errors.bad_request(f"Invalid '{where}.value': {label} only takes whole numbers.")
    elif custom_field.type == "date":
        parsed = parse_loose_date(text)
        if parsed is None:
            raise errors.bad_request(
                f"Invalid '{where}.value': {text!r} is not a date for {label}."
            )
        if custom_field.version == 2:
            text = parsed.isoformat()
    return CustomFieldValue(custom_field_id=custom_field_id, value=text)


def _select_value(
    custom_field: CustomField, value: Any, choice_ids: Sequence[Any] | None, where: str, label: str
) -> CustomFieldValue:
    by_id = {str(c.choice_id): c for c in custom_field.choices}
    by_label = {c.choice_label.lower(): c for c in custom_field.choices}
    chosen = []
    if choice_ids:
        for raw in choice_ids:
            choice = by_id.get(str(raw))
            if choice is None:
                raise errors.bad_request(
                    f"Invalid '{where}.choice_ids': {raw!r} is not a choice of {label}."
                )
            chosen.append(choice)
    elif isinstance(value, str) and value.strip():
        parts = [value] if custom_field.type == "single_select" else value.split(",")
        for part in parts:
            choice = by_label.get(part.strip().lower())
            if choice is None:
                raise errors.bad_request(
                    f"Invalid '{where}.value': {part.strip()!r} is not a choice of {label}."
                )
            chosen.append(choice)
    else:
        raise errors.bad_request(
            f"'{where}.choice_ids' or '{where}.value' is required for {label}."
        )
    if custom_field.type == "single_select" and len(chosen) > 1:
        raise errors.bad_request(f"Invalid '{where}.choice_ids': {label} takes one choice.")
    return CustomFieldValue(
        custom_field_id=custom_field.custom_field_id,
        value=",".join(c.choice_label for c in chosen),
        choice_ids=[str(c.choice_id) for c in chosen],
    )


def delete_custom_field(state: EmulatorState, custom_field: CustomField) -> None:
    contacts.drop_custom_field_everywhere(state, custom_field.custom_field_id)


# --- segments ----------------------------------------------------------------------------------


def find_segment_by_name(state: EmulatorState, name: str) -> Segment | None:
    lowered = name.strip().lower()
    return next(
        (s for s in state.segments.values() if s.deleted_at is None and s.name.lower() == lowered),
        None,
    )


def create_segment(state: EmulatorState, name: str, criteria: str, *, now: float) -> Segment:
    if find_segment_by_name(state, name) is not None:
        raise errors.conflict(f"Validation failed: a segment named '{name}' already exists.")
    segment = Segment(
        segment_id=state.next_segment_id,
        name=name,
        segment_criteria=criteria,
        created_at=now,
        edited_at=now,
    )
    state.next_segment_id += 1
    state.segments[segment.segment_id] = segment
    return segment


def rename_segment(state: EmulatorState, segment: Segment, name: str, *, now: float) -> None:
    other = find_segment_by_name(state, name)
    if other is not None and other.segment_id != segment.segment_id:
        raise errors.conflict(f"Validation failed: a segment named '{name}' already exists.")
    segment.name = name
    segment.edited_at = now
