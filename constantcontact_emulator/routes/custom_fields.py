"""/v3/contact_custom_fields. PUT overwrites omitted properties with null."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from constantcontact_emulator import definitions, errors, serialize
from constantcontact_emulator.errors import json_response
from constantcontact_emulator.pagination import page_request, paginate, with_links
from constantcontact_emulator.params import Fields, read_json
from constantcontact_emulator.routing import api_route, emulator
from constantcontact_emulator.state import CustomField, CustomFieldChoice, EmulatorState

SELECT_TYPES = ("single_select", "multi_select")
DISPLAY_TYPES = ("radio", "checkbox", "dropdown")


def _get(state: EmulatorState, custom_field_id: str) -> CustomField:
    custom_field = state.custom_fields.get(custom_field_id)
    if custom_field is None:
        raise errors.not_found("custom field", custom_field_id)
    return custom_field


def _metadata(body: Fields, field_type: str) -> dict[str, Any] | None:
    metadata = body.obj("metadata")
    if metadata is None:
        return None
    result: dict[str, Any] = {}
    display_type = metadata.string("display_type", allowed=DISPLAY_TYPES)
    if display_type is not None:
        result["display_type"] = display_type
    for name in ("allow_negative", "integer"):
        value = metadata.boolean(name)
        if value is not None:
            result[name] = value
    decimal_places = metadata.integer("decimal_places", minimum=0, maximum=4)
    if decimal_places is not None:
        result["decimal_places"] = decimal_places
    currency = metadata.string("currency_code", min_length=3, max_length=3)
    if currency is not None:
        result["currency_code"] = currency
    display_format = metadata.string("display_format", max_length=20)
    if display_format is not None:
        result["display_format"] = display_format
    if field_type in ("number", "currency") and result.get("integer") is False:
        places = result.get("decimal_places")
        if places is None or not 1 <= places <= 4:
            raise errors.bad_request(
                "Invalid 'metadata.decimal_places': must be between 1 and 4 when integer is false."
            )
    return result


def _choices(body: Fields, field_type: str, display_type: str | None) -> list[Fields]:
    choices = body.objects("choices", max_items=100) or []
    if field_type in SELECT_TYPES:
        if not choices:
            raise errors.bad_request(f"'choices' is required for a {field_type} custom field.")
        if display_type in ("radio", "checkbox") and len(choices) > 20:
            raise errors.bad_request(
                f"Invalid 'choices': at most 20 for display type {display_type}."
            )
    elif choices:
        raise errors.bad_request(
            f"Invalid 'choices': only select custom fields have choices, not {field_type}."
        )
    return choices


async def list_custom_fields(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    page = page_request(request, "contact_custom_fields")
    result = list(state.custom_fields.values())
    chunk, links = paginate(
        page,
        result,
        path="/v3/contact_custom_fields",
        cursor_mode=state.config.cursor_mode,
        keys=[(f.created_at, f.custom_field_id) for f in result],
    )
    return json_response(
        with_links({"custom_fields": [serialize.custom_field(f) for f in chunk]}, links)
    )


async def create_custom_field(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    body = Fields(await read_json(request))
    label = body.text("label", min_length=1, max_length=50)
    field_type = body.text("type", allowed=definitions.CUSTOM_FIELD_TYPES)
    metadata = _metadata(body, field_type)
    version = body.integer("version", minimum=1, maximum=2)
    if field_type == "date" and version is None:
        version = 2
    choices = _choices(body, field_type, (metadata or {}).get("display_type"))
    parsed_choices = [
        (
            c.text("choice_label", max_length=255),
            c.integer("display_order") or index,
        )
        for index, c in enumerate(choices, start=1)
    ]
    custom_field = definitions.create_custom_field(
        state,
        label,
        field_type,
        now=time.time(),
        metadata=metadata,
        version=version if field_type == "date" else None,
        choices=parsed_choices,
    )
    return json_response(serialize.custom_field(custom_field), 201)


async def get_custom_field(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    return json_response(
        serialize.custom_field(_get(state, request.path_params["custom_field_id"]))
    )


async def update_custom_field(request: Request) -> Response:
    """PUT: label and choices replace the stored ones; metadata left out becomes null."""
    state: EmulatorState = emulator(request).state
    custom_field = _get(state, request.path_params["custom_field_id"])
    body = Fields(await read_json(request))
    label = body.text("label", min_length=1, max_length=50)
    name = definitions.derived_name(label)
    other = definitions.find_custom_field_by_name(state, name)
    if other is not None and other.custom_field_id != custom_field.custom_field_id:
        raise errors.conflict(f"Validation failed: a custom field named '{name}' already exists.")
    metadata = _metadata(body, custom_field.type)
    choices = _choices(body, custom_field.type, (metadata or {}).get("display_type"))
    now = time.time()
    existing = {c.choice_id: c for c in custom_field.choices}
    next_id = max(existing, default=0) + 1
    new_choices = []
    for index, c in enumerate(choices, start=1):
        choice_id = c.integer("choice_id")
        choice_label = c.text("choice_label", max_length=255)
        order = c.integer("display_order") or index
        if choice_id is not None:
            if choice_id not in existing:
                raise errors.bad_request(
                    f"Invalid '{c.prefix}choice_id': {choice_id} is not a choice of this field."
                )
            old = existing[choice_id]
            new_choices.append(
                CustomFieldChoice(choice_id, choice_label, order, old.created_at, now)
            )
        else:
            new_choices.append(CustomFieldChoice(next_id, choice_label, order, now, now))
            next_id += 1
    custom_field.label = label
    custom_field.name = name
    custom_field.metadata = metadata
    custom_field.choices = new_choices
    custom_field.updated_at = now
    return json_response(serialize.custom_field(custom_field))


async def delete_custom_field(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    definitions.delete_custom_field(state, _get(state, request.path_params["custom_field_id"]))
    return Response(status_code=204)


routes = [
    api_route("/contact_custom_fields", list_custom_fields, ["GET"]),
    api_route("/contact_custom_fields", create_custom_field, ["POST"]),
    api_route("/contact_custom_fields/{custom_field_id}", get_custom_field, ["GET"]),
    api_route("/contact_custom_fields/{custom_field_id}", update_custom_field, ["PUT"]),
    api_route("/contact_custom_fields/{custom_field_id}", delete_custom_field, ["DELETE"]),
]
