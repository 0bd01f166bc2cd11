"""The tap's streams."""

from __future__ import annotations

from tap_constantcontact.streams.account import (
    ACCOUNT_STREAMS,
    ContactListsStream,
    ContactTagsStream,
    CustomFieldsStream,
    SegmentsStream,
)
from tap_constantcontact.streams.campaigns import (
    CAMPAIGN_STREAMS,
    CampaignActivitiesStream,
    CampaignsStream,
    CampaignSummariesStream,
)
from tap_constantcontact.streams.contacts import ContactsStream
from tap_constantcontact.streams.tracking import TRACKING_STREAMS, TrackingStream

#: The built-in streams, in sync order (`change_events` and `poll_resources` streams are
#: added by the tap).
STREAM_TYPES = (ContactsStream, *ACCOUNT_STREAMS, *CAMPAIGN_STREAMS, *TRACKING_STREAMS)

__all__ = [
    "STREAM_TYPES",
    "CampaignActivitiesStream",
    "CampaignSummariesStream",
    "CampaignsStream",
    "ContactListsStream",
    "ContactTagsStream",
    "ContactsStream",
    "CustomFieldsStream",
    "SegmentsStream",
    "TrackingStream",
]
