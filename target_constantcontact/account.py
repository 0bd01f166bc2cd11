"""The current state of the target account's contacts, read at the lowest cost in calls.

The planner needs every affected contact as the account holds it. Two ways to get them:
- one lookup per contact (`GET /contacts?email=&status=all`, or `GET /contacts/{id}`);
- one read of the whole account (`GET /contacts?status=all&limit=500`), cached for the run and
  refreshed with `updated_after` for later batches.
The first page of a full read tells the account's size (`include_count`), read once per run, so
the choice is made on real numbers: the whole account is read only when that costs fewer calls
than the lookups. Until then, each batch looks its contacts up afresh.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable
from typing import Any

from constantcontact_client.errors import NotFoundError
from constantcontact_client.timestamps import format_datetime
from target_constantcontact.calls import CallCounter
from target_constantcontact.model import ExistingContact

logger = logging.getLogger(__name__)

INCLUDE = "custom_fields,list_memberships,phone_numbers,street_addresses,taggings,notes"
PAGE_SIZE = 500
# Contact timestamps have second precision and the server clock is not ours.
CLOCK_MARGIN = dt.timedelta(minutes=2)
LOOKUPS_WITHOUT_COUNT = 2
_EVERY_CONTACT = {"status": "all", "include": INCLUDE, "limit": PAGE_SIZE}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class ContactDirectory:
    """Contacts of the target account by email (lower case) and by id."""

    def __init__(self, client: Any, calls: CallCounter) -> None:
        self._client = client
        self._calls = calls
        self._by_email: dict[str, ExistingContact] = {}
        self._by_id: dict[str, ExistingContact] = {}
        self._full_read_at: dt.datetime | None = None
        self._dirty_since: dt.datetime | None = None
        self._account_size: int | None = None  # `contacts_count`, learned once per run

    @property
    def has_full_copy(self) -> bool:
        return self._full_read_at is not None

    def get(self, match_key: str) -> ExistingContact | None:
        return self._by_email.get(match_key) or self._by_id.get(match_key)

    def remember(self, contact: ExistingContact) -> None:
        old = self._by_id.get(contact.contact_id)
        if old is not None and old.email.lower() != contact.email.lower():
            self._by_email.pop(old.email.lower(), None)
        self._by_id[contact.contact_id] = contact
        if contact.email:
            self._by_email[contact.email.lower()] = contact

    def touched(self) -> None:
        """Our own writes changed the account: the next batch refreshes from this moment."""
        if self._dirty_since is None:
            self._dirty_since = _now()

    def load(self, emails: Iterable[str], contact_ids: Iterable[str]) -> None:
        """Make sure every given contact that exists is known, choosing the cheaper read."""
        emails = sorted({email.lower() for email in emails})
        contact_ids = sorted(set(contact_ids))
        if self.has_full_copy:
            self._refresh()
            return
        wanted = len(emails) + len(contact_ids)
        if wanted == 0:
            return
        if self._account_size is None:
            if wanted <= LOOKUPS_WITHOUT_COUNT:
                self._lookup(emails, contact_ids)
            else:
                self._first_read(emails, contact_ids)
            return
        pages = max(1, math.ceil(self._account_size / PAGE_SIZE))
        if pages < wanted:
            logger.info(
                "Reading the target account once (%d pages) rather than %d lookups",
                pages,
                wanted,
            )
            started = _now()
            self._remember_pages(self._calls.pages(self._client, "/contacts", _EVERY_CONTACT))
            self._full_copy_read(started)
        else:
            self._lookup(emails, contact_ids)

    def _first_read(self, emails: list[str], contact_ids: list[str]) -> None:
        """Page 1 of the whole account, with its size; the rest only if cheaper than lookups."""
        started = _now()
        pages = self._calls.pages(
            self._client, "/contacts", {**_EVERY_CONTACT, "include_count": "true"}
        )
        first = next(pages)
        self._account_size = total = int(first.get("contacts_count") or 0)
        seen = [ExistingContact.from_api(resource) for resource in first.get("contacts") or []]
        for contact in seen:
            self.remember(contact)
        if self._client.next_href(first) is None:
            pages.close()
            self._full_copy_read(started)  # the first page held the whole account
            return
        seen_emails = {contact.email.lower() for contact in seen}
        seen_ids = {contact.contact_id for contact in seen}
        missing_emails = [email for email in emails if email not in seen_emails]
        missing_ids = [contact_id for contact_id in contact_ids if contact_id not in seen_ids]
        lookups = len(missing_emails) + len(missing_ids)
        pages_left = max(0, math.ceil(total / PAGE_SIZE) - 1)
        if pages_left < lookups:
            logger.info(
                "Reading the target account once (%d contacts, %d more pages) rather than "
                "%d lookups",
                total,
                pages_left,
                lookups,
            )
            self._remember_pages(pages)
            self._full_copy_read(started)
        else:
            pages.close()
            self._lookup(missing_emails, missing_ids)

    def _remember_pages(self, pages: Iterable[dict[str, Any]]) -> None:
        for body in pages:
            for resource in body.get("contacts") or []:
                self.remember(ExistingContact.from_api(resource))

    def _full_copy_read(self, started: dt.datetime) -> None:
        self._full_read_at = started
        self._dirty_since = None

    def _refresh(self) -> None:
        since = self._dirty_since or self._full_read_at or _now()
        started = _now()
        count = self._read_changed_since(since)
        logger.debug("Refreshed %d contacts changed since the last read", count)
        self._full_read_at = started
        self._dirty_since = None

    def _read_changed_since(self, since: dt.datetime) -> int:
        params = {**_EVERY_CONTACT, "updated_after": format_datetime(since - CLOCK_MARGIN)}
        count = 0
        for resource in self._calls.paginate(self._client, "/contacts", params, "contacts"):
            self.remember(ExistingContact.from_api(resource))
            count += 1
        return count

    def _lookup(self, emails: Iterable[str], contact_ids: Iterable[str]) -> None:
        for email in emails:
            self.find_email(email)
        for contact_id in contact_ids:
            try:
                resource = self._calls.get(
                    self._client, f"/contacts/{contact_id}", {"include": INCLUDE}
                )
            except NotFoundError:
                continue
            self.remember(ExistingContact.from_api(resource))

    def find_email(self, email: str) -> ExistingContact | None:
        """Look one email up now (deleted contacts included), whatever is already known."""
        body = self._calls.get(
            self._client, "/contacts", {"email": email, "status": "all", "include": INCLUDE}
        )
        found = None
        for resource in body.get("contacts") or []:
            contact = ExistingContact.from_api(resource)
            self.remember(contact)
            if contact.email.lower() == email.lower():
                found = contact
        return found

    def reread(self, emails: Iterable[str], since: dt.datetime) -> None:
        """Read back contacts written by bulk activities (new ids, verification)."""
        emails = sorted({email.lower() for email in emails})
        if not emails:
            return
        if len(emails) <= LOOKUPS_WITHOUT_COUNT or (
            not self.has_full_copy and len(emails) <= LOOKUPS_WITHOUT_COUNT * 2
        ):
            self._lookup(emails, [])
            return
        self._read_changed_since(since)
