"""What the campaign streams should emit, computed from the emulator's exports.

The oracle works from `/_emulator/export/...` (the emulator's stored state), not from the API
the tap reads, and shares no code with the tap.
"""

from __future__ import annotations

import datetime as dt
import typing as t

from tap_harness import canonical

if t.TYPE_CHECKING:
    from constantcontact_emulator.testing import EmulatorProcess

TRACKED_ROLES = ("primary_email", "resend")
# tracking_activity_type of the export -> the tap stream
STREAM_OF_TYPE = {
    "em_sends": "campaign_tracking_sends",
    "em_opens": "campaign_tracking_opens",
    "em_clicks": "campaign_tracking_clicks",
    "em_bounces": "campaign_tracking_bounces",
    "em_optouts": "campaign_tracking_optouts",
    "em_forwards": "campaign_tracking_forwards",
    "em_didnotopens": "campaign_tracking_didnotopens",
}
TRACKING_STREAMS = (*STREAM_OF_TYPE.values(), "campaign_tracking_unique_opens")
# The columns of each tracking stream besides the common ones (null when the API omits them).
OWN_FIELDS = {
    "campaign_tracking_opens": ("device_type",),
    "campaign_tracking_unique_opens": ("device_type",),
    "campaign_tracking_clicks": ("device_type", "url_id", "link_url"),
    "campaign_tracking_optouts": ("opt_out_reason",),
    "campaign_tracking_bounces": ("bounce_code", "current_email_address"),
}
COMMON_FIELDS = (
    "contact_id",
    "campaign_activity_id",
    "tracking_activity_type",
    "email_address",
    "first_name",
    "last_name",
    "created_time",
    "deleted_at",
    "campaign_id",
)


def parse(value: str) -> dt.datetime:
    return t.cast("dt.datetime", canonical(value))


def expected_campaign(campaign: dict[str, t.Any]) -> dict[str, t.Any]:
    """A `campaigns` record: the list item of the campaign (no activity references)."""
    record = {key: value for key, value in campaign.items() if key != "campaign_activities"}
    removed = campaign["current_status"] == "Removed"
    record["_sdc_deleted_at"] = campaign["updated_at"] if removed else None
    return record


def expected_activities(
    campaign: dict[str, t.Any],
    activities_by_id: dict[str, dict[str, t.Any]],
    includes: t.Collection[str],
) -> list[dict[str, t.Any]]:
    """The `campaign_activities` records of one emitted campaign."""
    records = []
    for reference in campaign["campaign_activities"]:
        activity = activities_by_id[reference["campaign_activity_id"]]
        if activity["current_status"] == "REMOVED":
            record = {
                "campaign_activity_id": activity["campaign_activity_id"],
                "campaign_id": campaign["campaign_id"],
                "role": reference["role"],
                "current_status": "REMOVED",
                "_sdc_deleted_at": campaign["updated_at"],
            }
        else:
            record = {k: v for k, v in activity.items() if k != "send_history"}
            for part in ("physical_address_in_footer", "permalink_url", "html_content"):
                if part not in includes:
                    record.pop(part, None)
            if "document_properties" not in includes:
                record.pop("document_properties", None)
            record["_sdc_deleted_at"] = None
        record["campaign_updated_at"] = campaign["updated_at"]
        records.append(record)
    return records


def tracked_activities(
    emulator: EmulatorProcess, since: dt.datetime | None = None
) -> dict[str, str]:
    """activity id -> campaign id, for the activities the tracking streams poll: those of
    campaigns that are neither Draft nor Removed, changed since `since`."""
    tracked = {}
    for campaign in emulator.export("campaigns"):
        if campaign["current_status"] in ("Draft", "Removed"):
            continue
        if since is not None and parse(campaign["updated_at"]) < since:
            continue
        for reference in campaign["campaign_activities"]:
            if reference["role"] in TRACKED_ROLES:
                tracked[reference["campaign_activity_id"]] = campaign["campaign_id"]
    return tracked


def _tracking_record(stream: str, row: dict[str, t.Any], campaign_id: str) -> dict[str, t.Any]:
    record = {name: row.get(name) for name in (*COMMON_FIELDS, *OWN_FIELDS.get(stream, ()))}
    record["campaign_id"] = campaign_id
    return record


def expected_tracking(
    emulator: EmulatorProcess, tracked: dict[str, str]
) -> dict[str, list[dict[str, t.Any]]]:
    """Every tracking stream's records (without `tracking_event_id`) for the tracked
    activities, from the emulator's stored events."""
    rows = emulator.export("tracking")
    expected: dict[str, list[dict[str, t.Any]]] = {stream: [] for stream in TRACKING_STREAMS}
    latest_open: dict[tuple[str, str], dict[str, t.Any]] = {}
    for row in rows:
        activity_id = row["campaign_activity_id"]
        if activity_id not in tracked:
            continue
        stream = STREAM_OF_TYPE[row["tracking_activity_type"]]
        expected[stream].append(_tracking_record(stream, row, tracked[activity_id]))
        if row["tracking_activity_type"] == "em_opens":
            key = (activity_id, row["contact_id"])
            if key not in latest_open or parse(row["created_time"]) >= parse(
                latest_open[key]["created_time"]
            ):
                latest_open[key] = row
    expected["campaign_tracking_unique_opens"] = [
        _tracking_record(
            "campaign_tracking_unique_opens", row, tracked[row["campaign_activity_id"]]
        )
        for row in latest_open.values()
    ]
    return expected


def without_event_id(records: list[dict[str, t.Any]]) -> list[dict[str, t.Any]]:
    return [{k: v for k, v in record.items() if k != "tracking_event_id"} for record in records]


def as_multiset(records: list[dict[str, t.Any]]) -> list[str]:
    """Records as sorted canonical strings: compares lists of records whatever their order."""
    return sorted(repr(sorted(canonical(record).items())) for record in records)
