"""Per-contact tracking events of campaign activities, one stream per report type.

`GET /reports/email_reports/{campaign_activity_id}/tracking/{report}` lists one activity's
events newest first, with no date filter. Each stream is partitioned by
`campaign_activity_id`, incremental on `created_time` per partition:

- which activities: those of the campaigns changed (hence sent) in the last
  `tracking_lookback_days` (`campaign_index.py`); older ones are not polled, so an old
  account does not spend its budget on dead campaigns, and their bookmarks leave the state;
- how far back: from the partition's bookmark minus `lookback_minutes`; a new activity at
  most `tracking_lookback_days` back (and not before `start_date`);
- paging stops at the first page that reaches events older than that, so a run costs one
  call per 500 *new* events per activity and report, plus one call per activity and report;
- events at or after the run start wait for the next run (the frozen upper bound);
- `sends` and `didnotopens` rows are written by the send itself, and a send moves the
  campaign's `updated_at`: their partitions are read again only when the campaign changed
  since the last read (a large send's tail would otherwise be re-read every run).

The API has no event id. `tracking_event_id` is a UUID (version 5) of the activity, the
report, the contact and the fields that tell two events of one contact apart (the table in
`KEY_FIELDS`), plus a repeat number for identical rows on one page (a double click in the
same second). The same row on two pages is one event read twice (new events pushed the
report down while it was paged) and is emitted once. `unique_opens` and `didnotopens` hold
one row per contact and activity, so their key leaves the time out: a newer open replaces
the row.
"""

from __future__ import annotations

import copy
import typing as t
import uuid
from collections import Counter
from functools import cached_property

from constantcontact_client.errors import RunBudgetExceededError
from constantcontact_client.timestamps import format_datetime, normalize_date, parse_datetime
from tap_constantcontact.client import SCHEMAS, ConstantContactStream
from tap_constantcontact.dedupe import SeenIds
from tap_constantcontact.events import stable_uuid
from tap_constantcontact.pagination import NextLinkPaginator
from tap_constantcontact.responses import InvalidResponseError, decoded_body
from tap_constantcontact.window import SyncWindow

if t.TYPE_CHECKING:
    import datetime as dt

    import requests
    from singer_sdk.helpers.types import Context

TRACKING_NAMESPACE = uuid.UUID("9d1b6f0e-3c2a-5e8f-b4d7-1a6c5e0f2b93")
#: Fields besides (activity, report, contact) that make an event's key.
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "sends": ("created_time",),
    "opens": ("created_time", "device_type"),
    "unique_opens": (),
    "clicks": ("created_time", "url_id", "device_type"),
    "forwards": ("created_time",),
    "optouts": ("created_time",),
    "bounces": ("created_time", "bounce_code"),
    "didnotopens": (),
}
#: The fields only some reports have (every other field is in every report).
REPORT_FIELDS: dict[str, tuple[str, ...]] = {
    "sends": (),
    "opens": ("device_type",),
    "unique_opens": ("device_type",),
    "clicks": ("device_type", "url_id", "link_url"),
    "forwards": (),
    "optouts": ("opt_out_reason",),
    "bounces": ("bounce_code", "current_email_address"),
    "didnotopens": (),
}
#: Partition state: the campaign's `updated_at` when the report was last read.
CAMPAIGN_MARK = "campaign_updated_at"
_REPORT_ONLY = frozenset(name for names in REPORT_FIELDS.values() for name in names)


class TrackingPaginator(NextLinkPaginator):
    """Next links until a page reaches events older than `stop_before`."""

    def __init__(self, stop_before: dt.datetime | None) -> None:
        super().__init__()
        self.stop_before = stop_before

    def has_more(self, response: requests.Response) -> bool:
        """No further page once this one went past the window's lower bound."""
        if not super().has_more(response):
            return False
        if self.stop_before is None:
            return True
        rows = (decoded_body(response) or {}).get("tracking_activities") or []
        for row in rows:
            try:
                if parse_datetime(str(row.get("created_time"))) < self.stop_before:
                    return False
            except ValueError:
                continue  # the stream reports it
        return True


class TrackingStream(ConstantContactStream):
    """One tracking report of every tracked campaign activity."""

    report: t.ClassVar[str]
    #: Rows written by the send itself (sends, did-not-opens): none appear after it ends.
    written_by_send: t.ClassVar[bool] = False
    primary_keys = ("tracking_event_id",)
    replication_key = "created_time"
    records_key = "tracking_activities"
    max_page_size = 500
    required_scope = "campaign_data"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._stop_before: dt.datetime | None = None
        self._columns = tuple(self.schema["properties"])
        self._pages = 0

    def parse_response(self, response: requests.Response) -> t.Iterable[dict[str, t.Any]]:
        """The page's events; pages are counted to tell repeats from re-reads."""
        self._pages += 1
        return super().parse_response(response)

    @cached_property
    def schema(self) -> dict[str, t.Any]:  # type: ignore[override]
        """The fields every report has, plus this report's own."""
        schema = copy.deepcopy(SCHEMAS.get_schema("tracking"))
        own = REPORT_FIELDS[self.report]
        for name in _REPORT_ONLY.difference(own):
            del schema["properties"][name]
        return schema

    @property
    def partitions(self) -> list[dict[str, t.Any]] | None:
        """One partition per tracked activity (see `campaign_index.py`)."""
        index, budget = self.tap.campaign_index, self.tap.budget
        if budget.stopped and not index.has_tracked:
            return []
        try:
            activities = index.tracked_activities(self)
        except RunBudgetExceededError as exc:
            budget.stop(f"{self.name} (the campaigns to track)", exc)
            return []
        tracked = {a.campaign_activity_id for a in activities}
        # Activities that left the tracking window are not polled any more: drop their
        # bookmarks, so the state stays as small as the window.
        state = self.stream_state
        if "partitions" in state:
            state["partitions"] = [
                partition
                for partition in state["partitions"]
                if partition.get("context", {}).get("campaign_activity_id") in tracked
            ]
        return [{"campaign_activity_id": a.campaign_activity_id} for a in activities]

    def window(self, context: Context | None) -> SyncWindow:
        """From the bookmark minus the lookback; a new activity from at most
        `tracking_lookback_days` ago."""
        state = self.get_context_state(context)
        value = state.get("replication_key_value")
        if value and state.get("replication_key") == self.replication_key:
            return super().window(context)
        start = self.tap.tracking_lower
        if self.settings.start_date is not None and self.settings.start_date > start:
            start = self.settings.start_date
        return SyncWindow.for_run(run_start=self.tap.run_start, start_date=start)

    def get_new_paginator(self) -> TrackingPaginator:
        """Stop at the window's lower bound: the report is newest first."""
        return TrackingPaginator(self._stop_before)

    def read_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """The activity's events in the window, each once."""
        if not context:
            return
        activity_id = context["campaign_activity_id"]
        state = self.get_context_state(context)
        tracked = self.tap.campaign_index.tracked(activity_id)
        marker = tracked.campaign_updated_at if tracked else None
        if self.written_by_send and marker and state.get(CAMPAIGN_MARK) == marker:
            # A send moves its campaign's updated_at: unchanged since the last read, this
            # report has nothing new, and re-reading its lookback would cost a call per
            # 500 recipients every run.
            self.logger.debug("%s: %s unchanged since the last read", self.name, activity_id)
            return
        window = self.start_window(context)
        campaign_id = self.tap.campaign_index.campaign_of.get(activity_id)
        key_fields = KEY_FIELDS[self.report]
        self._stop_before = window.lower
        seen = SeenIds()
        page, on_page = -1, Counter[str]()
        for row in self.request_records(context):
            moment = self._created_time(row, activity_id)
            if not window.contains(moment):
                continue
            row["created_time"] = format_datetime(moment)
            row["deleted_at"] = normalize_date(row.get("deleted_at") or None)
            row["campaign_id"] = campaign_id
            parts = [activity_id, self.report, str(row.get("contact_id"))]
            parts += [str(row.get(name)) for name in key_fields]
            key = "\x1f".join(parts)
            # Identical rows on one page are distinct events (a double click); the same row
            # on two pages is one event read twice (the report moved while being paged).
            if page != self._pages:
                page, on_page = self._pages, Counter()
            repeat = on_page[key]
            on_page[key] += 1
            if repeat:
                key = f"{key}\x1f{repeat}"
            row["tracking_event_id"] = stable_uuid(TRACKING_NAMESPACE, key)
            if seen.first_time(row["tracking_event_id"]):
                for name in self._columns:  # every column in every record, null if absent
                    row.setdefault(name, None)
                yield row
        if marker:
            state[CAMPAIGN_MARK] = marker
        self.logger.info(
            "%s: %d events of activity %s in %s",
            self.name,
            len(seen),
            activity_id,
            window.describe(),
        )

    def _created_time(self, row: dict[str, t.Any], activity_id: str) -> dt.datetime:
        value = row.get("created_time")
        try:
            return parse_datetime(str(value))
        except ValueError:
            raise InvalidResponseError(
                f"{self.name} campaign_activity_id={activity_id} contact_id="
                f"{row.get('contact_id')}: created_time {value!r} is not an ISO-8601 date-time"
            ) from None


class TrackingSendsStream(TrackingStream):
    """Who each activity was sent to, and when."""

    name = "campaign_tracking_sends"
    report = "sends"
    written_by_send = True
    path = "/reports/email_reports/{campaign_activity_id}/tracking/sends"


class TrackingOpensStream(TrackingStream):
    """Every open, with the device type."""

    name = "campaign_tracking_opens"
    report = "opens"
    path = "/reports/email_reports/{campaign_activity_id}/tracking/opens"


class TrackingUniqueOpensStream(TrackingStream):
    """Each contact's latest open (`opens` has every open: deselect this one to save a call
    per activity and run)."""

    name = "campaign_tracking_unique_opens"
    report = "unique_opens"
    path = "/reports/email_reports/{campaign_activity_id}/tracking/unique_opens"


class TrackingClicksStream(TrackingStream):
    """Every click, with the link."""

    name = "campaign_tracking_clicks"
    report = "clicks"
    path = "/reports/email_reports/{campaign_activity_id}/tracking/clicks"


class TrackingBouncesStream(TrackingStream):
    """Bounces, with the bounce code."""

    name = "campaign_tracking_bounces"
    report = "bounces"
    path = "/reports/email_reports/{campaign_activity_id}/tracking/bounces"


class TrackingOptoutsStream(TrackingStream):
    """Unsubscribes from the activity, with the reason given."""

    name = "campaign_tracking_optouts"
    report = "optouts"
    path = "/reports/email_reports/{campaign_activity_id}/tracking/optouts"


class TrackingForwardsStream(TrackingStream):
    """Forwards to a friend."""

    name = "campaign_tracking_forwards"
    report = "forwards"
    path = "/reports/email_reports/{campaign_activity_id}/tracking/forwards"


class TrackingDidNotOpensStream(TrackingStream):
    """Recipients who had not opened when the report was read (`created_time`: the send)."""

    name = "campaign_tracking_didnotopens"
    report = "didnotopens"
    written_by_send = True
    path = "/reports/email_reports/{campaign_activity_id}/tracking/didnotopens"


TRACKING_STREAMS: tuple[type[TrackingStream], ...] = (
    TrackingSendsStream,
    TrackingOpensStream,
    TrackingUniqueOpensStream,
    TrackingClicksStream,
    TrackingBouncesStream,
    TrackingOptoutsStream,
    TrackingForwardsStream,
    TrackingDidNotOpensStream,
)
