"""The filters of GET /contacts, and a cache of their results.

Results are in creation order (created_at ascending, ties in creation order): the real order is
undocumented, so the emulator picks a stable one. A filtered result is computed once per
(filters, data version) and served to every page of that query from the cache, so paging through
100,000 contacts does not rescan them per page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from constantcontact_emulator import errors, segment_criteria
from constantcontact_emulator.params import (
    QueryParams,
    parse_csv_enum,
    parse_datetime,
    parse_uuid_csv,
)
from constantcontact_emulator.state import Contact, EmulatorState

STATUSES = (
    "all",
    "active",
    "deleted",
    "not_set",
    "pending_confirmation",
    "temp_hold",
    "unsubscribed",
)
SMS_STATUSES = ("all", "explicit", "unsubscribed", "pending_confirmation", "not_set")
_CACHE_SIZE = 32
_DATE_PARAMS = (
    "updated_after",
    "updated_before",
    "created_after",
    "created_before",
    "optout_after",
    "optout_before",
)


@dataclass(frozen=True)
class ContactFilter:
    statuses: frozenset[str] = frozenset()
    email: str | None = None
    lists: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    segment_id: int | None = None
    updated_after: float | None = None
    updated_before: float | None = None
    created_after: float | None = None
    created_before: float | None = None
    optout_after: float | None = None
    optout_before: float | None = None
    sms_statuses: frozenset[str] = frozenset()

    @classmethod
    def from_params(cls, params: QueryParams) -> ContactFilter:
        email = params.get("email")
        segment_raw = params.get("segment_id")
        segment_id = None
        if segment_raw:
            try:
                segment_id = int(segment_raw)
            except ValueError:
                raise errors.invalid_param(
                    "segment_id", segment_raw, "must be a segment id"
                ) from None
            others = [
                name
                for name in ("status", "email", "lists", "tags", "sms_status", *_DATE_PARAMS)
                if params.get(name)
            ]
            if others:
                raise errors.bad_request(
                    "'segment_id' can only be combined with 'limit' (and 'include'); "
                    f"remove {', '.join(others)}."
                )
        dates = {name: parse_datetime(name, params.get(name)) for name in _DATE_PARAMS}
        return cls(
            statuses=frozenset(parse_csv_enum("status", params.get("status"), STATUSES)),
            email=email.strip().lower() if email else None,
            lists=tuple(parse_uuid_csv("lists", params.get("lists"), max_items=25)),
            tags=tuple(parse_uuid_csv("tags", params.get("tags"), max_items=50)),
            segment_id=segment_id,
            sms_statuses=frozenset(
                parse_csv_enum("sms_status", params.get("sms_status"), SMS_STATUSES)
            ),
            **dates,
        )


def status_matches(contact: Contact, statuses: frozenset[str]) -> bool:
    """No status: every contact but deleted ones. `active`: neither deleted nor unsubscribed."""
    if not statuses:
        return not contact.is_deleted
    if "all" in statuses:
        return True
    if contact.is_deleted:
        return "deleted" in statuses
    permission = contact.permission or "not_set"
    if "active" in statuses and permission != "unsubscribed":
        return True
    return permission in statuses


def _sms_permission(contact: Contact) -> str:
    if contact.sms_channel is None or not contact.sms_channel.consents:
        return "not_set"
    return str(contact.sms_channel.consents[0].get("sms_consent_permission", "not_set"))


def _predicates(state: EmulatorState, f: ContactFilter) -> list[Callable[[Contact], bool]]:
    preds: list[Callable[[Contact], bool]] = []
    statuses = f.statuses
    preds.append(lambda c: status_matches(c, statuses))
    if f.email is not None:
        email = f.email
        preds.append(
            lambda c: c.email_address is not None and c.email_address.address.lower() == email
        )
    if f.lists:
        members = set().union(*(state.lists[lid].members for lid in f.lists if lid in state.lists))
        preds.append(lambda c: c.contact_id in members)
    if f.tags:
        tagged = set().union(*(state.tags[tid].members for tid in f.tags if tid in state.tags))
        preds.append(lambda c: c.contact_id in tagged)
    if f.segment_id is not None:
        segment = state.segments.get(f.segment_id)
        if segment is None:
            raise errors.not_found("segment", str(f.segment_id))
        preds.append(
            segment_criteria.compile_predicate(segment_criteria.parse(segment.segment_criteria))
        )
    # *_after bounds are inclusive and *_before bounds exclusive, so that adjacent windows
    # [a, b) [b, c) partition time (the real boundaries are undocumented).
    if f.updated_after is not None:
        bound = f.updated_after
        preds.append(lambda c: c.updated_at >= bound)
    if f.updated_before is not None:
        bound_before = f.updated_before
        preds.append(lambda c: c.updated_at < bound_before)
    if f.created_after is not None:
        created_after = f.created_after
        preds.append(lambda c: c.created_at >= created_after)
    if f.created_before is not None:
        created_before = f.created_before
        preds.append(lambda c: c.created_at < created_before)
    if f.optout_after is not None or f.optout_before is not None:
        low = f.optout_after if f.optout_after is not None else float("-inf")
        high = f.optout_before if f.optout_before is not None else float("inf")
        preds.append(
            lambda c: (
                c.email_address is not None
                and c.email_address.opt_out_date is not None
                and low <= c.email_address.opt_out_date < high
            )
        )
    if f.sms_statuses and "all" not in f.sms_statuses:
        sms = f.sms_statuses
        preds.append(lambda c: _sms_permission(c) in sms)
    return preds


def matching(state: EmulatorState, f: ContactFilter) -> tuple[list[Contact], list[int]]:
    """The contacts matching `f`, in order, and their `seq` keys (for keyset cursors)."""
    key = (f, state.version)
    cache = state.query_cache
    hit = cache.get(key)
    if hit is not None:
        cache.move_to_end(key)
        return hit
    preds = _predicates(state, f)
    if f.email is not None and f.email in state.contacts_by_email:
        candidates = [state.contacts[state.contacts_by_email[f.email]]]
    elif f.email is not None:
        candidates = []
    else:
        candidates = list(state.contacts.values())
    if len(preds) == 1:
        pred = preds[0]
        result = [c for c in candidates if pred(c)]
    else:
        result = [c for c in candidates if all(p(c) for p in preds)]
    value = (result, [c.seq for c in result])
    for stale in [k for k in cache if k[1] != state.version]:
        del cache[stale]
    cache[key] = value
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)
    return value
