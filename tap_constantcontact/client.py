"""The base stream: singer-sdk's RESTStream on the shared Constant Contact client.

The client does the hard parts once for the tap and the target, so the stream only plugs
them in:

- `requests_session` is the client's session: it paces (4 requests/s and the daily
  budget), authenticates (refreshing and persisting rotated tokens) and counts every call;
- `validate_response` is the client's classification: its errors are already the SDK's
  `RetriableAPIError` / `FatalAPIError` subclasses, with endpoint-named, email-free messages;
- `request_decorator` is the client's retry policy (throttle waits, exponential backoff for
  5xx and connection errors), so the SDK's own backoff is not stacked on top of it.

Reads outside the SDK's paging (lookups, whole lists, windows read in time slices) go
through the client's loop-guarded `pages`, and count their calls for the stream the same
way (`count_call`).

Records are normalized once, where they are built (`normalize_record`), so the SDK's
recursive type conformance is switched off (guide §5): the tests validate every emitted
record against its schema to prove the normalization keeps them valid.
"""

from __future__ import annotations

import typing as t
from collections import Counter

import requests
from singer_sdk import RESTStream
from singer_sdk.helpers._state import PROGRESS_MARKER_NOTE, PROGRESS_MARKERS
from singer_sdk.helpers.conform import TypeConformanceLevel
from singer_sdk.schema.source import SchemaDirectory, StreamSchema

from constantcontact_client.client import records_of
from constantcontact_client.endpoints import endpoint_name
from constantcontact_client.errors import RunBudgetExceededError
from constantcontact_client.timestamps import format_datetime, normalize_datetime, parse_datetime
from tap_constantcontact import schemas
from tap_constantcontact.pagination import NextLinkPaginator
from tap_constantcontact.responses import InvalidResponseError, decoded_body
from tap_constantcontact.time_slices import MILLISECOND, Page, TimeSlicer
from tap_constantcontact.window import SyncWindow

if t.TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Iterator
    from urllib.parse import ParseResult

    from singer_sdk.helpers.types import Context, RequestFunc
    from singer_sdk.streams.rest import HTTPRequest, PageContext

    from constantcontact_client import ConstantContactClient
    from tap_constantcontact.events import Change
    from tap_constantcontact.settings import TapSettings
    from tap_constantcontact.tap import TapConstantContact

SCHEMAS = SchemaDirectory(schemas)


class ConstantContactStream(RESTStream):
    """A Constant Contact v3 list endpoint, paged through `_links.next.href`."""

    schema = StreamSchema(SCHEMAS)
    TYPE_CONFORMANCE_LEVEL = TypeConformanceLevel.NONE

    #: The key of the records array in the list response (`contacts`, `lists`, ...).
    records_key: t.ClassVar[str]
    #: The largest `limit` the endpoint accepts.
    max_page_size: t.ClassVar[int] = 500
    #: The OAuth scope the endpoint needs (checked by the connection test).
    required_scope: t.ClassVar[str] = "contact_data"

    #: The `object_type` of this stream's `change_events`; None: the stream feeds none.
    change_object_type: t.ClassVar[str | None] = None

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self.api_calls: Counter[str] = Counter()
        self._emitted: dict[str, t.Any] | None = None

    # The shared client -------------------------------------------------------------------

    @property
    def tap(self) -> TapConstantContact:
        """The tap this stream belongs to."""
        return t.cast("TapConstantContact", self._tap)

    @property
    def client(self) -> ConstantContactClient:
        """The one client of this tap run, shared by every stream."""
        return self.tap.client

    @property
    def settings(self) -> TapSettings:
        """The tap's validated settings."""
        return self.tap.tap_settings

    @property
    def url_base(self) -> str:
        """The API base URL (`api_url`)."""
        return self.client.url_for("")

    def get_url(self, context: Context | None) -> str:
        """The endpoint URL for `path`."""
        path = self.path or ""
        for key, value in (context or {}).items():
            path = path.replace(f"{{{key}}}", self._url_encode(value))
        return self.client.url_for(path)

    @property
    def requests_session(self) -> requests.Session:
        """The client's pacing, authenticating, counting session."""
        return self.client.session

    def build_prepared_request(self, *args: t.Any, **kwargs: t.Any) -> requests.PreparedRequest:
        """Prepare a request on the client's session without replacing its authentication.

        The SDK's default assigns the stream's authenticator to `session.auth`, which would
        remove the client's token manager from the shared session.
        """
        request = requests.Request(*args, **kwargs)
        return self.requests_session.prepare_request(request)

    def validate_response(self, response: requests.Response) -> None:
        """Count the call, then raise the client's classified error if it failed.

        The client's errors carry the endpoint template and the status, never a body (which
        may hold contact emails), so the SDK's `response_error_message` is not used.
        """
        self.count_call(response)
        self.client.check_response(response)

    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        """The client's retry policy, instead of (not on top of) the SDK's backoff."""
        return self.client.retrying(func)

    def count_call(self, response: requests.Response) -> None:
        """Count one answered call for this stream (two when a 401 was resent after a
        token refresh); retried attempts are counted each."""
        request = response.request
        endpoint = endpoint_name(request.method or "GET", request.url or "/")
        self.api_calls[endpoint] += 1 + len(response.history)

    def api_get(self, path: str, params: dict[str, t.Any] | None = None) -> t.Any:
        """One call outside the stream's paging (lookups, count checks); the decoded body."""
        response = self.client.request("GET", path, params=params, on_response=self.count_call)
        return decoded_body(response)

    def read_pages(
        self,
        path: str,
        params: dict[str, t.Any],
        records_key: str | None = None,
    ) -> Iterator[Page]:
        """The pages of a list read, lazily, through the client's loop-guarded paging."""
        endpoint = endpoint_name("GET", self.client.url_for(path))
        key = records_key or self.records_key
        for body in self.client.pages(path, params=params, on_response=self.count_call):
            has_next = self.client.next_href(body) is not None
            yield Page(records_of(body, key, endpoint), has_next=has_next)

    def read_list(
        self, path: str, params: dict[str, t.Any], records_key: str
    ) -> Iterator[dict[str, t.Any]]:
        """Every record of a list endpoint (lookups: list and tag names, campaign ids)."""
        for page in self.read_pages(path, params, records_key):
            yield from page.records

    def read_window(
        self,
        window: SyncWindow,
        params: Callable[[dt.datetime | None, dt.datetime], dict[str, t.Any]],
        moment: Callable[[dict[str, t.Any]], dt.datetime | None],
        *,
        path: str | None = None,
        records_key: str | None = None,
        page_size: int | None = None,
        precision: dt.timedelta = MILLISECOND,
    ) -> Iterator[dict[str, t.Any]]:
        """The records of an endpoint filtered to `window`, read in time slices that each fit
        in one page, so a change during the run cannot shift a cursor and hide a record
        (`time_slices.py`). `params(lower, upper)` are the query parameters of one slice
        (`limit` included); `precision` is the smallest step of their date values; `moment`
        is a record's time on the filtered field (None if unknown). Records on slice edges
        come more than once."""
        slicer = TimeSlicer(
            lambda lower, upper: self.read_pages(
                path or t.cast("str", self.path), params(lower, upper), records_key
            ),
            moment,
            page_size=page_size or self.page_size,
            precision=precision,
        )
        yield from slicer.read(window.lower, window.upper)
        if slicer.calls > 1:
            self.logger.info("%s: window %s: %s", self.name, window.describe(), slicer.describe())

    # The record loop: budget stops and change events ---------------------------------------

    def get_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """`read_records`, stopped cleanly at `max_requests_per_run` (see `budget.py`), with
        each emitted record's change event published right after it (see `events.py`)."""
        budget = self.tap.budget
        if budget.stopped:
            budget.skip(self.name)
            self.hold_bookmark(context)
            return
        feed = self.tap.change_feed if self.change_object_type and self.selected else None
        try:
            for record in self.read_records(context):
                self._emitted = None
                yield record
                # Resumed by the SDK after it wrote the post-processed record.
                if feed is not None and self._emitted is not None:
                    change = self.detect_change(self._emitted)
                    if change is not None:
                        feed.publish(t.cast("str", self.change_object_type), change, self._emitted)
        except RunBudgetExceededError as exc:
            budget.stop(self.describe(context), exc)
        if budget.stopped:
            # Stopped here or in a child stream: this window is read again next run.
            self.hold_bookmark(context)

    def read_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """The stream's records; streams with their own passes or paging override it."""
        return super().get_records(context)

    def detect_change(self, record: dict[str, t.Any]) -> Change | None:
        """What an emitted record says about its change; source streams override."""
        return None

    def describe(self, context: Context | None) -> str:
        """The stream (and partition) for log lines."""
        if not context:
            return self.name
        return f"{self.name} ({', '.join(f'{k}={v}' for k, v in context.items())})"

    @property
    def emit_activate_version_messages(self) -> bool:
        """Never after a budget stop: the stream reads nothing, and an ACTIVATE_VERSION
        without its records would make a target drop the whole table."""
        return bool(super().emit_activate_version_messages) and not self.tap.budget.stopped

    # Requests and records ----------------------------------------------------------------

    @property
    def page_size(self) -> int:
        """The `limit` of each page: the setting, capped at the endpoint's maximum."""
        return min(self.settings.page_size, self.max_page_size)

    def get_new_paginator(self) -> NextLinkPaginator:
        """Page through `_links.next.href`."""
        return NextLinkPaginator()

    def query_params(self, context: Context | None) -> dict[str, t.Any]:
        """The filters of the first page; later pages get them from the cursor."""
        return {}

    def get_url_params(
        self,
        context: Context | None,
        next_page_token: ParseResult | None,
    ) -> dict[str, t.Any]:
        """`limit` plus the stream's filters."""
        return {"limit": self.page_size, **self.query_params(context)}

    def get_http_request(self, *, page: PageContext) -> HTTPRequest:
        """The first page from the filters; later pages follow the next link verbatim."""
        request = super().get_http_request(page=page)
        if page.next_page_token is not None:
            request.url = self.client.url_for(page.next_page_token.geturl())
            request.params = {}
        return request

    def parse_response(self, response: requests.Response) -> t.Iterable[dict[str, t.Any]]:
        """The records array of a list response."""
        body = decoded_body(response)
        records = body.get(self.records_key) if isinstance(body, dict) else None
        return records or []

    def post_process(
        self,
        row: dict[str, t.Any],
        context: Context | None = None,
    ) -> dict[str, t.Any] | None:
        """Normalize the record once, where it is built."""
        record = self.normalize_record(row)
        self._emitted = record
        return record

    def normalize_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """Bring an API record to the stream's schema; streams override."""
        return record

    def normalize_timestamps(
        self,
        record: dict[str, t.Any],
        item: dict[str, t.Any],
        *names: str,
    ) -> None:
        """Normalize `item`'s date-times in place (`item` is `record` or a part of it)."""
        for name in names:
            if name not in item:
                continue
            try:
                item[name] = normalize_datetime(item[name])
            except (TypeError, ValueError):
                key = ", ".join(f"{k}={record.get(k)}" for k in self.primary_keys)
                raise InvalidResponseError(
                    f"{self.name} {key}: {name} {item[name]!r} is not an ISO-8601 date-time"
                ) from None

    # Windows and state -------------------------------------------------------------------

    def window(self, context: Context | None) -> SyncWindow:
        """This run's window: from the bookmark (minus `lookback_minutes`, never before
        `start_date`) to the frozen run start."""
        state = self.get_context_state(context)
        bookmark = None
        if state.get("replication_key") == self.replication_key and (
            value := state.get("replication_key_value")
        ):
            bookmark = parse_datetime(str(value))
        return SyncWindow.for_run(
            run_start=self.tap.run_start,
            bookmark=bookmark,
            start_date=self.settings.start_date,
            lookback=self.settings.lookback,
        )

    def start_window(self, context: Context | None) -> SyncWindow:
        """The run's window, with the bookmark candidate seeded (see `seed_progress_marker`).

        Incremental streams call this first in `get_records`.
        """
        state = self.get_context_state(context)
        previous = state.get("replication_key_value")
        if previous:
            self.seed_progress_marker(context, normalize_datetime(str(previous)) or str(previous))
        else:  # the SDK would warn once per partition that the stream is unsorted
            state.setdefault(
                PROGRESS_MARKERS,
                {PROGRESS_MARKER_NOTE: "Progress is not resumable if interrupted."},
            )
        window = self.window(context)
        self.logger.info("%s: reading the window %s", self.name, window.describe())
        return window

    def get_replication_key_signpost(self, context: Context | None = None) -> str | None:
        """The run start, in the bookmark's own format: no bookmark moves past it."""
        return format_datetime(self.tap.run_start) if self.replication_key else None

    def seed_progress_marker(self, context: Context | None, value: str) -> None:
        """Start this run's bookmark candidate at the previous bookmark.

        With `is_sorted=False` the SDK promotes the largest replication value seen in the
        run, capped at the run start. Records that are in the window for another reason
        (an opt-out) carry older values; seeding keeps the bookmark from moving back.
        """
        state = self.get_context_state(context)
        markers = state.setdefault(
            PROGRESS_MARKERS, {PROGRESS_MARKER_NOTE: "Progress is not resumable if interrupted."}
        )
        markers["replication_key"] = self.replication_key
        markers["replication_key_value"] = value

    def hold_bookmark(self, context: Context | None) -> None:
        """Keep the previous bookmark: this run's candidate is not safe to promote."""
        markers = self.get_context_state(context).get(PROGRESS_MARKERS) or {}
        markers.pop("replication_key", None)
        markers.pop("replication_key_value", None)

    def log_sync_costs(self) -> None:
        """Log the stream's API calls (the tap logs the run's total after the last stream)."""
        total = sum(self.api_calls.values())
        if total:
            detail = ", ".join(f"{name}: {count}" for name, count in sorted(self.api_calls.items()))
            self.logger.info("Stream '%s' used %d API calls (%s)", self.name, total, detail)
