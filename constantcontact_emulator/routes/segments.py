"""/v3/segments. Deleted segments are left out of the list but can be fetched by id."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from constantcontact_emulator import definitions, errors, segment_criteria, serialize
from constantcontact_emulator.errors import json_response
from constantcontact_emulator.pagination import page_request, paginate, with_links
from constantcontact_emulator.params import Fields, parse_enum, read_json
from constantcontact_emulator.routing import api_route, emulator
from constantcontact_emulator.state import EmulatorState, Segment


def _get(state: EmulatorState, raw_id: str) -> Segment:
    try:
        segment_id = int(raw_id)
    except ValueError:
        raise errors.bad_request(f"Invalid 'segment_id': {raw_id!r} is not a segment id.") from None
    segment = state.segments.get(segment_id)
    if segment is None:
        raise errors.not_found("segment", raw_id)
    return segment


def _segment_input(body: Fields) -> tuple[str, str]:
    name = body.text("name", min_length=1, max_length=255)
    criteria = body.text("segment_criteria", max_length=20000)
    segment_criteria.parse(criteria)
    return name, criteria


async def list_segments(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    page = page_request(request, "segments")
    sort_by = parse_enum("sort_by", page.params.get("sort_by"), ("date", "name")) or "date"
    live = [s for s in state.segments.values() if s.deleted_at is None]
    if sort_by == "name":
        live.sort(key=lambda s: (s.name.lower(), s.segment_id))
        keys = [(s.name.lower(), s.segment_id) for s in live]
    else:
        # most recently edited first; keys ascend in that order
        live.sort(key=lambda s: (-s.edited_at, -s.segment_id))
        keys = [(-s.edited_at, -s.segment_id) for s in live]
    chunk, links = paginate(
        page, live, path="/v3/segments", cursor_mode=state.config.cursor_mode, keys=keys
    )
    return json_response(
        with_links({"segments": [serialize.segment(s, detail=False) for s in chunk]}, links)
    )


async def create_segment(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    name, criteria = _segment_input(Fields(await read_json(request)))
    segment = definitions.create_segment(state, name, criteria, now=time.time())
    return json_response(serialize.segment(segment, detail=True), 201)


async def get_segment(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    return json_response(
        serialize.segment(_get(state, request.path_params["segment_id"]), detail=True)
    )


async def update_segment(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    segment = _get(state, request.path_params["segment_id"])
    if segment.deleted_at is not None:
        raise errors.not_found("segment", str(segment.segment_id))
    name, criteria = _segment_input(Fields(await read_json(request)))
    now = time.time()
    definitions.rename_segment(state, segment, name, now=now)
    segment.segment_criteria = criteria
    segment.edited_at = now
    state.changed()
    return json_response(serialize.segment(segment, detail=True))


async def rename_segment(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    segment = _get(state, request.path_params["segment_id"])
    if segment.deleted_at is not None:
        raise errors.not_found("segment", str(segment.segment_id))
    name = Fields(await read_json(request)).text("name", min_length=1, max_length=255)
    definitions.rename_segment(state, segment, name, now=time.time())
    return json_response(serialize.segment(segment, detail=True))


async def delete_segment(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    segment = _get(state, request.path_params["segment_id"])
    if segment.deleted_at is None:
        segment.deleted_at = time.time()
    return Response(status_code=204)


routes = [
    api_route("/segments", list_segments, ["GET"]),
    api_route("/segments", create_segment, ["POST"]),
    api_route("/segments/{segment_id}", get_segment, ["GET"]),
    api_route("/segments/{segment_id}", update_segment, ["PUT"]),
    api_route("/segments/{segment_id}", delete_segment, ["DELETE"]),
    api_route("/segments/{segment_id}/name", rename_segment, ["PATCH"]),
]
