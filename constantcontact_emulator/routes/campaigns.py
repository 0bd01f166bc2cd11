"""/v3/emails: email campaigns and campaign activities (scope `campaign_data`).

- `GET /emails` lists every campaign, Removed ones included, newest `updated_at` first;
  `after_date` (inclusive) and `before_date` (exclusive) filter on `updated_at`.
- `POST /emails` creates a Draft with a `primary_email` and a `permalink` activity (409 for a
  name in use); `PATCH` renames; `DELETE` (204) makes it Removed, never while Scheduled.
- `GET /emails/activities/{id}` (404 once REMOVED) with `include=`, and its `send_history`.

Also the extension hooks: the seed (seed_campaigns.py), admin actions (campaigns_actions.py),
exports and the state file.
"""

from __future__ import annotations

import re
import time
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from constantcontact_emulator import errors, seed_campaigns
from constantcontact_emulator.errors import json_response
from constantcontact_emulator.extensions import Extension
from constantcontact_emulator.pagination import page_request, paginate, with_links
from constantcontact_emulator.params import (
    Fields,
    is_email,
    parse_csv_enum,
    parse_datetime,
    read_json,
)
from constantcontact_emulator.routes import campaigns_actions
from constantcontact_emulator.routes import campaigns_serialize as serialize
from constantcontact_emulator.routes.campaigns_model import (
    COUNTERS_KEY,
    CUSTOM_CODE,
    NAME_MAX,
    NEWSLETTER,
    PERMALINK,
    ActivityContent,
    Campaign,
    CampaignActivity,
    Link,
    TrackingEvent,
    counters,
    create_campaign,
    get_activity,
    get_campaign,
    remove_campaign,
    rename_campaign,
)
from constantcontact_emulator.routes.reports_stats import DIDNOTOPENS, report_events, tracking_row
from constantcontact_emulator.routing import api_route, emulator
from constantcontact_emulator.state import EmulatorState

SCOPE = "campaign_data"
# The V3 API creates custom code (5) and email editor (4) emails.
CREATABLE_FORMATS = (4, 5)
TRACKING_IMAGE = "[[trackingImage]]"
_HREF = re.compile(r"""href\s*=\s*["'](https?://[^"']+)["']""", re.IGNORECASE)


async def list_emails(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    page = page_request(request, "emails")
    after = parse_datetime("after_date", page.params.get("after_date"))
    before = parse_datetime("before_date", page.params.get("before_date"))
    chosen = [
        c
        for c in state.campaigns.values()
        if (after is None or c.updated_at >= after) and (before is None or c.updated_at < before)
    ]
    chosen.sort(key=lambda c: (-c.updated_at, -c.seq))
    chunk, links = paginate(
        page,
        chosen,
        path="/v3/emails",
        cursor_mode=state.config.cursor_mode,
        keys=[(-c.updated_at, -c.seq) for c in chosen],
    )
    return json_response(with_links({"campaigns": [serialize.campaign(c) for c in chunk]}, links))


def _required(fields: Fields, name: str, **limits: Any) -> str:
    value = fields.string(name, required=True, **limits)
    if value is None:  # string(required=True) has raised already
        raise errors.bad_request(f"'{fields.path(name)}' is required.")
    return value


def _name(body: Fields) -> str:
    name = _required(body, "name", max_length=NAME_MAX, min_length=1)
    if not name.strip():
        raise errors.bad_request("Invalid 'name': must not be blank.")
    return name


def _email(fields: Fields, name: str) -> str:
    value = _required(fields, name, max_length=80)
    if not is_email(value):
        raise errors.bad_request(f"Invalid '{fields.path(name)}': not a valid email address.")
    return value


def _footer(fields: Fields) -> dict[str, Any] | None:
    footer = fields.obj("physical_address_in_footer")
    if footer is None:
        return None
    out: dict[str, Any] = {}
    for name in ("address_line1", "country_code", "organization_name"):
        out[name] = footer.string(name, required=True, min_length=1)
    for name in (
        "address_line2",
        "address_line3",
        "address_optional",
        "city",
        "postal_code",
        "state_code",
        "state_non_us_name",
    ):
        value = footer.string(name)
        if value is not None:
            out[name] = value
    if out["country_code"] == "US" and "state_code" not in out:
        raise errors.bad_request(
            f"'{footer.path('state_code')}' is required when the country_code is US."
        )
    return out


def _activity_input(fields: Fields) -> tuple[int, ActivityContent]:
    format_type = fields.integer("format_type", required=True)
    if format_type not in CREATABLE_FORMATS:
        raise errors.bad_request(
            f"Invalid '{fields.path('format_type')}': the API creates format_type 4 (email "
            "editor) or 5 (custom code) emails."
        )
    html = _required(fields, "html_content", max_length=150_000, min_length=1)
    if format_type == 5 and TRACKING_IMAGE not in html:
        raise errors.bad_request(
            f"Invalid '{fields.path('html_content')}': custom code emails must include "
            f"{TRACKING_IMAGE} in the body."
        )
    from_name = _required(fields, "from_name", max_length=100, min_length=1)
    subject = _required(fields, "subject", min_length=1)
    return format_type, ActivityContent(
        from_email=_email(fields, "from_email"),
        from_name=from_name,
        reply_to_email=_email(fields, "reply_to_email"),
        subject=subject,
        preheader=fields.string("preheader", max_length=200),
        html_content=html,
        physical_address_in_footer=_footer(fields),
    )


def links_in(html: str | None, first_id: int) -> list[Link]:
    """The tracked links of an HTML body, each URL once, numbered from `first_id`."""
    urls = list(dict.fromkeys(_HREF.findall(html or "")))
    return [Link(url_id=str(first_id + i), link_url=url) for i, url in enumerate(urls)]


async def create_email(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    body = Fields(await read_json(request))
    name = _name(body)
    activities = body.objects("email_campaign_activities", max_items=1)
    if not activities:
        raise errors.bad_request(
            "'email_campaign_activities' is required: an array with one email campaign activity."
        )
    format_type, content = _activity_input(activities[0])
    campaign = create_campaign(
        state,
        name=name,
        content=content,
        format_type=format_type,
        type_code=CUSTOM_CODE if format_type == 5 else NEWSLETTER,
        now=time.time(),
        links=links_in(content.html_content, 1_100_000_000_000 + state.rng.randrange(10**11)),
    )
    # The spec documents 200 (not 201) for a created campaign.
    return json_response(serialize.campaign_detail(state, campaign))


async def get_email(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    campaign = get_campaign(state, request.path_params["campaign_id"])
    return json_response(serialize.campaign_detail(state, campaign))


async def rename_email(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    campaign = get_campaign(state, request.path_params["campaign_id"])
    name = _name(Fields(await read_json(request)))
    rename_campaign(state, campaign, name, now=time.time())
    return json_response(serialize.campaign_detail(state, campaign))


async def delete_email(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    campaign = get_campaign(state, request.path_params["campaign_id"])
    remove_campaign(state, campaign, now=time.time())
    return Response(status_code=204)


async def get_email_activity(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    include = parse_csv_enum(
        "include", request.query_params.get("include"), serialize.ACTIVITY_INCLUDES
    )
    activity = get_activity(state, request.path_params["campaign_activity_id"])
    return json_response(serialize.activity(state, activity, include))


async def send_history(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    activity = get_activity(state, request.path_params["campaign_activity_id"])
    if activity.role == PERMALINK:
        return json_response([])
    return json_response([serialize.send_record(s) for s in activity.send_history])


routes = [
    api_route("/emails", list_emails, ["GET"], scope=SCOPE),
    api_route("/emails", create_email, ["POST"], scope=SCOPE),
    api_route(
        "/emails/activities/{campaign_activity_id}/send_history",
        send_history,
        ["GET"],
        scope=SCOPE,
    ),
    api_route(
        "/emails/activities/{campaign_activity_id}", get_email_activity, ["GET"], scope=SCOPE
    ),
    api_route("/emails/{campaign_id}", get_email, ["GET"], scope=SCOPE),
    api_route("/emails/{campaign_id}", rename_email, ["PATCH"], scope=SCOPE),
    api_route("/emails/{campaign_id}", delete_email, ["DELETE"], scope=SCOPE),
]


# --- exports and the state file ---------------------------------------------------------------


_EXPORTED_KINDS = frozenset(
    {"em_sends", "em_opens", "em_clicks", "em_forwards", "em_optouts", "em_bounces"}
)


def export_campaigns(state: EmulatorState) -> list[dict[str, Any]]:
    return [serialize.campaign_detail(state, c) for c in state.campaigns.values()]


def export_activities(state: EmulatorState) -> list[dict[str, Any]]:
    """Every activity, REMOVED ones included, with every `include=` part and its send history."""
    return [
        {
            **serialize.activity(state, a, serialize.ACTIVITY_INCLUDES),
            "send_history": [serialize.send_record(s) for s in a.send_history],
        }
        for a in state.campaign_activities.values()
    ]


def export_tracking(state: EmulatorState) -> list[dict[str, Any]]:
    """Every stored event as its report row (oldest first, per activity), plus the
    did-not-open rows as the didnotopens report lists them now."""
    rows = []
    for activity_id, events in state.tracking_events.items():
        rows.extend(
            tracking_row(state, activity_id, event, event.kind)
            for event in events
            if event.kind in _EXPORTED_KINDS
        )
        rows.extend(
            tracking_row(state, activity_id, event, DIDNOTOPENS)
            for event in reversed(report_events(state, activity_id, "didnotopens"))
        )
    return rows


def dump(state: EmulatorState) -> dict[str, Any]:
    return {
        "campaigns": list(state.campaigns.values()),
        "activities": list(state.campaign_activities.values()),
        "tracking_events": state.tracking_events,
    }


def load(state: EmulatorState, data: Any) -> None:
    try:
        campaigns = msgspec.convert(data["campaigns"], list[Campaign])
        activities = msgspec.convert(data["activities"], list[CampaignActivity])
        events = msgspec.convert(data["tracking_events"], dict[str, list[TrackingEvent]])
    except (KeyError, TypeError, msgspec.ValidationError) as exc:
        raise SystemExit(f"--state-file: damaged campaigns section: {exc}") from None
    state.campaigns = {c.campaign_id: c for c in campaigns}
    state.campaign_activities = {a.campaign_activity_id: a for a in activities}
    state.tracking_events = events
    state.extension_data.pop(COUNTERS_KEY, None)
    counters(state)


EXTENSION = Extension(
    name="campaigns",
    routes=routes,
    seed=seed_campaigns.seed,
    actions=campaigns_actions.ACTIONS,
    exporters={
        "campaigns": export_campaigns,
        "campaign_activities": export_activities,
        "tracking": export_tracking,
    },
    dump=dump,
    load=load,
)
