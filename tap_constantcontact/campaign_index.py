"""The campaigns of one run, read once and shared by the campaign streams.

- `detail(campaign_id)`: `GET /emails/{campaign_id}` (the campaign with its activity ids and
  roles), at most once per campaign per run, whether `campaign_activities`, the tracking
  streams or both need it.
- `tracked_activities()`: the activities the tracking streams poll this run. They are the
  `primary_email` and `resend` activities (a `permalink` has no tracking) of the campaigns
  that changed in the tracking window `[run start - tracking_lookback_days, run start)`,
  read with one `GET /emails?after_date=` per 500 campaigns. Sending a campaign moves its
  `updated_at`, so every campaign sent in the window is there. Removed campaigns are left
  out (their activities answer 404), and so are Drafts (never sent).
- `changed_campaigns(stream, window)`: `GET /emails` for a window, read in time slices that
  each fit in one page (`time_slices.py`), so a campaign edited during the run cannot shift
  an offset cursor and hide another one; used by `campaigns` and by the tracking index.

Cost per run: about 1 call per 300 campaigns changed in the tracking window (1 when they fit
in a page), plus 1 per such campaign (shared with `campaign_activities`).
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from constantcontact_client.errors import NotFoundError
from constantcontact_client.timestamps import format_datetime, parse_datetime
from tap_constantcontact.dedupe import SeenIds
from tap_constantcontact.window import SyncWindow

if t.TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterator

    from tap_constantcontact.client import ConstantContactStream

TRACKED_ROLES = ("primary_email", "resend")
NOT_TRACKED_STATUSES = ("Draft", "Removed")
#: The largest page of `GET /emails` (the schema has no maximum; the description says 500).
CAMPAIGNS_PAGE_SIZE = 500


def changed_campaigns(
    stream: ConstantContactStream, window: SyncWindow, page_size: int = CAMPAIGNS_PAGE_SIZE
) -> Iterator[dict[str, t.Any]]:
    """The campaigns whose `updated_at` is in `window` (Removed ones included), each once.

    `after_date` and `before_date` both filter on `updated_at`.
    """

    def params(lower: dt.datetime | None, upper: dt.datetime) -> dict[str, t.Any]:
        bounds = SyncWindow(lower, upper).params("after_date", "before_date")
        return {"limit": page_size, **bounds}

    seen = SeenIds()
    for campaign in stream.read_window(
        window,
        params,
        _updated_at,
        path="/emails",
        records_key="campaigns",
        page_size=page_size,
    ):
        if seen.first_time(campaign.get("campaign_id")):
            yield campaign


def _updated_at(campaign: dict[str, t.Any]) -> dt.datetime | None:
    try:
        return parse_datetime(str(campaign["updated_at"]))
    except (KeyError, ValueError):
        return None  # the campaigns stream reports it with the campaign's id


@dataclass(frozen=True, slots=True)
class TrackedActivity:
    """A campaign activity whose tracking reports this run reads."""

    campaign_activity_id: str
    campaign_id: str
    role: str
    campaign_updated_at: str | None = None


class CampaignIndex:
    """Campaign details and tracked activities, read once per run."""

    def __init__(self, *, tracking_lower: dt.datetime, run_start: dt.datetime) -> None:
        self.tracking_lower = tracking_lower
        self.run_start = run_start
        self._details: dict[str, dict[str, t.Any] | None] = {}
        self._tracked: dict[str, TrackedActivity] | None = None  # by campaign_activity_id
        self.campaign_of: dict[str, str] = {}  # campaign_activity_id -> campaign_id

    def detail(self, campaign_id: str, stream: ConstantContactStream) -> dict[str, t.Any] | None:
        """The campaign with its `campaign_activities`; None if it no longer exists."""
        if campaign_id not in self._details:
            try:
                body = stream.api_get(f"/emails/{campaign_id}")
            except NotFoundError:
                body = None
            self._details[campaign_id] = body if isinstance(body, dict) else None
            for reference in (body or {}).get("campaign_activities") or []:
                self.campaign_of[reference["campaign_activity_id"]] = campaign_id
        return self._details[campaign_id]

    @property
    def has_tracked(self) -> bool:
        """True once the tracked activities were read."""
        return self._tracked is not None

    def tracked_activities(self, stream: ConstantContactStream) -> list[TrackedActivity]:
        """The activities to poll this run (read on first use)."""
        if self._tracked is None:
            self._tracked = self._read_tracked(stream)
        return list(self._tracked.values())

    def tracked(self, campaign_activity_id: str) -> TrackedActivity | None:
        """A tracked activity by id (after `tracked_activities`); None if not tracked."""
        return (self._tracked or {}).get(campaign_activity_id)

    def _read_tracked(self, stream: ConstantContactStream) -> dict[str, TrackedActivity]:
        window = SyncWindow(lower=self.tracking_lower, upper=self.run_start)
        campaigns = list(changed_campaigns(stream, window))
        tracked: dict[str, TrackedActivity] = {}
        for campaign in campaigns:
            if campaign.get("current_status") in NOT_TRACKED_STATUSES:
                continue
            detail = self.detail(campaign["campaign_id"], stream)
            for reference in (detail or {}).get("campaign_activities") or []:
                if reference.get("role") in TRACKED_ROLES:
                    activity = TrackedActivity(
                        campaign_activity_id=reference["campaign_activity_id"],
                        campaign_id=campaign["campaign_id"],
                        role=reference["role"],
                        campaign_updated_at=campaign.get("updated_at"),
                    )
                    tracked.setdefault(activity.campaign_activity_id, activity)
        stream.logger.info(
            "%d campaigns changed since %s; %d of their activities have tracking to read",
            len(campaigns),
            format_datetime(self.tracking_lower),
            len(tracked),
        )
        return tracked
