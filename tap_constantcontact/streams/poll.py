"""Streams configured by `poll_resources` (see `poll_config.py`).

Each entry becomes an incremental stream on its `updated_date_field`, with the contacts'
window discipline: from the bookmark minus `lookback_minutes` (`date_filter_param`) to the
frozen run start (`upper_filter_param`, when the endpoint has one). The window is also
applied to every record client-side, so an endpoint without a date filter works too (read
whole every run, only the window's changes emitted), and so does a filter whose bounds are
inclusive. Records seen twice in a run are emitted once.

With both filter parameters the window is read in time slices that each fit in one page
(`time_slices.py`): a record changed during the run leaves the frozen window, and with an
offset cursor that would shift the later pages and hide a record that did not change. With
fewer filters the entry is paged by cursor, and that risk remains (docs/tap-streams.md).

Date fields are emitted in UTC RFC 3339, parsed with the entry's formats and time zone; a
value that does not parse is an error naming the stream, the record and the field.

The schema is the entry's `schema` when it declares one. Otherwise it is inferred (genson)
from one sample page at discovery: every type nullable, the date fields as date-times. The
catalog keeps it, so a sync with a catalog (as Meltano runs it) makes no sample call.
"""

from __future__ import annotations

import copy
import typing as t
from functools import cached_property

from genson import SchemaBuilder

from constantcontact_client.endpoints import required_scope
from constantcontact_client.timestamps import format_datetime, parse_optional
from tap_constantcontact.client import ConstantContactStream
from tap_constantcontact.date_formats import format_upper_bound, precision
from tap_constantcontact.dedupe import SeenIds
from tap_constantcontact.events import Change
from tap_constantcontact.responses import InvalidResponseError

if t.TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterator

    from singer_sdk.helpers.types import Context

    from tap_constantcontact.date_formats import DateFormat
    from tap_constantcontact.poll_config import PollResource
    from tap_constantcontact.tap import TapConstantContact
    from tap_constantcontact.window import SyncWindow

DATE_TIME = {"type": ["string", "null"], "format": "date-time"}
DELETED_COLUMN = "_sdc_deleted_at"


def infer_schema(records: t.Iterable[dict[str, t.Any]]) -> dict[str, t.Any]:
    """A JSON schema for sample records: every property and type nullable."""
    builder = SchemaBuilder()
    builder.add_schema({"type": "object", "properties": {}})
    for record in records:
        builder.add_object(record)
    return _nullable(builder.to_schema())


def _nullable(schema: dict[str, t.Any]) -> dict[str, t.Any]:
    schema = {key: value for key, value in schema.items() if key not in ("$schema", "required")}
    if "anyOf" in schema:  # genson's union of differently shaped values
        return {}
    kind = schema.get("type")
    if kind == "null":
        return {}  # only nulls seen: any type
    if isinstance(kind, str):
        schema["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        schema["type"] = [*kind, "null"]
    if "properties" in schema:
        schema["properties"] = {k: _nullable(v) for k, v in schema["properties"].items()}
    if isinstance(schema.get("items"), dict):
        schema["items"] = _nullable(schema["items"])
    return schema


class PollResourceStream(ConstantContactStream):
    """A `poll_resources` entry: incremental on its updated date, feeding `change_events`."""

    def __init__(
        self,
        tap: TapConstantContact,
        resource: PollResource,
        schema: dict[str, t.Any] | None = None,
    ) -> None:
        self.resource = resource
        self.path = resource.path
        self.records_key = resource.records_key  # type: ignore[misc]
        self.change_object_type = resource.name  # type: ignore[misc]
        self._catalog_schema = schema
        super().__init__(tap=tap, name=resource.name)
        self.primary_keys = resource.primary_keys
        self.replication_key = resource.updated_date_field

    @property
    def required_scope(self) -> str:  # type: ignore[override]
        """The scope of the entry's endpoint (checked by the connection test)."""
        return required_scope("GET", self.resource.path) or "contact_data"

    @property
    def page_size(self) -> int:
        """The entry's `page_size`."""
        return self.resource.page_size

    @cached_property
    def schema(self) -> dict[str, t.Any]:  # type: ignore[override]
        """From the catalog, the entry's declaration, or one sample page."""
        if self._catalog_schema is not None:
            return self._catalog_schema
        resource = self.resource
        if resource.schema_properties is not None:
            properties = copy.deepcopy(resource.schema_properties)
        else:
            body = self.api_get(resource.path, {**resource.params, "limit": resource.page_size})
            sample = (body or {}).get(resource.records_key) or [] if isinstance(body, dict) else []
            properties = infer_schema(sample).get("properties", {})
            if not sample:
                self.logger.warning(
                    "%s: the sample page is empty, so the schema knows only the id and date "
                    "fields; declare `schema` in the poll_resources entry",
                    self.name,
                )
        for name in (resource.updated_date_field, resource.created_date_field):
            if name:
                properties[name] = dict(DATE_TIME)
        if resource.deleted_date_field:
            properties[resource.deleted_date_field] = dict(DATE_TIME)
            properties[DELETED_COLUMN] = dict(DATE_TIME)
        for key in resource.primary_keys:
            properties.setdefault(key, {})
        return {"type": "object", "properties": properties}

    @property
    def sliced(self) -> bool:
        """True when the API bounds the window on both sides, so it can be read in slices."""
        return bool(self.resource.date_filter_param and self.resource.upper_filter_param)

    def slice_params(self, lower: dt.datetime | None, upper: dt.datetime) -> dict[str, t.Any]:
        """The fixed params, `limit` and the bounds of `[lower, upper)`, in the entry's filter
        format (the upper bound rounded up to its precision)."""
        resource = self.resource
        params: dict[str, t.Any] = {**resource.params, "limit": resource.page_size}
        if resource.date_filter_param and lower is not None:
            params[resource.date_filter_param] = resource.filter_format.format(lower)
        if resource.upper_filter_param:
            params[resource.upper_filter_param] = format_upper_bound(resource.filter_format, upper)
        return params

    def read_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """The window's changes, each once."""
        resource = self.resource
        seen = SeenIds()
        window = self.start_window(context)
        for record in self._read(window):
            changed = self._date(record, resource.updated_date_field, resource.updated_format)
            created = self._date(record, resource.created_date_field, resource.created_format)
            deleted = self._date(record, resource.deleted_date_field, resource.deleted_format)
            moment = changed or created
            if moment is not None and not window.contains(moment):
                continue
            record_id = tuple(str(record.get(key)) for key in resource.primary_keys)
            if not seen.first_time(record_id):
                continue
            if resource.deleted_date_field:
                record[DELETED_COLUMN] = format_datetime(deleted) if deleted else None
            yield record
        self.logger.info("%s: %d records emitted", self.name, len(seen))

    def _read(self, window: SyncWindow) -> Iterator[dict[str, t.Any]]:
        if not self.sliced:
            return self.read_list(
                self.resource.path,
                self.slice_params(window.lower, window.upper),
                self.resource.records_key,
            )
        return self.read_window(
            window,
            self.slice_params,
            self._moment,
            precision=precision(self.resource.filter_format),
        )

    def _moment(self, record: dict[str, t.Any]) -> dt.datetime | None:
        """The record's last change (or creation) as the API filters it; None if unknown."""
        resource = self.resource
        try:
            return resource.updated_format.parse(record.get(resource.updated_date_field)) or (
                resource.created_format.parse(record.get(resource.created_date_field))
                if resource.created_date_field
                else None
            )
        except (TypeError, ValueError):
            return None  # reported with the record's id when the record is read

    def _date(
        self,
        record: dict[str, t.Any],
        field: str | None,
        date_format: DateFormat,
    ) -> dt.datetime | None:
        """Parse one date field and write it back in UTC RFC 3339."""
        if not field:
            return None
        value = record.get(field)
        try:
            moment = date_format.parse(value)
        except (TypeError, ValueError):
            record_id = ", ".join(f"{k}={record.get(k)}" for k in self.resource.primary_keys)
            raise InvalidResponseError(
                f"{self.name} {record_id}: {field} {value!r} does not match the format "
                f"{date_format.spec!r} (poll_resources entry {self.name!r})"
            ) from None
        record[field] = format_datetime(moment) if moment is not None else None
        return moment

    def detect_change(self, record: dict[str, t.Any]) -> Change | None:
        """Created, updated or deleted, from the entry's date fields."""
        resource = self.resource
        object_id = record.get(resource.id_field)
        if object_id is None:
            return None
        return Change(
            object_id=str(object_id),
            created_at=parse_optional(record.get(resource.created_date_field or "")),
            changed_at=parse_optional(record.get(resource.updated_date_field)),
            deleted_at=parse_optional(record.get(DELETED_COLUMN)),
        )
