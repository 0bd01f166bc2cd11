"""/v3/contact_lists. Deleted lists are kept: listed with status=all or deleted."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from constantcontact_emulator import definitions, errors, serialize
from constantcontact_emulator.activities_core import record_completed_activity
from constantcontact_emulator.errors import json_response
from constantcontact_emulator.pagination import page_request, paginate, with_links
from constantcontact_emulator.params import (
    Fields,
    is_uuid,
    parse_bool,
    parse_csv_enum,
    parse_enum,
    read_json,
)
from constantcontact_emulator.routing import api_route, emulator
from constantcontact_emulator.state import ContactList, EmulatorState

STATUSES = ("all", "active", "deleted")


def _membership_count(state: EmulatorState, lst: ContactList, mode: str | None) -> int | None:
    if mode is None:
        return None
    if mode == "active":
        return definitions.active_member_count(state, lst)
    return len(lst.members)


def _get(state: EmulatorState, list_id: str) -> ContactList:
    contact_list = state.lists.get(list_id) if is_uuid(list_id) else None
    if contact_list is None:
        raise errors.not_found("contact list", list_id)
    return contact_list


async def list_lists(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    page = page_request(request, "contact_lists")
    params = page.params
    include_count = parse_bool("include_count", params.get("include_count"))
    mode = parse_enum(
        "include_membership_count", params.get("include_membership_count"), ("all", "active")
    )
    statuses = set(parse_csv_enum("status", params.get("status"), STATUSES)) or {"active"}
    channel = parse_enum("channel_type", params.get("channel_type"), ("email", "sms"))
    parse_bool("include_sms_membership_count", params.get("include_sms_membership_count"))
    name = params.get("name")
    result = []
    for lst in state.lists.values():
        deleted = lst.deleted_at is not None
        if "all" not in statuses and ("deleted" if deleted else "active") not in statuses:
            continue
        if name is not None and lst.name.lower() != name.lower():
            continue
        if channel == "sms":
            continue  # SMS lists are not emulated
        result.append(lst)
    chunk, links = paginate(
        page,
        result,
        path="/v3/contact_lists",
        cursor_mode=state.config.cursor_mode,
        keys=[(lst.created_at, lst.list_id) for lst in result],
    )
    body: dict[str, Any] = {
        "lists": [serialize.contact_list(lst, _membership_count(state, lst, mode)) for lst in chunk]
    }
    if include_count:
        body["lists_count"] = len(result)
    return json_response(with_links(body, links))


def _list_input(body: Fields) -> tuple[str, bool, str | None]:
    name = body.text("name", max_length=255, min_length=1)
    if not name.strip():
        raise errors.bad_request("Invalid 'name': must not be blank.")
    favorite = body.boolean("favorite") or False
    description = body.string("description", max_length=255)
    return name, favorite, description


async def create_list(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    name, favorite, description = _list_input(Fields(await read_json(request)))
    lst = definitions.create_list(
        state, name, now=time.time(), favorite=favorite, description=description
    )
    return json_response(serialize.contact_list(lst), 201)


async def get_list(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    lst = _get(state, request.path_params["list_id"])
    mode = parse_enum(
        "include_membership_count",
        request.query_params.get("include_membership_count"),
        ("all", "active"),
    )
    return json_response(serialize.contact_list(lst, _membership_count(state, lst, mode)))


async def update_list(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    lst = _get(state, request.path_params["list_id"])
    if lst.deleted_at is not None:
        raise errors.not_found("contact list", lst.list_id)
    name, favorite, description = _list_input(Fields(await read_json(request)))
    definitions.update_list(
        state, lst, name, now=time.time(), favorite=favorite, description=description
    )
    return json_response(serialize.contact_list(lst))


async def delete_list(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    lst = _get(state, request.path_params["list_id"])
    if lst.deleted_at is not None:
        raise errors.not_found("contact list", lst.list_id)
    now = time.time()
    members = len(lst.members)
    definitions.delete_list(state, lst, now=now)
    activity = record_completed_activity(state, "list_delete", items=members, now=now)
    return json_response(activity, 202, headers={"Location": activity["_links"]["self"]["href"]})


routes = [
    api_route("/contact_lists", list_lists, ["GET"]),
    api_route("/contact_lists", create_list, ["POST"]),
    api_route("/contact_lists/{list_id}", get_list, ["GET"]),
    api_route("/contact_lists/{list_id}", update_list, ["PUT"]),
    api_route("/contact_lists/{list_id}", delete_list, ["DELETE"]),
]
