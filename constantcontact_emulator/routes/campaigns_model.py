"""Email campaigns, their activities and tracking events: the stored objects and the rules that
change them. The `/emails` routes, the seed and the admin actions all go through these functions,
so the rules live in one place.

Where they live (state.py): `state.campaigns` (campaign_id -> Campaign, creation order),
`state.campaign_activities` (campaign_activity_id -> CampaignActivity) and
`state.tracking_events` (campaign_activity_id -> [TrackingEvent], oldest first).

Timestamps are whole seconds: the real API writes campaign and report times as `...:08.000Z`.
"""

from __future__ import annotations

import random
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from constantcontact_emulator import errors
from constantcontact_emulator.params import is_uuid
from constantcontact_emulator.state import Contact, EmulatorState, new_id

# type_code -> (`type`, the summary report's `campaign_type`). The spec lists the codes and
# their names; the upper-case `type` spellings other than NEWSLETTER are inferred.
CAMPAIGN_TYPES: dict[int, tuple[str, str]] = {
    1: ("DEFAULT", "Default"),
    2: ("BULK_EMAIL", "Bulk Email"),
    10: ("NEWSLETTER", "Newsletter"),
    11: ("ANNOUNCEMENT", "Announcement"),
    12: ("PRODUCT_SERVICE_NEWS", "Product/Service News"),
    14: ("BUSINESS_LETTER", "Business Letter"),
    15: ("CARD", "Card"),
    16: ("PRESS_RELEASE", "Press Release"),
    17: ("FLYER", "Flyer"),
    18: ("FEEDBACK_REQUEST", "Feedback Request"),
    19: ("RATINGS_AND_REVIEWS", "Ratings and Reviews"),
    20: ("EVENT_ANNOUNCEMENT", "Event Announcement"),
    21: ("SIMPLE_COUPON", "Simple Coupon"),
    22: ("SALE_PROMOTION", "Sale Promotion"),
    23: ("PRODUCT_PROMOTION", "Product Promotion"),
    24: ("MEMBERSHIP_DRIVE", "Membership Drive"),
    25: ("FUNDRAISER", "Fundraiser"),
    26: ("CUSTOM_CODE_EMAIL", "Custom Code Email"),
    57: ("A_B_TEST", "A/B Test"),
}
CUSTOM_CODE = 26
NEWSLETTER = 10

# Activity statuses are upper case; the campaign shows the same status in title case.
DRAFT, SCHEDULED, EXECUTING, DONE, ERROR, REMOVED = (
    "DRAFT",
    "SCHEDULED",
    "EXECUTING",
    "DONE",
    "ERROR",
    "REMOVED",
)
PRIMARY, PERMALINK, RESEND = "primary_email", "permalink", "resend"
# Roles whose sends are tracked and reported.
REPORTED_ROLES = (PRIMARY, RESEND)

# Stored tracking event kinds. Did-not-opens and unique opens are derived from these.
SENDS, OPENS, CLICKS, FORWARDS, OPTOUTS, BOUNCES = (
    "em_sends",
    "em_opens",
    "em_clicks",
    "em_forwards",
    "em_optouts",
    "em_bounces",
)
DIDNOTOPENS = "em_didnotopens"
# Spam complaints: counted in the stats (`em_abuse`, `abuse`); no tracking report lists them.
ABUSE = "em_abuse"

# Sendable contacts (pending_confirmation and not_set addresses are not mailed).
SENDABLE_PERMISSIONS = frozenset({"implicit", "explicit"})
NAME_MAX = 80


def whole_seconds(ts: float) -> float:
    return float(int(ts))


def campaign_status(activity_status: str) -> str:
    return activity_status.title()


@dataclass(slots=True)
class Link:
    url_id: str
    link_url: str


@dataclass(slots=True)
class SendRecord:
    send_id: int
    contact_list_ids: list[str]
    segment_ids: list[int]
    count: int
    run_date: float
    send_status: str  # COMPLETED | ERRORED
    reason_code: int


@dataclass(slots=True)
class ActivityContent:
    """What the user writes: the editable part of an email campaign activity."""

    from_email: str
    from_name: str
    reply_to_email: str
    subject: str
    preheader: str | None = None
    html_content: str | None = None
    physical_address_in_footer: dict[str, Any] | None = None
    document_properties: dict[str, Any] | None = None


@dataclass(slots=True)
class CampaignActivity:
    campaign_activity_id: str
    campaign_id: str
    role: str
    current_status: str
    format_type: int
    content: ActivityContent
    contact_list_ids: list[str] = field(default_factory=list)
    segment_ids: list[int] = field(default_factory=list)
    document_id: str | None = None
    permalink_url: str | None = None
    scheduled_date: float | None = None
    links: list[Link] = field(default_factory=list)
    send_history: list[SendRecord] = field(default_factory=list)


@dataclass(slots=True)
class Campaign:
    campaign_id: str
    seq: int
    name: str
    type_code: int
    current_status: str  # Draft, Scheduled, Executing, Done, Error, Removed
    created_at: float
    updated_at: float
    activity_ids: list[str] = field(default_factory=list)

    @property
    def type(self) -> str:
        return CAMPAIGN_TYPES.get(self.type_code, ("NEWSLETTER", "Newsletter"))[0]

    @property
    def type_name(self) -> str:
        return CAMPAIGN_TYPES.get(self.type_code, ("NEWSLETTER", "Newsletter"))[1]

    @property
    def removed(self) -> bool:
        return self.current_status == "Removed"


@dataclass(slots=True)
class TrackingEvent:
    seq: int  # global insertion order; breaks ties between equal times
    kind: str
    contact_id: str
    email_address: str  # the address the email went to
    created_time: float
    device_type: str | None = None
    url_id: str | None = None
    link_url: str | None = None
    bounce_code: str | None = None
    opt_out_reason: str | None = None


COUNTERS_KEY = "campaigns.counters"


@dataclass
class Counters:
    next_campaign_seq: int = 0
    next_event_seq: int = 0


def counters(state: EmulatorState) -> Counters:
    found = state.extension_data.get(COUNTERS_KEY)
    if not isinstance(found, Counters):
        found = Counters(
            next_campaign_seq=max((c.seq for c in state.campaigns.values()), default=-1) + 1,
            next_event_seq=max(
                (e.seq for events in state.tracking_events.values() for e in events), default=-1
            )
            + 1,
        )
        state.extension_data[COUNTERS_KEY] = found
    return found


# --- look-ups ---------------------------------------------------------------------------------


def get_campaign(state: EmulatorState, campaign_id: str) -> Campaign:
    campaign = state.campaigns.get(campaign_id) if is_uuid(campaign_id) else None
    if campaign is None:
        raise errors.not_found("email campaign", campaign_id)
    return campaign


def get_activity(
    state: EmulatorState, activity_id: str, *, removed_ok: bool = False
) -> CampaignActivity:
    """The activity, or 404; a REMOVED activity is not found unless `removed_ok`."""
    activity = state.campaign_activities.get(activity_id) if is_uuid(activity_id) else None
    if activity is None or (activity.current_status == REMOVED and not removed_ok):
        raise errors.not_found("email campaign activity", activity_id)
    return activity


def activities_of(state: EmulatorState, campaign: Campaign) -> list[CampaignActivity]:
    return [state.campaign_activities[a] for a in campaign.activity_ids]


def primary_activity(state: EmulatorState, campaign: Campaign) -> CampaignActivity:
    return next(a for a in activities_of(state, campaign) if a.role == PRIMARY)


def events_of(state: EmulatorState, activity_id: str) -> list[TrackingEvent]:
    return state.tracking_events.get(activity_id, [])


def find_campaign_by_name(
    state: EmulatorState, name: str, *, exclude: str | None = None
) -> Campaign | None:
    """A campaign (Removed ones excluded) with this name, compared case-insensitively."""
    lowered = name.strip().lower()
    for campaign in state.campaigns.values():
        if (
            not campaign.removed
            and campaign.campaign_id != exclude
            and campaign.name.strip().lower() == lowered
        ):
            return campaign
    return None


def last_sent(activity: CampaignActivity) -> float | None:
    runs = [s.run_date for s in activity.send_history if s.send_status == "COMPLETED"]
    return max(runs) if runs else None


def sendable(contact: Contact) -> bool:
    return not contact.is_deleted and contact.permission in SENDABLE_PERMISSIONS


def list_recipients(state: EmulatorState, list_ids: Iterable[str]) -> list[Contact]:
    """Sendable members of the lists, each once, in contact creation order."""
    ids: set[str] = set()
    for list_id in list_ids:
        contact_list = state.lists.get(list_id)
        if contact_list is not None and contact_list.deleted_at is None:
            ids.update(contact_list.members)
    members = [state.contacts[i] for i in ids if i in state.contacts]
    return sorted((c for c in members if sendable(c)), key=lambda c: c.seq)


# --- changes ----------------------------------------------------------------------------------


def check_name(state: EmulatorState, name: str, *, exclude: str | None = None) -> None:
    if find_campaign_by_name(state, name, exclude=exclude) is not None:
        raise errors.conflict(
            f"Validation failed: an email campaign named '{name}' already exists."
        )


def create_campaign(
    state: EmulatorState,
    *,
    name: str,
    content: ActivityContent,
    format_type: int,
    type_code: int,
    now: float,
    contact_list_ids: Sequence[str] = (),
    document_id: str | None = None,
    links: Sequence[Link] = (),
    rng: random.Random | None = None,
) -> Campaign:
    """A Draft campaign with its `primary_email` and `permalink` activities."""
    check_name(state, name)
    ids = rng or state.rng
    now = whole_seconds(now)
    numbers = counters(state)
    campaign = Campaign(
        campaign_id=new_id(ids),
        seq=numbers.next_campaign_seq,
        name=name,
        type_code=type_code,
        current_status="Draft",
        created_at=now,
        updated_at=now,
    )
    numbers.next_campaign_seq += 1
    for role in (PRIMARY, PERMALINK):
        activity = CampaignActivity(
            campaign_activity_id=new_id(ids),
            campaign_id=campaign.campaign_id,
            role=role,
            current_status=DRAFT,
            format_type=format_type,
            content=content,
            contact_list_ids=list(contact_list_ids) if role == PRIMARY else [],
            document_id=document_id,
            links=list(links),
        )
        state.campaign_activities[activity.campaign_activity_id] = activity
        campaign.activity_ids.append(activity.campaign_activity_id)
    state.campaigns[campaign.campaign_id] = campaign
    return campaign


def rename_campaign(state: EmulatorState, campaign: Campaign, name: str, *, now: float) -> None:
    if campaign.removed:
        raise errors.bad_request(
            f"The email campaign {campaign.campaign_id} has the Removed status and cannot be "
            "renamed."
        )
    check_name(state, name, exclude=campaign.campaign_id)
    campaign.name = name
    campaign.updated_at = whole_seconds(now)


def edit_content(
    state: EmulatorState, campaign: Campaign, content: ActivityContent, *, now: float
) -> None:
    """A change to the email itself (subject, body...): every activity shares the content."""
    for activity in activities_of(state, campaign):
        activity.content = content
    campaign.updated_at = whole_seconds(now)


def remove_campaign(state: EmulatorState, campaign: Campaign, *, now: float) -> None:
    """DELETE: the campaign becomes Removed (still listed); its activities become REMOVED."""
    if campaign.removed:
        raise errors.not_found("email campaign", campaign.campaign_id)
    if campaign.current_status == "Scheduled":
        raise errors.bad_request(
            f"The email campaign {campaign.campaign_id} is Scheduled; unschedule it before "
            "deleting it."
        )
    campaign.current_status = "Removed"
    campaign.updated_at = whole_seconds(now)
    for activity in activities_of(state, campaign):
        activity.current_status = REMOVED


def schedule(
    state: EmulatorState, campaign: Campaign, *, scheduled_date: float, now: float
) -> None:
    for activity in activities_of(state, campaign):
        activity.current_status = SCHEDULED
        if activity.role == PRIMARY:
            activity.scheduled_date = whole_seconds(scheduled_date)
    campaign.current_status = "Scheduled"
    campaign.updated_at = whole_seconds(now)


def permalink_url(rng: random.Random) -> str:
    alphabet = string.ascii_letters + string.digits
    return "https://conta.cc/" + "".join(rng.choice(alphabet) for _ in range(7))


def new_event(
    state: EmulatorState, kind: str, contact: Contact, created_time: float, **extra: Any
) -> TrackingEvent:
    numbers = counters(state)
    address = contact.email_address.address if contact.email_address else ""
    event = TrackingEvent(
        seq=numbers.next_event_seq,
        kind=kind,
        contact_id=contact.contact_id,
        email_address=address,
        created_time=whole_seconds(created_time),
        **extra,
    )
    numbers.next_event_seq += 1
    return event


def store_events(state: EmulatorState, activity_id: str, events: Iterable[TrackingEvent]) -> None:
    """Add events, keeping the activity's list ordered by (created_time, seq)."""
    stored = state.tracking_events.setdefault(activity_id, [])
    stored.extend(events)
    stored.sort(key=lambda e: (e.created_time, e.seq))


def record_send(
    state: EmulatorState,
    campaign: Campaign,
    activity: CampaignActivity,
    recipients: Sequence[Contact],
    *,
    run_date: float,
    rng: random.Random | None = None,
    sends_per_second: float | None = None,
) -> list[TrackingEvent]:
    """Send the activity at `run_date`: one `em_sends` event per recipient, a send-history
    entry (count 0 gives reason_code 12, as the API does), status DONE, a permalink.

    With `sends_per_second` the sends spread over time from `run_date` (for seeded history);
    without, all happen at `run_date` (a send now must not create events in the future)."""
    run_date = whole_seconds(run_date)
    rate = sends_per_second or 0.0
    events = [
        new_event(state, SENDS, contact, run_date + (int(index / rate) if rate else 0))
        for index, contact in enumerate(recipients)
    ]
    activity.send_history.append(
        SendRecord(
            send_id=len(activity.send_history) + 1,
            contact_list_ids=list(activity.contact_list_ids),
            segment_ids=list(activity.segment_ids),
            count=len(events),
            run_date=run_date,
            send_status="COMPLETED",
            reason_code=0 if events else 12,
        )
    )
    activity.scheduled_date = None
    store_events(state, activity.campaign_activity_id, events)
    finished = events[-1].created_time if events else run_date
    for each in activities_of(state, campaign):
        each.current_status = DONE
        if each.permalink_url is None:
            each.permalink_url = permalink_url(rng or state.rng)
    campaign.current_status = "Done"
    campaign.updated_at = max(campaign.updated_at, finished)
    return events


def add_resend(
    state: EmulatorState,
    campaign: Campaign,
    *,
    subject: str,
    rng: random.Random | None = None,
) -> CampaignActivity:
    """A `resend` activity (to non-openers) with the primary's content and a new subject."""
    primary = primary_activity(state, campaign)
    content = ActivityContent(
        from_email=primary.content.from_email,
        from_name=primary.content.from_name,
        reply_to_email=primary.content.reply_to_email,
        subject=subject,
        preheader=primary.content.preheader,
        html_content=primary.content.html_content,
        physical_address_in_footer=primary.content.physical_address_in_footer,
        document_properties=primary.content.document_properties,
    )
    activity = CampaignActivity(
        campaign_activity_id=new_id(rng or state.rng),
        campaign_id=campaign.campaign_id,
        role=RESEND,
        current_status=DRAFT,
        format_type=primary.format_type,
        content=content,
        contact_list_ids=list(primary.contact_list_ids),
        segment_ids=list(primary.segment_ids),
        document_id=primary.document_id,
        links=list(primary.links),
    )
    state.campaign_activities[activity.campaign_activity_id] = activity
    campaign.activity_ids.append(activity.campaign_activity_id)
    return activity
