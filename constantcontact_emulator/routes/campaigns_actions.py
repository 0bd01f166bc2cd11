"""Campaign kinds of `POST /_emulator/actions`: what a person does in the Constant Contact UI,
now. Each returns the affected ids under its own key:

- `campaign_create` -> `campaigns_created`: new Draft campaigns (email editor, format 4);
- `campaign_update` -> `campaigns_updated`: renames a campaign, or edits a Draft's subject;
  either way its `updated_at` moves;
- `campaign_delete` -> `campaigns_deleted`: campaigns that are not Scheduled become Removed;
- `campaign_send` -> `campaigns_sent`: sends Drafts now to their lists (creating Drafts if
  there are too few);
- `tracking` -> `tracking`: new tracking events now, on the 3 most recently sent activities.

`tracking` mixes opens, clicks, forwards, late bounces and opt-outs among each activity's
recipients, keeping the reports consistent (no opens after a bounce, clicks and forwards only by
openers); an opt-out also unsubscribes the contact (source Contact), as the real unsubscribe
link does. Its answer lists `{campaign_id, campaign_activity_id, contact_id,
tracking_activity_type, created_time}` per event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

from constantcontact_emulator import contacts
from constantcontact_emulator.routes.campaigns_model import (
    BOUNCES,
    CLICKS,
    DONE,
    FORWARDS,
    NEWSLETTER,
    OPENS,
    OPTOUTS,
    REPORTED_ROLES,
    SENDS,
    ActivityContent,
    Campaign,
    CampaignActivity,
    TrackingEvent,
    activities_of,
    create_campaign,
    edit_content,
    last_sent,
    list_recipients,
    new_event,
    primary_activity,
    record_send,
    remove_campaign,
    rename_campaign,
    store_events,
)
from constantcontact_emulator.seed_campaigns import (
    BOUNCE_CODES,
    DEVICES,
    MAX_SENDS_PER_ACTIVITY,
    CampaignWriter,
    weighted,
)
from constantcontact_emulator.state import Contact, EmulatorState, new_id
from constantcontact_emulator.timefmt import iso_millis

TRACKING_KINDS = ((OPENS, 45), (CLICKS, 25), (FORWARDS, 8), (BOUNCES, 7), (OPTOUTS, 5))
RECENT_ACTIVITIES = 3
OPT_OUT_REASONS = (
    "I am no longer interested in this service.",
    "Too many emails.",
    "The content is not relevant to me.",
    None,
)


def _writer(state: EmulatorState) -> CampaignWriter:
    fake = state.extension_data.get("campaigns_faker")
    if not isinstance(fake, Faker):
        fake = Faker("en_US")
        fake.seed_instance(state.rng.getrandbits(32))
        state.extension_data["campaigns_faker"] = fake
    return CampaignWriter(state, fake, state.rng)


def _popular_lists(state: EmulatorState) -> list[str]:
    active = [lst for lst in state.lists.values() if lst.deleted_at is None]
    return [lst.list_id for lst in sorted(active, key=lambda lst: -len(lst.members))]


def _new_draft(state: EmulatorState, writer: CampaignWriter, now: float) -> Campaign:
    name, subject, preheader = writer.title(NEWSLETTER, now)
    links = writer.links()
    popular = _popular_lists(state)
    lists = [state.rng.choice(popular[:3])] if popular and state.rng.random() < 0.5 else []
    return create_campaign(
        state,
        name=name,
        content=writer.content(subject, preheader, 4, links),
        format_type=4,
        type_code=NEWSLETTER,
        now=now,
        contact_list_ids=lists,
        document_id=new_id(state.rng),
        links=links,
    )


def campaign_create(state: EmulatorState, n: int, now: float) -> dict[str, list[Any]]:
    writer = _writer(state)
    return {"campaigns_created": [_new_draft(state, writer, now).campaign_id for _ in range(n)]}


def campaign_update(state: EmulatorState, n: int, now: float) -> dict[str, list[Any]]:
    writer = _writer(state)
    eligible = [c for c in state.campaigns.values() if not c.removed]
    chosen = state.rng.sample(eligible, min(n, len(eligible)))
    for campaign in chosen:
        if campaign.current_status == "Draft":
            old = primary_activity(state, campaign).content
            _, subject, _ = writer.title(campaign.type_code, now)
            edit_content(
                state,
                campaign,
                ActivityContent(
                    from_email=old.from_email,
                    from_name=old.from_name,
                    reply_to_email=old.reply_to_email,
                    subject=subject,
                    preheader=old.preheader,
                    html_content=old.html_content,
                    physical_address_in_footer=old.physical_address_in_footer,
                    document_properties=old.document_properties,
                ),
                now=now,
            )
        else:
            name, _, _ = writer.title(campaign.type_code, now)
            rename_campaign(state, campaign, name, now=now)
    return {"campaigns_updated": [c.campaign_id for c in chosen]}


def campaign_delete(state: EmulatorState, n: int, now: float) -> dict[str, list[Any]]:
    eligible = [
        c for c in state.campaigns.values() if not c.removed and c.current_status != "Scheduled"
    ]
    chosen = state.rng.sample(eligible, min(n, len(eligible)))
    for campaign in chosen:
        remove_campaign(state, campaign, now=now)
    return {"campaigns_deleted": [c.campaign_id for c in chosen]}


def campaign_send(state: EmulatorState, n: int, now: float) -> dict[str, list[Any]]:
    """Send Drafts now to their lists (at most MAX_SENDS_PER_ACTIVITY sampled recipients)."""
    rng = state.rng
    drafts = [c for c in state.campaigns.values() if c.current_status == "Draft"]
    chosen = rng.sample(drafts, min(n, len(drafts)))
    writer = _writer(state)
    chosen.extend(_new_draft(state, writer, now) for _ in range(n - len(chosen)))
    popular = _popular_lists(state)
    for campaign in chosen:
        primary = primary_activity(state, campaign)
        if not primary.contact_list_ids and popular:
            primary.contact_list_ids = [popular[0]]
        recipients = list_recipients(state, primary.contact_list_ids)
        if len(recipients) > MAX_SENDS_PER_ACTIVITY:
            recipients = sorted(rng.sample(recipients, MAX_SENDS_PER_ACTIVITY), key=lambda c: c.seq)
        record_send(state, campaign, primary, recipients, run_date=now)
    return {"campaigns_sent": [c.campaign_id for c in chosen]}


@dataclass
class _Audience:
    """What the recipients of one sent activity have done so far."""

    activity: CampaignActivity
    sent: list[str] = field(default_factory=list)
    opened: dict[str, str | None] = field(default_factory=dict)  # contact -> last device
    bounced: set[str] = field(default_factory=set)
    opted_out: set[str] = field(default_factory=set)

    @classmethod
    def of(cls, activity: CampaignActivity, events: list[TrackingEvent]) -> _Audience:
        audience = cls(activity)
        seen: set[str] = set()
        for event in events:
            if event.kind == SENDS and event.contact_id not in seen:
                seen.add(event.contact_id)
                audience.sent.append(event.contact_id)
            else:
                audience.note(event)
        return audience

    def note(self, event: TrackingEvent) -> None:
        if event.kind == OPENS:
            self.opened[event.contact_id] = event.device_type
        elif event.kind == BOUNCES:
            self.bounced.add(event.contact_id)
        elif event.kind == OPTOUTS:
            self.opted_out.add(event.contact_id)


def _recent_activities(state: EmulatorState) -> list[CampaignActivity]:
    sent = []
    for campaign in state.campaigns.values():
        if campaign.removed:
            continue
        for activity in activities_of(state, campaign):
            when = last_sent(activity)
            if activity.role in REPORTED_ROLES and activity.current_status == DONE and when:
                sent.append((when, activity))
    sent.sort(key=lambda item: item[0], reverse=True)
    return [activity for _, activity in sent[:RECENT_ACTIVITIES]]


def tracking(state: EmulatorState, n: int, now: float) -> dict[str, list[Any]]:
    rng = state.rng
    audiences = [
        _Audience.of(a, state.tracking_events.get(a.campaign_activity_id, []))
        for a in _recent_activities(state)
    ]
    audiences = [a for a in audiences if a.sent]
    made: list[tuple[CampaignActivity, TrackingEvent]] = []
    for _ in range(n if audiences else 0):
        audience = rng.choice(audiences)
        event = _track(state, audience, weighted(rng, TRACKING_KINDS), now)
        if event is not None:
            audience.note(event)
            made.append((audience.activity, event))
    for audience in audiences:
        mine = [e for a, e in made if a is audience.activity]
        if mine:
            store_events(state, audience.activity.campaign_activity_id, mine)
    return {
        "tracking": [
            {
                "campaign_id": activity.campaign_id,
                "campaign_activity_id": activity.campaign_activity_id,
                "contact_id": event.contact_id,
                "tracking_activity_type": event.kind,
                "created_time": iso_millis(event.created_time),
            }
            for activity, event in made
        ]
    }


def _track(
    state: EmulatorState, audience: _Audience, kind: str, now: float
) -> TrackingEvent | None:
    rng = state.rng

    def pick(condition: Callable[[Contact], bool]) -> Contact | None:
        eligible = [
            state.contacts[cid]
            for cid in audience.sent
            if cid in state.contacts
            and not state.contacts[cid].is_deleted
            and cid not in audience.bounced
            and condition(state.contacts[cid])
        ]
        return rng.choice(eligible) if eligible else None

    def opened(contact: Contact) -> bool:
        return contact.contact_id in audience.opened

    links = audience.activity.links
    contact: Contact | None = None
    if kind == CLICKS and links:
        contact = pick(opened)
        if contact is not None:
            link = rng.choice(links)
            return new_event(
                state,
                CLICKS,
                contact,
                now,
                device_type=audience.opened[contact.contact_id],
                url_id=link.url_id,
                link_url=link.link_url,
            )
    elif kind == FORWARDS:
        contact = pick(opened)
        if contact is not None:
            return new_event(state, FORWARDS, contact, now)
    elif kind == BOUNCES:
        contact = pick(lambda c: not opened(c) and c.contact_id not in audience.opted_out)
        if contact is not None:
            return new_event(state, BOUNCES, contact, now, bounce_code=weighted(rng, BOUNCE_CODES))
    elif kind == OPTOUTS:
        contact = pick(lambda c: opened(c) and c.permission not in (None, "unsubscribed"))
        if contact is not None:
            reason = rng.choice(OPT_OUT_REASONS)
            contacts.unsubscribe(state, contact, now=now, source="Contact", reason=reason)
            return new_event(state, OPTOUTS, contact, now, opt_out_reason=reason)
    contact = pick(lambda c: True)
    if contact is None:
        return None
    return new_event(state, OPENS, contact, now, device_type=weighted(rng, DEVICES))


ACTIONS = {
    "campaign_create": campaign_create,
    "campaign_update": campaign_update,
    "campaign_delete": campaign_delete,
    "campaign_send": campaign_send,
    "tracking": tracking,
}
