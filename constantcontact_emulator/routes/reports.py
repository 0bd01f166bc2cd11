"""/v3/reports: email campaign reporting (scope `campaign_data`), computed from the tracking
events (reports_stats.py), so summaries, stats and tracking reports always agree.

- `GET /reports/summary_reports/email_campaign_summaries`: sent campaigns (not Removed),
  newest `last_sent_date` first, with `aggregate_percents` over the page.
- `GET /reports/stats/email_campaigns/{ids}` (at most 150; one unknown id: 404 for all) and
  `GET /reports/stats/email_campaign_activities/{ids}` (at most 10; a malformed id: 404 for
  all; unknown, removed or never-sent activities are listed under `errors`).
- `GET /reports/email_reports/{id}/tracking/{report}`: newest first, `limit` default and
  maximum 500, no date filter; `clicks` takes `url_id`, `bounces` a repeatable `bounce_code`.
  REMOVED activities are not found; a permalink activity has no rows.
- `GET /reports/email_reports/{id}/links`: unique clicks per link.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from constantcontact_emulator import errors
from constantcontact_emulator.errors import json_response
from constantcontact_emulator.extensions import Extension
from constantcontact_emulator.pagination import page_request, paginate, with_links
from constantcontact_emulator.params import is_uuid, parse_bool, parse_csv
from constantcontact_emulator.routes.campaigns_model import (
    REPORTED_ROLES,
    get_activity,
    last_sent,
)
from constantcontact_emulator.routes.reports_stats import (
    BOUNCE_CODES,
    REPORTS,
    activity_engagement,
    aggregate_percents,
    campaign_engagement,
    campaign_last_sent,
    campaign_summary,
    link_click_counts,
    refresh_time,
    report_events,
    summarized_campaigns,
    tracking_row,
)
from constantcontact_emulator.routing import api_route, emulator
from constantcontact_emulator.state import EmulatorState

SCOPE = "campaign_data"
MAX_CAMPAIGN_IDS = 150
MAX_ACTIVITY_IDS = 10
NOT_FOUND_KEY = "reportingsvc.not_found"


async def campaign_summaries(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    page = page_request(request, "email_campaign_summaries")
    sent = summarized_campaigns(state)
    chunk, links = paginate(
        page,
        sent,
        path="/v3/reports/summary_reports/email_campaign_summaries",
        cursor_mode=state.config.cursor_mode,
        keys=[(-when, -campaign.seq) for campaign, when in sent],
    )
    summaries = [campaign_summary(state, campaign, when) for campaign, when in chunk]
    body = {
        "bulk_email_campaign_summaries": summaries,
        "aggregate_percents": aggregate_percents(summaries),
    }
    return json_response(with_links(body, links))


def _path_ids(request: Request, name: str, maximum: int) -> list[str]:
    ids = list(dict.fromkeys(parse_csv(request.path_params[name])))
    if not ids:
        raise errors.bad_request(f"Invalid path parameter '{name}': at least one id is required.")
    if len(ids) > maximum:
        raise errors.bad_request(
            f"Invalid path parameter '{name}': at most {maximum} ids, got {len(ids)}."
        )
    return ids


async def campaign_stats(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    ids = _path_ids(request, "campaign_ids", MAX_CAMPAIGN_IDS)
    unknown = [i for i in ids if not is_uuid(i) or i not in state.campaigns]
    if unknown:
        raise errors.ApiError(
            404,
            f"{NOT_FOUND_KEY}.invalid_path_param.campaign_ids",
            f"Could not find the email campaign(s) {', '.join(unknown)}.",
        )
    results, problems = [], []
    for campaign_id in ids:
        campaign = state.campaigns[campaign_id]
        sent = campaign_last_sent(state, campaign)
        if sent is None:
            problems.append(_no_stats("campaign", campaign_id))
            continue
        engagement = campaign_engagement(state, campaign)
        results.append(
            {
                "campaign_id": campaign_id,
                "stats": engagement.stats(activity_level=False),
                "percents": engagement.percents(),
                "last_refresh_time": refresh_time(engagement, sent),
            }
        )
    return json_response(_stats_body(results, problems))


async def activity_stats(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    ids = _path_ids(request, "campaign_activity_ids", MAX_ACTIVITY_IDS)
    malformed = [i for i in ids if not is_uuid(i)]
    if malformed:
        raise errors.ApiError(
            404,
            f"{NOT_FOUND_KEY}.invalid_path_param.campaign_activity_ids",
            f"Malformed campaign activity id(s): {', '.join(malformed)}.",
        )
    results, problems = [], []
    for activity_id in ids:
        activity = state.campaign_activities.get(activity_id)
        sent = last_sent(activity) if activity is not None else None
        if (
            activity is None
            or activity.current_status == "REMOVED"
            or activity.role not in REPORTED_ROLES
            or sent is None
        ):
            problems.append(_no_stats("campaign activity", activity_id))
            continue
        engagement = activity_engagement(state, activity_id)
        results.append(
            {
                "campaign_id": activity.campaign_id,
                "campaign_activity_id": activity_id,
                "stats": engagement.stats(activity_level=True),
                "last_refresh_time": refresh_time(engagement, sent),
            }
        )
    return json_response(_stats_body(results, problems))


def _no_stats(what: str, ident: str) -> dict[str, str]:
    return {
        "error_key": f"{NOT_FOUND_KEY}.no_stats",
        "error_message": f"Could not find any stats for the {what} {ident}.",
    }


def _stats_body(results: list[dict[str, Any]], problems: list[dict[str, str]]) -> dict[str, Any]:
    body: dict[str, Any] = {"results": results}
    if problems:
        body["errors"] = problems
    return body


def tracking_endpoint(report: str) -> Callable[[Request], Awaitable[Response]]:
    row_type = REPORTS[report]
    path_tail = f"tracking/{report}"

    async def endpoint(request: Request) -> Response:
        state: EmulatorState = emulator(request).state
        page = page_request(request, "tracking")
        activity_id = request.path_params["campaign_activity_id"]
        get_activity(state, activity_id)
        url_id = _url_id(page.params.get("url_id")) if report == "clicks" else None
        codes = _bounce_codes(page.params.getlist("bounce_code")) if report == "bounces" else []
        events = report_events(state, activity_id, report, url_id=url_id, bounce_codes=codes)
        chunk, links = paginate(
            page,
            events,
            path=f"/v3/reports/email_reports/{activity_id}/{path_tail}",
            cursor_mode=state.config.cursor_mode,
            keys=[(-e.created_time, -e.seq) for e in events],
        )
        rows = [tracking_row(state, activity_id, event, row_type) for event in chunk]
        # `_links` is always present, `{}` on the last page: the spec requires it for optouts
        # and bounces, and `{}` is one of the real API's last-page forms.
        return json_response({"tracking_activities": rows, "_links": links or {}})

    endpoint.__name__ = f"tracking_{report}"
    return endpoint


def _url_id(raw: str | None) -> str | None:
    if raw is None or raw == "":
        return None
    if not raw.isdigit():
        raise errors.invalid_param("url_id", raw, "must be an integer link id")
    return str(int(raw))


def _bounce_codes(raw: list[str]) -> list[str]:
    codes = [code for value in raw for code in parse_csv(value)]
    for code in codes:
        if code not in BOUNCE_CODES:
            raise errors.invalid_param(
                "bounce_code", code, f"must be one of {', '.join(BOUNCE_CODES)}"
            )
    return codes


async def link_report(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    activity_id = request.path_params["campaign_activity_id"]
    get_activity(state, activity_id)
    no_clicks = parse_bool("no_clicks", request.query_params.get("no_clicks"))
    return json_response(
        {
            "campaign_activity_id": activity_id,
            "link_click_counts": link_click_counts(state, activity_id, no_clicks=no_clicks),
        }
    )


def export_summaries(state: EmulatorState) -> list[dict[str, Any]]:
    """Every summary the summaries report lists, in its order, unpaged."""
    return [campaign_summary(state, c, when) for c, when in summarized_campaigns(state)]


routes = [
    api_route(
        "/reports/summary_reports/email_campaign_summaries",
        campaign_summaries,
        ["GET"],
        scope=SCOPE,
    ),
    api_route(
        "/reports/stats/email_campaigns/{campaign_ids}", campaign_stats, ["GET"], scope=SCOPE
    ),
    api_route(
        "/reports/stats/email_campaign_activities/{campaign_activity_ids}",
        activity_stats,
        ["GET"],
        scope=SCOPE,
    ),
    api_route(
        "/reports/email_reports/{campaign_activity_id}/links", link_report, ["GET"], scope=SCOPE
    ),
    *(
        api_route(
            f"/reports/email_reports/{{campaign_activity_id}}/tracking/{report}",
            tracking_endpoint(report),
            ["GET"],
            scope=SCOPE,
        )
        for report in REPORTS
    ),
]

EXTENSION = Extension(
    name="reports",
    routes=routes,
    exporters={"campaign_summaries": export_summaries},
)
