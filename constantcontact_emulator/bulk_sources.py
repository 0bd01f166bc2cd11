"""The `source` of a list-membership or tagging activity: which contacts it works on.

Sources are mutually exclusive (exactly one per request, 400 otherwise):
- `contact_ids` (<= 500): those contacts, in the given order; an unknown id is an activity error;
- `list_ids` (<= 50): members of any of the lists;
- `tag_ids` (<= 50): contacts with any of the tags;
- `all_active_contacts: true`: every contact neither deleted nor unsubscribed;
- `new_subscriber: true`: contacts subscribed in the last 30 days;
- `segment_id`: contacts matching the segment's criteria;
- `engagement_level`: `high`, `medium`, `low` or `none`, from the contact's opens (1 point)
  and clicks (2 points) in the campaign tracking data: high >= 6, medium 3-5, low 1-2
  (the real levels are undocumented; this is the emulator's reading).
Which sources an activity accepts comes from the spec. `exclude.contact_ids` only goes with
`all_active_contacts` or `list_ids`. Lists, tags and segments named must exist (400). Every
source but `contact_ids` leaves deleted contacts out. The set is resolved when the job runs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from constantcontact_emulator import contact_query, errors, segment_criteria
from constantcontact_emulator.contacts import SUBSCRIBED
from constantcontact_emulator.params import Fields
from constantcontact_emulator.state import Contact, EmulatorState

NEW_SUBSCRIBER_SECONDS = 30 * 86400
ENGAGEMENT_LEVELS = ("high", "medium", "low", "none")
EXCLUDABLE = ("all_active_contacts", "list_ids")

# per activity: source key -> maximum ids (0: a flag or a single value)
ADD_LIST_SOURCES: Mapping[str, int] = {
    "contact_ids": 500,
    "list_ids": 50,
    "tag_ids": 50,
    "all_active_contacts": 0,
    "engagement_level": 0,
    "segment_id": 0,
}
REMOVE_LIST_SOURCES: Mapping[str, int] = {
    "contact_ids": 500,
    "list_ids": 50,
    "tag_ids": 50,
    "all_active_contacts": 0,
    "engagement_level": 0,
}
TAGGING_SOURCES: Mapping[str, int] = {
    "contact_ids": 500,
    "list_ids": 50,
    "tag_ids": 50,
    "all_active_contacts": 0,
    "new_subscriber": 0,
}


def parse_source(state: EmulatorState, body: Fields, allowed: Mapping[str, int]) -> dict[str, Any]:
    """Validate `source` and `exclude`; returns `{"source": {key: value}, "exclude": [...]}`."""
    source = body.obj("source", required=True)
    if source is None:  # obj(required=True) raised already; this keeps typing honest
        raise errors.bad_request("'source' is required.")
    unknown = sorted(k for k in source.data if k not in allowed)
    if unknown:
        raise errors.bad_request(
            f"Invalid 'source.{unknown[0]}': not a source of this activity; "
            f"use one of {', '.join(allowed)}."
        )
    given = {key: _source_value(state, source, key, limit) for key, limit in allowed.items()}
    given = {key: value for key, value in given.items() if value is not None}
    if len(given) != 1:
        names = ", ".join(given) if given else "none"
        raise errors.bad_request(
            f"'source' must have exactly one of {', '.join(allowed)} (got {names})."
        )
    exclude: list[str] = []
    exclude_obj = body.obj("exclude")
    if exclude_obj is not None:
        exclude = exclude_obj.id_list("contact_ids", max_items=10_000) or []
        if exclude and not set(given) & set(EXCLUDABLE):
            raise errors.bad_request(
                "'exclude' only works with the all_active_contacts or list_ids source."
            )
    return {"source": given, "exclude": exclude}


def _source_value(state: EmulatorState, source: Fields, key: str, limit: int) -> Any:
    if key in ("all_active_contacts", "new_subscriber"):
        return True if source.boolean(key) else None
    if key == "engagement_level":
        return source.string(key, allowed=ENGAGEMENT_LEVELS)
    if key == "segment_id":
        segment_id = source.integer(key, minimum=1)
        if segment_id is not None:
            segment = state.segments.get(segment_id)
            if segment is None or segment.deleted_at is not None:
                raise errors.bad_request(
                    f"Invalid 'source.segment_id': segment {segment_id} does not exist."
                )
        return segment_id
    ids = source.id_list(key, max_items=limit)
    if not ids:
        return None
    if key == "list_ids":
        _check_exist(ids, lambda i: i in state.lists and state.lists[i].deleted_at is None, key)
    elif key == "tag_ids":
        _check_exist(ids, lambda i: i in state.tags, key)
    return ids


def _check_exist(ids: list[str], exists: Any, key: str) -> None:
    for item in ids:
        if not exists(item):
            kind = "list" if key == "list_ids" else "tag"
            raise errors.bad_request(f"Invalid 'source.{key}': {kind} {item} does not exist.")


def estimate(state: EmulatorState, parsed: dict[str, Any], now: float) -> int:
    """How many contacts the source holds now (sizes the job before it runs)."""
    contacts, missing = resolve(state, parsed, now)
    return len(contacts) + len(missing)


def resolve(
    state: EmulatorState, parsed: dict[str, Any], now: float
) -> tuple[list[Contact], list[str]]:
    """The contacts of the source (minus `exclude`), and the contact ids not found."""
    ((key, value),) = parsed["source"].items()
    excluded = set(parsed.get("exclude") or ())
    missing: list[str] = []
    if key == "contact_ids":
        found = []
        for contact_id in dict.fromkeys(value):
            contact = state.contacts.get(contact_id)
            if contact is None:
                missing.append(contact_id)
            else:
                found.append(contact)
        return [c for c in found if c.contact_id not in excluded], missing
    wanted = _matcher(state, key, value, now)
    return [
        c
        for c in state.contacts.values()
        if not c.is_deleted and c.contact_id not in excluded and wanted(c)
    ], missing


def _matcher(state: EmulatorState, key: str, value: Any, now: float) -> Any:
    if key in ("list_ids", "tag_ids"):
        pool: Mapping[str, Any] = state.lists if key == "list_ids" else state.tags
        members = set().union(*(pool[i].members for i in value if i in pool))
        return lambda c: c.contact_id in members
    if key == "all_active_contacts":
        active = frozenset({"active"})
        return lambda c: contact_query.status_matches(c, active)
    if key == "new_subscriber":
        since = now - NEW_SUBSCRIBER_SECONDS
        return lambda c: is_new_subscriber(c, since)
    if key == "segment_id":
        segment = state.segments.get(value)
        if segment is None or segment.deleted_at is not None:
            return lambda c: False
        return segment_criteria.compile_predicate(segment_criteria.parse(segment.segment_criteria))
    scores = engagement_scores(state)
    return lambda c: engagement_level(scores.get(c.contact_id, 0)) == value


def is_new_subscriber(contact: Contact, since: float) -> bool:
    email = contact.email_address
    return (
        email is not None
        and email.permission_to_send in SUBSCRIBED
        and email.opt_in_date is not None
        and email.opt_in_date >= since
    )


def engagement_scores(state: EmulatorState) -> Counter[str]:
    scores: Counter[str] = Counter()
    for events in state.tracking_events.values():
        for event in events:
            # stored events (routes/campaigns_model.TrackingEvent) or report-shaped rows
            kind = _field(event, "kind") or _field(event, "tracking_activity_type")
            if kind in ("em_opens", "em_clicks"):
                scores[str(_field(event, "contact_id"))] += 2 if kind == "em_clicks" else 1
    return scores


def engagement_level(score: int) -> str:
    if score >= 6:
        return "high"
    if score >= 3:
        return "medium"
    return "low" if score >= 1 else "none"


def _field(event: Any, name: str) -> Any:
    return event.get(name) if isinstance(event, dict) else getattr(event, name, None)


def describe(contact: Contact) -> str:
    """How a contact is named in `activity_errors`: its id and email."""
    email = contact.email_address.address if contact.email_address is not None else "no email"
    return f"Contact {contact.contact_id} ({email})"
