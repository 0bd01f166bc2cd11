"""The current state of the target account's contacts, read at the lowest cost in calls.

The planner needs every affected contact as the account holds it. Two ways to get them:
- one lookup per contact (`GET /contacts?email=&status=all`, or `GET /contacts/{id}`);
- one read of the whole account (`GET /contacts?status=all&limit=500`), cached for the run and
  refreshed with `updated_after` for later batches.
The first page of the full read tells the account's size (`include_count`), so the choice is
made on real numbers: the full read continues only when it costs fewer calls than lookups.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable
from typing import Any

from constantcontact_client.errors import NotFoundError
from target_constantcontact.calls import CallCounter
from target_constantcontact.model import ExistingContact

logger = logging.getLogger(__name__)

INCLUDE = "custom_fields,list_memberships,phone_numbers,street_addresses,taggings,notes"
PAGE_SIZE = 500
# Contact timestamps have second precision and the server clock is not ours.
CLOCK_MARGIN = dt.timedelta(minutes=2)
LOOKUPS_WITHOUT_COUNT = 2


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class ContactDirectory:
    """Contacts of the target account by email (lower case) and by id."""

    def __init__(self, client: Any, calls: CallCounter) -> None:
        self._client = client
        self._calls = calls
        self._by_email: dict[str, ExistingContact] = {}
        self._by_id: dict[str, ExistingContact] = {}
        self._full_read_at: dt.datetime | None = None
        self._dirty_since: dt.datetime | None = None

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
        if wanted <= LOOKUPS_WITHOUT_COUNT:
            self._lookup(emails, contact_ids)
            return
        first = self._calls.get(
            self._client,
            "/contacts",
            {"status": "all", "include": INCLUDE, "limit": PAGE_SIZE, "include_count": "true"},
        )
        started = _now()
        for resource in first.get("contacts") or []:
            self.remember(ExistingContact.from_api(resource))
        total = int(first.get("contacts_count") or 0)
        pages_left = max(0, math.ceil(total / PAGE_SIZE) - 1)
        next_href = ((first.get("_links") or {}).get("next") or {}).get("href")
        missing_emails = [email for email in emails if email not in self._by_email]
        missing_ids = [cid for cid in contact_ids if cid not in self._by_id]
        lookups = len(missing_emails) + len(missing_ids)
        if next_href and pages_left < lookups:
            logger.info(
                "Reading the target account once (%d contacts, %d more pages) rather than "
                "%d lookups",
                total,
                pages_left,
                lookups,
            )
            for resource in self._calls.paginate(self._client, next_href, {}, "contacts"):
                self.remember(ExistingContact.from_api(resource))
            self._full_read_at = started
            self._dirty_since = None
        elif next_href:
            self._lookup(missing_emails, missing_ids)
        else:
            self._full_read_at = started  # the first page held the whole account
            self._dirty_since = None

    def _refresh(self) -> None:
        since = self._dirty_since or self._full_read_at or _now()
        started = _now()
        params = {
            "status": "all",
            "include": INCLUDE,
            "limit": PAGE_SIZE,
            "updated_after": _iso(since - CLOCK_MARGIN),
        }
        count = 0
        for resource in self._calls.paginate(self._client, "/contacts", params, "contacts"):
            self.remember(ExistingContact.from_api(resource))
            count += 1
        logger.debug("Refreshed %d contacts changed since the last read", count)
        self._full_read_at = started
        self._dirty_since = None

    def _lookup(self, emails: list[str], contact_ids: list[str]) -> None:
        for email in emails:
            body = self._calls.get(
                self._client, "/contacts", {"email": email, "status": "all", "include": INCLUDE}
            )
            for resource in body.get("contacts") or []:
                self.remember(ExistingContact.from_api(resource))
        for contact_id in contact_ids:
            if contact_id in self._by_id:
                continue
            try:
                resource = self._calls.get(
                    self._client, f"/contacts/{contact_id}", {"include": INCLUDE}
                )
            except NotFoundError:
                continue
            self.remember(ExistingContact.from_api(resource))

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
        params = {
            "status": "all",
            "include": INCLUDE,
            "limit": PAGE_SIZE,
            "updated_after": _iso(since - CLOCK_MARGIN),
        }
        for resource in self._calls.paginate(self._client, "/contacts", params, "contacts"):
            self.remember(ExistingContact.from_api(resource))
