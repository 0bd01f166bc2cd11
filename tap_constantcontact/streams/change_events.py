"""`change_events`: the normalized CREATED / UPDATED / DELETED events of this run.

Sources: `contacts`, `campaigns`, `contact_lists` and every `poll_resources` stream. Detection
makes no API call: each source stream hands over the records it emits, and the event is
written right after its record (`ConstantContactStream.get_records`), in the same run.

Why right after, rather than buffered until this stream's turn at the end: a source's
bookmark moves when that source completes. If the events waited for the end of the run, a
failure in a later stream would leave the source's bookmark advanced and its events never
written. Written inline, an event always precedes the bookmark that covers it; a rerun reads
the same records again and writes the same `event_id`s, which a target upserting on
`event_id` keeps once. It also keeps memory flat however large the initial sync.

A source that is not selected is not read for events (its bookmark would not move, so every
run would re-read it whole): `change_events` covers the selected sources, and the run logs
which ones it left out. To get events without a source's own records, select the source and
drop its records with a stream map (`"stream_maps": {"contacts": null}`): the source is read
and its bookmark moves; only its RECORD messages are dropped.

The stream itself runs last and only closes the bookmark on `event_date` (it reads nothing).
"""

from __future__ import annotations

import typing as t
from collections import Counter

from singer_sdk import Stream

from constantcontact_client.timestamps import format_datetime
from tap_constantcontact.events import EVENT_TYPES, build_event

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

    from tap_constantcontact.events import Change
    from tap_constantcontact.tap import TapConstantContact

SCHEMA: dict[str, t.Any] = {
    "type": "object",
    "properties": {
        "event_id": {
            "type": "string",
            "description": (
                "Stable id of the event: a UUID (version 5) of object_type, object_id, "
                "event_type and event_date. Reading the same change again gives the same id."
            ),
        },
        "object_type": {
            "type": "string",
            "description": "The source: contacts, campaigns, contact_lists or a poll resource.",
        },
        "object_id": {"type": "string", "description": "The id of the changed object."},
        "event_type": {"type": "string", "enum": list(EVENT_TYPES)},
        "event_date": {
            "type": "string",
            "format": "date-time",
            "description": (
                "When the change happened (UTC): the deletion, the creation, or the last "
                "update (for contacts, the later of `updated_at` and the opt-out)."
            ),
        },
        "detected_at": {
            "type": "string",
            "format": "date-time",
            "description": "The start of the run that detected the change (UTC).",
        },
        "record": {
            "type": "object",
            "description": "The changed object, as its stream emitted it.",
        },
    },
}


class ChangeEventsStream(Stream):
    """Normalized change events of the selected source streams."""

    name = "change_events"
    primary_keys = ("event_id",)
    replication_key = "event_date"
    is_sorted = False

    def __init__(self, tap: TapConstantContact, **kwargs: t.Any) -> None:
        super().__init__(tap=tap, schema=SCHEMA, **kwargs)
        self._tap_constantcontact = tap
        self._schema_sent = False
        self.counts: Counter[tuple[str, str]] = Counter()

    def publish(self, object_type: str, change: Change, record: dict[str, t.Any]) -> None:
        """Write the event of one change a source stream just emitted."""
        tap = self._tap_constantcontact
        event = build_event(
            object_type,
            change,
            record,
            tolerance=tap.tap_settings.created_check_tolerance,
            detected_at=format_datetime(tap.run_start),
        )
        if event is None:
            return
        if not self._schema_sent:
            # The SDK writes a stream's messages only from its own sync; this stream's
            # records come from the sources' syncs, so it writes its SCHEMA itself, once.
            self._write_schema_message()
            self._schema_sent = True
        self._write_record_message(event)
        self._increment_stream_state(event)
        self.counts[object_type, event["event_type"]] += 1

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Nothing left to read: the events were written with their sources' records."""
        tap = self._tap_constantcontact
        by_type: dict[str, list[str]] = {}
        for (object_type, event_type), count in sorted(self.counts.items()):
            by_type.setdefault(object_type, []).append(f"{event_type} {count}")
        detail = "; ".join(f"{name}: {', '.join(parts)}" for name, parts in by_type.items())
        self.logger.info(
            "change_events: %d events written%s",
            sum(self.counts.values()),
            f" ({detail})" if detail else "",
        )
        if left_out := tap.unselected_change_sources():
            self.logger.warning(
                "change_events: no events for %s: not selected in this run",
                ", ".join(left_out),
            )
        return iter(())

    def get_replication_key_signpost(self, context: Context | None = None) -> str:
        """The run start: the bookmark never passes it."""
        return format_datetime(self._tap_constantcontact.run_start)
