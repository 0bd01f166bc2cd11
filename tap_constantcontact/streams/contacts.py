"""The `contacts` stream: the incremental algorithm of the architecture guide §3.

Each run reads a window `[bookmark - lookback_minutes, run start)` (`window.py`):

1. the *updated* pass: `status=all&updated_after=&updated_before=`, so creates, updates and
   deletes (a delete moves `updated_at`) come through, deletes flagged `_sdc_deleted_at`;
2. the *opted-out* pass: `optout_after=&optout_before=` over the same window, because an
   unsubscribe moves only `email_address.updated_at`, not the contact's `updated_at`.

A contact read twice in one run is emitted once (`dedupe.py`). A full sync (no bookmark, no
`start_date`) needs only the first pass. When the data shows that deletes do not move
`updated_at`, a third pass reads `status=deleted` (`deletes.py`). With a segment filter the
API takes no other filter, so the segment is read whole and the window applied client-side.

Pages of 500 follow `_links.next.href`. An offset cursor (`limit=500&next=501`) shifts when a
record leaves the filtered set mid-paging - a contact changed during the run moves out of the
frozen window - and silently skips another record. So the first page asks
`include_count=true` and, when a pass took several pages, one `limit=1` call re-checks the
count at the end. The window is frozen in the past, so the set can only shrink; if the count
changed, the pass is read again (dedupe makes that safe), and if it changed again the
bookmark is not advanced, so the next run reads the window again. (Segment reads carry no
count, so they are not checked.)

Bookmarks: the API's order is undocumented, so the stream is unsorted (`is_sorted=False`):
the SDK keeps the largest `updated_at` seen as a progress marker and promotes it only when
the stream completes, capped at the run start. A run killed mid-stream leaves the previous
bookmark, and a rerun from the last STATE reads the whole window again.

Why no bulk export for the initial sync: `/activities/contact_exports` takes fewer calls for
large accounts (measured on the emulator: 100,000 contacts in 6 calls against 201 pages), but
its CSV is not a `ContactResource`: no notes, one phone and one address without ids, lists and
tags by name, custom fields as text, no `deleted_at`, deleted contacts only in a separate
export, and `contact_id` is not a documented column. A warehouse loaded from it would keep
those gaps for every contact that never changes again, so paging stays the only source.
"""

from __future__ import annotations

import copy
import typing as t
from dataclasses import dataclass
from functools import cached_property

from constantcontact_client.endpoints import endpoint_name
from constantcontact_client.errors import ConfigError, RetriableError
from constantcontact_client.names import matching_names
from constantcontact_client.timestamps import format_datetime, parse_datetime, parse_optional
from tap_constantcontact.client import SCHEMAS, ConstantContactStream
from tap_constantcontact.contact_records import ContactRecordBuilder
from tap_constantcontact.dedupe import SeenIds
from tap_constantcontact.deletes import STATE_KEY as DELETES_STATE_KEY
from tap_constantcontact.deletes import DeleteBehaviour, deleted_since
from tap_constantcontact.events import Change, latest
from tap_constantcontact.responses import decoded_body
from tap_constantcontact.settings import CONTACT_INCLUDES, OPTIONAL_CONTACT_INCLUDES
from tap_constantcontact.window import SyncWindow

if t.TYPE_CHECKING:
    from collections.abc import Generator, Iterable

    import requests
    from singer_sdk.helpers.types import Context

    from tap_constantcontact.settings import ContactFilters


@dataclass(frozen=True, slots=True)
class ContactPass:
    """One read of the window: its name, its filters, and a client-side check where the API
    cannot filter (segments, deleted contacts)."""

    name: str
    params: dict[str, t.Any]
    keep: t.Callable[[dict[str, t.Any]], bool] | None = None


class ContactsStream(ConstantContactStream):
    """Contacts with every sub-resource, incremental on `updated_at`, deletes and opt-outs."""

    name = "contacts"
    path = "/contacts"
    primary_keys = ("contact_id",)
    replication_key = "updated_at"
    records_key = "contacts"
    max_page_size = 500
    change_object_type = "contacts"

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        super().__init__(*args, **kwargs)
        self._pass: ContactPass | None = None
        self._pages = 0
        self._first_count: int | None = None

    # Schema and records -------------------------------------------------------------------

    @cached_property
    def schema(self) -> dict[str, t.Any]:  # type: ignore[override]
        """`ContactResource` with the requested sub-resources, `_sdc_deleted_at`, `cf_` columns."""
        schema = copy.deepcopy(SCHEMAS.get_schema("contacts"))
        for resource in (*CONTACT_INCLUDES, *OPTIONAL_CONTACT_INCLUDES):
            if resource not in self.settings.contacts_include:
                del schema["properties"][resource]  # not requested, so never in a record
        if (columns := self.tap.custom_field_columns) is not None:
            schema["properties"].update(columns.schema_properties)
        return schema

    @cached_property
    def record_builder(self) -> ContactRecordBuilder:
        """Normalizes API contacts into this stream's records."""
        return ContactRecordBuilder(
            properties=self.effective_schema["properties"],
            custom_field_columns=self.tap.custom_field_columns,
            logger=self.logger,
        )

    def normalize_record(self, record: dict[str, t.Any]) -> dict[str, t.Any]:
        """Timestamps in UTC, `_sdc_deleted_at`, `cf_` columns."""
        return self.record_builder.build(record)

    def detect_change(self, record: dict[str, t.Any]) -> Change | None:
        """Deleted, created or updated; an unsubscribe is a change too (UPDATED), dated at
        its opt-out, since it may leave the contact's `updated_at` alone."""
        email = record.get("email_address") or {}
        return Change(
            object_id=record["contact_id"],
            created_at=parse_optional(record.get("created_at")),
            changed_at=latest(
                parse_optional(record.get("updated_at")),
                parse_optional(email.get("opt_out_date")),
            ),
            deleted_at=parse_optional(record.get("_sdc_deleted_at")),
        )

    # Requests -----------------------------------------------------------------------------

    @cached_property
    def filter_params(self) -> dict[str, str]:
        """The configured query filters, list and tag names resolved to ids."""
        return self._filter_params(self.settings.filters)

    def _filter_params(self, filters: ContactFilters) -> dict[str, str]:
        params: dict[str, str] = {}
        if filters.segment_id is not None:
            return {"segment_id": str(filters.segment_id)}
        params["status"] = ",".join(filters.status)
        list_ids = [*filters.list_ids]
        if filters.list_names:
            list_ids += self._resolve_names(
                "contacts_list_names", "/contact_lists", "lists", "list_id", filters.list_names
            )
        if list_ids:
            params["lists"] = ",".join(dict.fromkeys(list_ids))
        tag_ids = [*filters.tag_ids]
        if filters.tag_names:
            tag_ids += self._resolve_names(
                "contacts_tag_names", "/contact_tags", "tags", "tag_id", filters.tag_names
            )
        if tag_ids:
            params["tags"] = ",".join(dict.fromkeys(tag_ids))
        if filters.email:
            params["email"] = filters.email
        return params

    def _resolve_names(
        self,
        setting: str,
        path: str,
        records_key: str,
        id_key: str,
        names: Iterable[str],
    ) -> list[str]:
        """Names to ids with one read of the lists (or tags), matched as `matching_names`
        does; a name matching none or several is an error."""
        by_name: dict[str, list[str]] = {}
        for item in self.read_list(path, {"limit": 500}, records_key):
            by_name.setdefault(str(item.get("name", "")), []).append(item[id_key])
        ids = []
        for name in names:
            matches = [i for match in matching_names(name, by_name) for i in by_name[match]]
            if len(matches) != 1:
                problem = "matches no" if not matches else f"matches {len(matches)}"
                raise ConfigError(
                    f"{setting}: {name!r} {problem} {records_key} in the account", setting=setting
                )
            ids.append(matches[0])
        return ids

    def get_url_params(
        self,
        context: Context | None,
        next_page_token: t.Any,
    ) -> dict[str, t.Any]:
        """The current pass's filters; the first page also asks for the total count."""
        if self._pass is None:
            raise RuntimeError("contacts: a request outside a pass")
        params: dict[str, t.Any] = {**self._pass.params, "limit": self.page_size}
        if "segment_id" not in params:
            params["include_count"] = "true"
            if self.settings.contacts_include:
                params["include"] = ",".join(self.settings.contacts_include)
        return params

    def validate_response(self, response: requests.Response) -> None:
        """A segment still being computed answers 202 `processing`: retry it."""
        super().validate_response(response)
        if response.status_code == 202:
            endpoint = endpoint_name("GET", response.url)
            raise RetriableError(
                f"{endpoint}: HTTP 202, the segment is still being processed; retrying",
                endpoint=endpoint,
                status=202,
                response=response,
            )

    def parse_response(self, response: requests.Response) -> t.Iterable[dict[str, t.Any]]:
        """The page's contacts; the first page's `contacts_count` is kept."""
        self._pages += 1
        if self._pages == 1:  # the first page of a pass carries the count
            count = decoded_body(response).get("contacts_count")
            self._first_count = count if isinstance(count, int) else None
        return super().parse_response(response)

    def _count_now(self, contact_pass: ContactPass) -> int | None:
        body = self.api_get(self.path, {**contact_pass.params, "limit": 1, "include_count": "true"})
        count = body.get("contacts_count")
        return count if isinstance(count, int) else None

    # The passes ---------------------------------------------------------------------------

    def passes(self, window: SyncWindow, deletes: DeleteBehaviour) -> list[ContactPass]:
        """The reads of this run's window."""
        filters = self.filter_params
        if "segment_id" in filters:
            # The API cannot combine a segment with date filters: read it whole, keep the window.
            keep = None if window.is_full else changed_in(window)
            return [ContactPass("segment", filters, keep=keep)]
        passes = [
            ContactPass("updated", {**filters, **window.params("updated_after", "updated_before")})
        ]
        if window.is_full:
            return passes
        passes.append(
            ContactPass("opted out", {**filters, **window.params("optout_after", "optout_before")})
        )
        if self.settings.filters.includes_deleted and deletes.needs_scan(
            self.settings.contacts_deleted_scan
        ):
            day = format_datetime(window.lower)[:10] if window.lower else "0000-00-00"
            passes.append(
                ContactPass("deleted", {**filters, "status": "deleted"}, keep=deleted_since(day))
            )
        return passes

    def read_records(self, context: Context | None) -> t.Iterable[dict[str, t.Any]]:
        """Every contact changed in the window, once."""
        window = self.start_window(context)
        state = self.get_context_state(context)
        deletes = DeleteBehaviour(state.get(DELETES_STATE_KEY))
        seen = SeenIds()
        stable = True
        for contact_pass in self.passes(window, deletes):
            stable = (yield from self._read_pass(contact_pass, seen, deletes, context)) and stable
        if not stable:
            self.hold_bookmark(context)
        if deletes.moves_updated_at is not None:
            state[DELETES_STATE_KEY] = deletes.moves_updated_at
        self.logger.info("contacts: %d contacts emitted", len(seen))

    def _read_pass(
        self,
        contact_pass: ContactPass,
        seen: SeenIds,
        deletes: DeleteBehaviour,
        context: Context | None,
    ) -> Generator[dict[str, t.Any], None, bool]:
        """Read one pass, re-reading it once if its result set moved while paging."""
        for attempt in (1, 2):
            self._pass = contact_pass
            self._pages = 0
            self._first_count = None
            emitted = 0
            for contact in self.request_records(context):
                if contact.get("deleted_at"):
                    deletes.observe(contact)
                if contact_pass.keep is not None and not contact_pass.keep(contact):
                    continue
                if seen.first_time(contact["contact_id"]):
                    emitted += 1
                    yield contact
            self._pass = None
            self.logger.info(
                "contacts: %s pass read %d pages, %d new contacts",
                contact_pass.name,
                self._pages,
                emitted,
            )
            if self._pages <= 1 or self._first_count is None:
                return True
            final_count = self._count_now(contact_pass)
            if final_count == self._first_count:
                return True
            self.logger.warning(
                "contacts: the %s pass changed from %d to %s contacts while paging (contacts "
                "changed during the run); %s",
                contact_pass.name,
                self._first_count,
                final_count,
                "reading it again" if attempt == 1 else "the bookmark is not advanced",
            )
        return False


def changed_in(window: SyncWindow) -> t.Callable[[dict[str, t.Any]], bool]:
    """Client-side window check, for reads the API cannot filter by date."""

    def keep(contact: dict[str, t.Any]) -> bool:
        email = contact.get("email_address") or {}
        for value in (contact.get("updated_at"), email.get("opt_out_date")):
            if not value:
                continue
            try:
                moment = parse_datetime(str(value))
            except ValueError:
                return True  # the record builder reports it
            if window.contains(moment):
                return True
        return False

    return keep
