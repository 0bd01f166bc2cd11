"""`poll_resources`: extra incremental streams by configuration, like SAP Open Connectors'
"copy the events configuration to poll other resources".

Each entry names an endpoint of the API and how to read its dates; the tap turns it into a
stream that feeds `change_events`. A malformed entry is one error naming the entry (index and
name) and the field, before any request is sent.
"""

from __future__ import annotations

import re
import typing as t
from dataclasses import dataclass, field

from tap_constantcontact.date_formats import DateFormat, DateFormatError

ENTRY_FIELDS: dict[str, str] = {
    "name": "Stream name (lowercase letters, digits, `_`); must not clash with a built-in stream.",
    "path": "Endpoint path relative to `api_url`, e.g. `/contact_lists`.",
    "records_key": "Key of the records array in the response, e.g. `lists`.",
    "id_field": "Field that identifies a record, e.g. `list_id` (SAP's `idField`).",
    "primary_keys": "Primary key fields of the stream. Default: `[id_field]`.",
    "updated_date_field": "Top-level field holding the record's last change; the replication key.",
    "updated_date_format": (
        "`iso8601` (default), `epoch_seconds`, `epoch_milliseconds`, a strftime pattern "
        "(`%Y-%m-%d %H:%M:%S`) or a Java/SAP pattern (`yyyy-MM-dd'T'HH:mm:ss'Z'`)."
    ),
    "created_date_field": "Top-level field holding the creation date (CREATED vs UPDATED events).",
    "created_date_format": "Format of `created_date_field`. Default: `updated_date_format`.",
    "deleted_date_field": (
        "Optional field set on deleted records (DELETED events, `_sdc_deleted_at`)."
    ),
    "deleted_date_format": "Format of `deleted_date_field`. Default: `updated_date_format`.",
    "timezone": "IANA time zone of dates written without an offset. Default: `UTC`.",
    "date_filter_param": (
        "Query parameter taking the window's lower bound, e.g. `updated_after` or `after_date`. "
        "Without it every run reads the whole resource and keeps the window's changes."
    ),
    "upper_filter_param": "Query parameter taking the frozen upper bound (the run start).",
    "date_filter_format": "Format of the filter values. Default: `iso8601` (UTC).",
    "page_size": "The `limit` of each page (1-1000). Default: 500.",
    "params": 'Other fixed query parameters, e.g. `{"status": "all"}`.',
    "schema": (
        "Optional JSON schema `properties` of the records. Without it the schema is inferred "
        "from one sample page at discovery."
    ),
}
REQUIRED_FIELDS = ("name", "path", "records_key", "id_field", "updated_date_field")
_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_FIELD = re.compile(r"[^\s.]+(?: [^\s.]+)*")  # top-level: no dots; inner spaces allowed
_PARAM = re.compile(r"[A-Za-z0-9_.\-\[\]]+")
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 500


class PollResourceError(ValueError):
    """A malformed `poll_resources` entry; the message names the entry and the field."""


@dataclass(frozen=True, slots=True)
class PollResource:
    """One validated `poll_resources` entry."""

    name: str
    path: str
    records_key: str
    id_field: str
    primary_keys: tuple[str, ...]
    updated_date_field: str
    updated_format: DateFormat
    created_date_field: str | None
    created_format: DateFormat
    deleted_date_field: str | None
    deleted_format: DateFormat
    date_filter_param: str | None
    upper_filter_param: str | None
    filter_format: DateFormat
    page_size: int
    params: dict[str, str] = field(default_factory=dict)
    schema_properties: dict[str, t.Any] | None = None


def parse_poll_resources(
    entries: t.Any,
    *,
    reserved_names: t.Collection[str] = (),
) -> tuple[PollResource, ...]:
    """Validate the `poll_resources` setting.

    Raises:
        PollResourceError: the first problem, naming `poll_resources[i] (name)` and the field.
    """
    if entries is None:
        return ()
    if not isinstance(entries, list):
        raise PollResourceError("poll_resources: expected a list of objects")
    resources: list[PollResource] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        resource = _parse_entry(index, entry, reserved_names)
        if resource.name in seen:
            raise PollResourceError(
                f"poll_resources[{index}] ({resource.name}): name: another entry has this name"
            )
        seen.add(resource.name)
        resources.append(resource)
    return tuple(resources)


def _parse_entry(index: int, entry: t.Any, reserved: t.Collection[str]) -> PollResource:
    raw_name = entry.get("name") if isinstance(entry, dict) else None
    label = f"poll_resources[{index}]" + (f" ({raw_name})" if isinstance(raw_name, str) else "")
    if not isinstance(entry, dict):
        raise PollResourceError(f"{label}: expected an object, got {type(entry).__name__}")
    reader = _EntryReader(label, entry)
    name = reader.name(reserved)
    id_field = reader.required_field("id_field")
    updated_format = reader.date_format("updated_date_format")
    return PollResource(
        name=name,
        path=reader.path(),
        records_key=reader.required_field("records_key"),
        id_field=id_field,
        primary_keys=reader.primary_keys(id_field),
        updated_date_field=reader.required_field("updated_date_field"),
        updated_format=updated_format,
        created_date_field=reader.field("created_date_field"),
        created_format=reader.date_format("created_date_format", updated_format),
        deleted_date_field=reader.field("deleted_date_field"),
        deleted_format=reader.date_format("deleted_date_format", updated_format),
        date_filter_param=reader.field("date_filter_param", _PARAM),
        upper_filter_param=reader.field("upper_filter_param", _PARAM),
        filter_format=reader.date_format("date_filter_format"),
        page_size=reader.page_size(),
        params=reader.params(),
        schema_properties=reader.schema(id_field),
    )


class _EntryReader:
    """Reads one entry's fields; every error names the entry and the field."""

    def __init__(self, label: str, entry: dict[str, t.Any]) -> None:
        self.label = label
        self.entry = entry
        for key in entry:
            if key not in ENTRY_FIELDS:
                raise self.error(key, f"unknown field (known: {', '.join(ENTRY_FIELDS)})")
        for key in REQUIRED_FIELDS:
            if entry.get(key) in (None, ""):
                raise self.error(key, "required")
        timezone = entry.get("timezone")
        if timezone is not None and not isinstance(timezone, str):
            raise self.error("timezone", "expected a string")
        self.timezone: str | None = timezone

    def error(self, key: str, problem: str) -> PollResourceError:
        return PollResourceError(f"{self.label}: {key}: {problem}")

    def field(self, key: str, pattern: re.Pattern[str] | None = _FIELD) -> str | None:
        value = self.entry.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, "expected a non-empty string")
        if pattern is not None and not pattern.fullmatch(value):
            raise self.error(key, f"{value!r} is not a top-level field name")
        return value

    def required_field(self, key: str) -> str:
        return t.cast("str", self.field(key))

    def name(self, reserved: t.Collection[str]) -> str:
        value = self.entry["name"]
        if not isinstance(value, str) or not _NAME.fullmatch(value):
            raise self.error(
                "name", f"{value!r}: use lowercase letters, digits and `_`, starting with a letter"
            )
        if value in reserved:
            raise self.error("name", f"{value!r} is a built-in stream")
        return value

    def path(self) -> str:
        value = self.entry["path"]
        if not isinstance(value, str) or not value.startswith("/") or "?" in value:
            raise self.error(
                "path", f"{value!r}: expected a path relative to api_url, like /contact_lists"
            )
        return value

    def primary_keys(self, id_field: str) -> tuple[str, ...]:
        keys = self.entry.get("primary_keys", [id_field])
        if (
            not isinstance(keys, list)
            or not keys
            or not all(isinstance(key, str) and _FIELD.fullmatch(key) for key in keys)
        ):
            raise self.error("primary_keys", "expected a non-empty list of top-level field names")
        return tuple(keys)

    def date_format(self, key: str, default: DateFormat | None = None) -> DateFormat:
        spec = self.entry.get(key)
        if spec is None and default is not None:
            return default
        if spec is not None and not isinstance(spec, str):
            raise self.error(key, "expected a string")
        try:
            return DateFormat.of(spec, self.timezone)
        except DateFormatError as exc:
            raise self.error("timezone" if "time zone" in str(exc) else key, str(exc)) from None

    def page_size(self) -> int:
        value = self.entry.get("page_size", DEFAULT_PAGE_SIZE)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error("page_size", f"expected an integer, got {value!r}")
        if not 1 <= value <= MAX_PAGE_SIZE:
            raise self.error("page_size", f"{value} is not between 1 and {MAX_PAGE_SIZE}")
        return value

    def params(self) -> dict[str, str]:
        value = self.entry.get("params") or {}
        if not isinstance(value, dict) or not all(
            isinstance(key, str) and isinstance(item, str | int | bool)
            for key, item in value.items()
        ):
            raise self.error("params", "expected an object of query parameter names to values")
        return {key: _param(item) for key, item in value.items()}

    def schema(self, id_field: str) -> dict[str, t.Any] | None:
        value = self.entry.get("schema")
        if value is None:
            return None
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            raise self.error("schema", "expected an object of JSON schema properties")
        if id_field not in value:
            raise self.error("schema", f"has no property for id_field {id_field!r}")
        return value


def _param(value: str | int | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
