"""The tap's streams."""

from __future__ import annotations

from tap_constantcontact.streams.account import (
    ACCOUNT_STREAMS,
    ContactListsStream,
    ContactTagsStream,
    CustomFieldsStream,
    SegmentsStream,
)
from tap_constantcontact.streams.contacts import ContactsStream

STREAM_TYPES = (ContactsStream, *ACCOUNT_STREAMS)

__all__ = [
    "STREAM_TYPES",
    "ContactListsStream",
    "ContactTagsStream",
    "ContactsStream",
    "CustomFieldsStream",
    "SegmentsStream",
]
