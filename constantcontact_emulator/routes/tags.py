"""/v3/contact_tags."""

from __future__ import annotations

import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from constantcontact_emulator import definitions, errors, serialize
from constantcontact_emulator.activities_core import record_completed_activity
from constantcontact_emulator.errors import json_response
from constantcontact_emulator.pagination import page_request, paginate, with_links
from constantcontact_emulator.params import Fields, is_uuid, parse_bool, read_json
from constantcontact_emulator.routing import api_route, emulator
from constantcontact_emulator.state import EmulatorState, Tag


def _get(state: EmulatorState, tag_id: str) -> Tag:
    tag = state.tags.get(tag_id) if is_uuid(tag_id) else None
    if tag is None:
        raise errors.not_found("tag", tag_id)
    return tag


def _active_count(state: EmulatorState, tag: Tag) -> int:
    return sum(
        1 for cid in tag.members if (c := state.contacts.get(cid)) is not None and not c.is_deleted
    )


async def list_tags(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    page = page_request(request, "contact_tags")
    include_count = parse_bool("include_count", page.params.get("include_count"))
    result = list(state.tags.values())
    chunk, links = paginate(
        page,
        result,
        path="/v3/contact_tags",
        cursor_mode=state.config.cursor_mode,
        keys=[(t.created_at, t.tag_id) for t in result],
    )
    body: dict[str, Any] = {
        "tags": [
            serialize.tag(t, _active_count(state, t) if include_count else None) for t in chunk
        ]
    }
    return json_response(with_links(body, links))


async def create_tag(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    body = Fields(await read_json(request))
    name = body.text("name", min_length=1, max_length=255)
    tag_source = body.string("tag_source", max_length=255)
    tag = definitions.create_tag(state, name, now=time.time(), tag_source=tag_source)
    return json_response(serialize.tag(tag), 201)


async def get_tag(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    tag = _get(state, request.path_params["tag_id"])
    include_count = parse_bool("include_count", request.query_params.get("include_count"))
    return json_response(serialize.tag(tag, _active_count(state, tag) if include_count else None))


async def update_tag(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    tag = _get(state, request.path_params["tag_id"])
    body = Fields(await read_json(request))
    name = body.text("name", min_length=1, max_length=255)
    definitions.rename_tag(state, tag, name, now=time.time())
    return json_response(serialize.tag(tag))


async def delete_tag(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    tag = _get(state, request.path_params["tag_id"])
    now = time.time()
    members = len(tag.members)
    definitions.delete_tag(state, tag)
    activity = record_completed_activity(state, "contacts_tags_delete", items=members, now=now)
    return json_response(activity, 202)


routes = [
    api_route("/contact_tags", list_tags, ["GET"]),
    api_route("/contact_tags", create_tag, ["POST"]),
    api_route("/contact_tags/{tag_id}", get_tag, ["GET"]),
    api_route("/contact_tags/{tag_id}", update_tag, ["PUT"]),
    api_route("/contact_tags/{tag_id}", delete_tag, ["DELETE"]),
]
