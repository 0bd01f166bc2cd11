"""/v3/activities and /v3/contact_exports: the bulk activities (scope `contact_data`).

Each POST validates its body (400 naming the field, 415 for a wrong content type), refuses with
429 when the account already has `max_queued_activities` queued, and answers 201 with the new
activity in state `initialized`; the job runs later (bulk.py). Polling with
`GET /activities/{id}` costs a request like any other call.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from constantcontact_emulator import (
    bulk,
    bulk_contacts,
    bulk_definitions,
    bulk_export,
    bulk_import,
    errors,
)
from constantcontact_emulator.errors import json_response
from constantcontact_emulator.extensions import Extension
from constantcontact_emulator.pagination import page_request, paginate, with_links
from constantcontact_emulator.params import Fields, is_uuid, parse_enum, read_json
from constantcontact_emulator.routing import api_route, emulator
from constantcontact_emulator.state import EmulatorState

JOBS: dict[str, bulk.Job] = {
    "contacts_json_import": bulk_import.run_import,
    "contacts_file_import": bulk_import.run_import,
    "contact_delete": bulk_contacts.run_delete,
    "add_list_memberships": bulk_contacts.run_add_lists,
    "remove_list_memberships": bulk_contacts.run_remove_lists,
    "contacts_taggings_add": bulk_contacts.run_tag_add,
    "contacts_taggings_remove": bulk_contacts.run_tag_remove,
    "list_delete": bulk_definitions.run_list_delete,
    "contacts_tags_delete": bulk_definitions.run_tags_delete,
    "custom_fields_delete": bulk_definitions.run_custom_fields_delete,
    "contact_exports": bulk_export.run_export,
}
FORCED_FAILURE = "The activity failed to complete (injected fault: activity_fail_next)."

RequestParser = Callable[[EmulatorState, Fields, float], bulk.JobRequest]


def _created(request: Request, job: bulk.JobRequest, now: float) -> Response:
    emu = emulator(request)
    settings = emu.faults.settings
    forced = None
    if settings.activity_fail_next > 0:
        forced = FORCED_FAILURE
    activity = bulk.submit(emu.state, job, now, forced_failure=forced)
    if forced is not None:
        settings.activity_fail_next -= 1
    return json_response(bulk.body(activity, now, emu.state.config.activity_seconds), 201)


def _json_endpoint(parse: RequestParser) -> Callable[[Request], Any]:
    async def handler(request: Request) -> Response:
        state: EmulatorState = emulator(request).state
        body = Fields(await read_json(request))
        now = time.time()
        return _created(request, parse(state, body, now), now)

    return handler


async def json_import(request: Request) -> Response:
    emu = emulator(request)
    data = await read_json(request)
    raw = await request.body()
    job = bulk_import.json_request(
        emu.state, raw, Fields(data), oversize=emu.faults.settings.import_oversize
    )
    return _created(request, job, time.time())


async def file_import(request: Request) -> Response:
    emu = emulator(request)
    content_type = request.headers.get("content-type", "")
    if content_type.split(";", 1)[0].strip().lower() != "multipart/form-data":
        raise errors.ApiError(
            415,
            errors.UNSUPPORTED_MEDIA_TYPE,
            "This endpoint takes multipart/form-data: do not set the Content-Type yourself.",
        )
    async with request.form(max_part_size=bulk_import.MAX_BODY_BYTES) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise errors.bad_request("'file' is required: a CSV file part.")
        filename = upload.filename or "import.csv"
        if not filename.lower().endswith(".csv"):
            raise errors.ApiError(
                415,
                errors.UNSUPPORTED_MEDIA_TYPE,
                f"Wrong file format {filename!r}: the upload file must be of type .csv.",
            )
        content = await upload.read()
        list_ids = form.get("list_ids")
        sms_permission = form.get("sms_permission_to_send")
    job = bulk_import.csv_request(
        emu.state,
        content,
        filename,
        list_ids if isinstance(list_ids, str) else None,
        sms_permission if isinstance(sms_permission, str) else None,
    )
    return _created(request, job, time.time())


async def list_activities(request: Request) -> Response:
    emu = emulator(request)
    state: EmulatorState = emu.state
    page = page_request(request, "activities")
    wanted = parse_enum("state", page.params.get("state"), bulk.STATE_FILTERS)
    items = bulk.newest_first(state, wanted)
    chunk, links = paginate(
        page,
        items,
        path="/v3/activities",
        cursor_mode=state.config.cursor_mode,
        keys=[-a.seq for a in items],
    )
    now = time.time()
    seconds = state.config.activity_seconds
    return json_response(
        with_links({"activities": [bulk.body(a, now, seconds) for a in chunk]}, links)
    )


async def get_activity(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    activity_id = request.path_params["activity_id"]
    activity = state.bulk_activities.get(activity_id) if is_uuid(activity_id) else None
    if activity is None:
        raise errors.not_found("activity", activity_id)
    return json_response(bulk.body(activity, time.time(), state.config.activity_seconds))


async def get_export_file(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    export_id = request.path_params["file_export_id"]
    text = state.contact_exports.get(export_id)
    if text is None:
        activity = state.bulk_activities.get(export_id)
        if activity is not None and activity.kind == "contact_exports":
            raise errors.ApiError(
                404,
                errors.NOT_FOUND,
                f"The export {export_id} is not ready: its activity is {activity.state}.",
            )
        raise errors.not_found("contact export file", export_id)
    return Response(
        text,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="contacts-{export_id}.csv"'},
    )


routes = [
    api_route("/activities", list_activities, ["GET"]),
    api_route("/activities/contacts_json_import", json_import, ["POST"]),
    api_route("/activities/contacts_file_import", file_import, ["POST"]),
    api_route("/activities/contact_delete", _json_endpoint(bulk_contacts.delete_request), ["POST"]),
    api_route(
        "/activities/add_list_memberships",
        _json_endpoint(bulk_contacts.add_lists_request),
        ["POST"],
    ),
    api_route(
        "/activities/remove_list_memberships",
        _json_endpoint(bulk_contacts.remove_lists_request),
        ["POST"],
    ),
    api_route(
        "/activities/contacts_taggings_add",
        _json_endpoint(bulk_contacts.tagging_request("contacts_taggings_add")),
        ["POST"],
    ),
    api_route(
        "/activities/contacts_taggings_remove",
        _json_endpoint(bulk_contacts.tagging_request("contacts_taggings_remove")),
        ["POST"],
    ),
    api_route(
        "/activities/list_delete", _json_endpoint(bulk_definitions.list_delete_request), ["POST"]
    ),
    api_route(
        "/activities/contacts_tags_delete",
        _json_endpoint(bulk_definitions.tags_delete_request),
        ["POST"],
    ),
    api_route(
        "/activities/custom_fields_delete",
        _json_endpoint(bulk_definitions.custom_fields_delete_request),
        ["POST"],
    ),
    api_route("/activities/contact_exports", _json_endpoint(bulk_export.export_request), ["POST"]),
    api_route("/activities/{activity_id}", get_activity, ["GET"]),
    api_route("/contact_exports/{file_export_id}", get_export_file, ["GET"]),
]


def _on_state(state: EmulatorState) -> None:
    bulk.install(state, JOBS)


EXTENSION = Extension(
    name="bulk",
    routes=routes,
    on_state=_on_state,
    exporters={"activities": bulk.export_activities},
    dump=bulk.dump,
    load=bulk.load,
)
