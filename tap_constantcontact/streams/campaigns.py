"""Email campaigns, their activities and their summary report.

- `campaigns` (`GET /emails`): incremental on `updated_at` with the contacts' window
  discipline (`after_date` = bookmark - lookback, `before_date` = the frozen run start).
  The API lists every campaign, Removed ones included (`_sdc_deleted_at` set), newest first,
  so the stream is unsorted: the bookmark moves only when the window is read completely.
  Pages are cut by time, not by cursor: a window of more than one page is read in time
  slices that each fit in one page (`time_slices.py`, shared with the tracking index), so a
  campaign edited during the run cannot shift an offset cursor and hide another one.
- `campaign_activities` (`GET /emails/activities/{id}`): a child of `campaigns`, for the
  campaigns emitted this run: one `GET /emails/{campaign_id}` for the activity ids (shared
  with the tracking streams), then one call per activity. Removed campaigns' activities
  answer 404; they are emitted as REMOVED with `_sdc_deleted_at` and no further call.
- `campaign_summaries` (`GET /reports/summary_reports/email_campaign_summaries`): full table
  (no date filter; counts change after every send), one call per 500 sent campaigns.
"""

from __future__ import annotations

import copy
import typing as t
from functools import cached_property

from constantcontact_client.errors import NotFoundError
from constantcontact_client.timestamps import parse_optional
from tap_constantcontact.campaign_index import CAMPAIGNS_PAGE_SIZE, changed_campaigns
from tap_constantcontact.client import SCHEMAS, ConstantContactStream
from tap_constantcontact.events import Change
from tap_constantcontact.settings import ACTIVITY_INCLUDES

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

REMOVED = "Removed"


class CampaignsStream(ConstantContactStream):
    """Email campaigns, Removed ones included, incremental on `updated_at`."""

    name = "campaigns"
    path = "/emails"
    primary_keys = ("campaign_id",)
    replication_key = "updated_at"
    records_key = "campaigns"
    max_page_size = CAMPAIGNS_PAGE_SIZE
    required_scope = "campaign_data"
    change_object_type = "campaigns"

    def read_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Every campaign changed in the window, once."""
        count = 0
        for campaign in changed_campaigns(self, self.start_window(context), self.page_size):
            count += 1
            yield campaign
        self.logger.info("campaigns: %d campaigns emitted", count)

    def normalize_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """UTC timestamps; `_sdc_deleted_at` for Removed campaigns."""
        self.normalize_timestamps(record, record, "created_at", "updated_at")
        removed = record.get("current_status") == REMOVED
        record["_sdc_deleted_at"] = record.get("updated_at") if removed else None
        return record

    def detect_change(self, record: dict[str, t.Any]) -> Change | None:
        """Created, updated, or deleted (Removed)."""
        return Change(
            object_id=record["campaign_id"],
            created_at=parse_optional(record.get("created_at")),
            changed_at=parse_optional(record.get("updated_at")),
            deleted_at=parse_optional(record.get("_sdc_deleted_at")),
        )

    def get_child_context(
        self,
        record: dict[str, t.Any],
        context: Context | None,
    ) -> dict[str, t.Any]:
        """The campaign, its status and its change time, for `campaign_activities`."""
        return {
            "campaign_id": record["campaign_id"],
            "campaign_status": record.get("current_status"),
            "campaign_updated_at": record.get("updated_at"),
        }


class CampaignActivitiesStream(ConstantContactStream):
    """The activities (primary email, permalink, resends) of the campaigns emitted this run."""

    name = "campaign_activities"
    path = "/emails/activities/{campaign_activity_id}"
    parent_stream_type = CampaignsStream
    primary_keys = ("campaign_activity_id",)
    replication_key = "campaign_updated_at"
    state_partitioning_keys = ()  # one flat bookmark, not one per campaign
    required_scope = "campaign_data"

    @cached_property
    def schema(self) -> dict[str, t.Any]:  # type: ignore[override]
        """`EmailCampaignActivity` with the parts `campaign_activities_include` asks for."""
        schema = copy.deepcopy(SCHEMAS.get_schema("campaign_activities"))
        for part in ACTIVITY_INCLUDES:
            if part not in self.settings.campaign_activities_include:
                del schema["properties"][part]  # not requested, so never in a record
        return schema

    def read_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """One call per activity; REMOVED ones (404) as tombstones."""
        if not context:
            return
        campaign_id = context["campaign_id"]
        detail = self.tap.campaign_index.detail(campaign_id, self)
        removed = context.get("campaign_status") == REMOVED
        includes = ",".join(self.settings.campaign_activities_include)
        for reference in (detail or {}).get("campaign_activities") or []:
            activity_id = reference["campaign_activity_id"]
            activity = None
            if not removed:
                try:
                    activity = self.api_get(
                        f"/emails/activities/{activity_id}",
                        {"include": includes} if includes else None,
                    )
                except NotFoundError:
                    activity = None
            if not isinstance(activity, dict):
                activity = self._tombstone(reference, campaign_id, context)
            else:
                activity["_sdc_deleted_at"] = None
            activity["campaign_updated_at"] = context.get("campaign_updated_at")
            yield activity

    @staticmethod
    def _tombstone(
        reference: dict[str, t.Any],
        campaign_id: str,
        context: Context,
    ) -> dict[str, t.Any]:
        """A removed activity: the API answers 404, so only its ids and role are known."""
        return {
            "campaign_activity_id": reference["campaign_activity_id"],
            "campaign_id": campaign_id,
            "role": reference.get("role"),
            "current_status": "REMOVED",
            "_sdc_deleted_at": context.get("campaign_updated_at"),
        }


class CampaignSummariesStream(ConstantContactStream):
    """Unique send, open, click, forward, opt-out, abuse and bounce counts per sent campaign."""

    name = "campaign_summaries"
    path = "/reports/summary_reports/email_campaign_summaries"
    primary_keys = ("campaign_id",)
    records_key = "bulk_email_campaign_summaries"
    max_page_size = 500
    required_scope = "campaign_data"

    def normalize_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """UTC timestamps."""
        self.normalize_timestamps(record, record, "last_sent_date")
        return record


CAMPAIGN_STREAMS: tuple[type[ConstantContactStream], ...] = (
    CampaignsStream,
    CampaignActivitiesStream,
    CampaignSummariesStream,
)
