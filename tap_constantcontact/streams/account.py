"""Account definitions: contact lists, tags, custom fields and segments.

All four are FULL_TABLE, decided per endpoint:

- `contact_lists`: the API cannot filter lists by date, and `membership_count` changes
  without moving the list's `updated_at`, so an incremental read would keep stale counts.
  `status=all` brings deleted lists (flagged `_sdc_deleted_at`); one call per 500 lists.
- `contact_tags`: no date filter either, and `contacts_count` (`include_count=true`) changes
  without `updated_at`. Deleted tags disappear; ACTIVATE_VERSION lets a target drop them.
- `custom_fields`: at most 100 per account, one call; served from the definitions the
  `contacts` stream reads anyway for its `cf_` columns, so a run reads them once.
- `segments`: no date filter, deleted segments disappear from the list, and an account has
  few; one call (`limit=1000`). `segment_criteria` would cost one call per segment and is
  not extracted.
"""

from __future__ import annotations

import copy
import typing as t

from constantcontact_client.timestamps import (
    format_datetime,
    normalize_date,
    parse_datetime,
    parse_optional,
)
from tap_constantcontact.client import ConstantContactStream
from tap_constantcontact.events import Change, latest

if t.TYPE_CHECKING:
    import datetime as dt

    from singer_sdk.helpers.types import Context

#: The run start of the last complete `contact_lists` read: lists are read whole every run,
#: so `change_events` reports only the lists changed since then (minus the lookback).
CHANGES_SEEN_UNTIL = "changes_seen_until"


class ContactListsStream(ConstantContactStream):
    """Contact lists, deleted ones included, with their membership counts."""

    name = "contact_lists"
    path = "/contact_lists"
    primary_keys = ("list_id",)
    records_key = "lists"
    max_page_size = 500  # the schema says 1,000, the description 500: the safe one
    change_object_type = "contact_lists"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._changes_since: dt.datetime | None = None

    def query_params(self, context: Context | None) -> dict[str, t.Any]:
        """Deleted lists too, with every member counted."""
        return {"status": "all", "include_membership_count": "all"}

    def read_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Every list; afterwards, remember the run start for the next run's change events."""
        state = self.get_context_state(context)
        seen_until = state.get(CHANGES_SEEN_UNTIL)
        self._changes_since = (
            parse_datetime(seen_until) - self.settings.lookback
            if seen_until
            else self.settings.start_date
        )
        yield from super().read_records(context)
        state[CHANGES_SEEN_UNTIL] = format_datetime(self.tap.run_start)

    def detect_change(self, record: dict[str, t.Any]) -> Change | None:
        """Lists changed (or deleted) since the last complete read, minus the lookback."""
        change = Change(
            object_id=record["list_id"],
            created_at=parse_optional(record.get("created_at")),
            changed_at=parse_optional(record.get("updated_at")),
            deleted_at=parse_optional(record.get("_sdc_deleted_at")),
        )
        moment = latest(change.changed_at, change.deleted_at, change.created_at)
        if self._changes_since is not None and (moment is None or moment < self._changes_since):
            return None
        return change

    def normalize_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """UTC timestamps; `_sdc_deleted_at` from `deleted_at`."""
        record.setdefault("deleted_at", None)
        self.normalize_timestamps(record, record, "created_at", "updated_at", "deleted_at")
        record["_sdc_deleted_at"] = record["deleted_at"]
        return record


class ContactTagsStream(ConstantContactStream):
    """Tags with the number of contacts carrying each."""

    name = "contact_tags"
    path = "/contact_tags"
    primary_keys = ("tag_id",)
    records_key = "tags"
    max_page_size = 500

    def query_params(self, context: Context | None) -> dict[str, t.Any]:
        """With `contacts_count`."""
        return {"include_count": "true"}

    def normalize_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """UTC timestamps."""
        self.normalize_timestamps(record, record, "created_at", "updated_at")
        return record


class CustomFieldsStream(ConstantContactStream):
    """Custom field definitions, with their choices."""

    name = "custom_fields"
    path = "/contact_custom_fields"
    primary_keys = ("custom_field_id",)
    records_key = "custom_fields"
    max_page_size = 100

    def read_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """The definitions the tap reads once per run (they also type the `cf_` columns)."""
        for definition in self.tap.custom_field_definitions:
            yield copy.deepcopy(definition)

    def normalize_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """UTC timestamps, choices included."""
        self.normalize_timestamps(record, record, "created_at", "updated_at")
        for choice in record.get("choices") or ():
            self.normalize_timestamps(record, choice, "created_at", "updated_at")
            if choice.get("deleted_at"):
                choice["deleted_at"] = normalize_date(choice["deleted_at"])
        return record


class SegmentsStream(ConstantContactStream):
    """Segments (names and dates; deleted segments are not listed by the API)."""

    name = "segments"
    path = "/segments"
    primary_keys = ("segment_id",)
    records_key = "segments"
    max_page_size = 1000

    @property
    def page_size(self) -> int:
        """Segments are few: one call of up to 1,000, whatever `page_size` says."""
        return self.max_page_size

    def query_params(self, context: Context | None) -> dict[str, t.Any]:
        """Most recently edited first."""
        return {"sort_by": "date"}

    def normalize_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """UTC timestamps."""
        self.normalize_timestamps(record, record, "created_at", "edited_at")
        return record


ACCOUNT_STREAMS: tuple[type[ConstantContactStream], ...] = (
    ContactListsStream,
    ContactTagsStream,
    CustomFieldsStream,
    SegmentsStream,
)
