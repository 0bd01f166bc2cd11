"""Deterministic, realistic email campaigns with their activities and tracking events.

`--campaigns M` campaigns are created over the two years before the seed anchor, more of them
recently. The newest is Scheduled, the next a Draft, one older sent campaign was Removed (with
M >= 5), one failed to send (Error, M >= 8); the rest were sent (Done), and some were resent to
non-openers (a `resend` activity). With M > 10 the statuses of the others are also drawn.

A sent activity goes to the lists' sendable members who existed at the send time, plus
contacts who were subscribed then but have since unsubscribed or been deleted. Tracking follows
over the next 30 days (never past the anchor): bounces (with codes), opens (several per
contact, with devices), clicks on the campaign's links, forwards, a few spam complaints, and
opt-outs. Opt-outs are the seeded contacts who unsubscribed themselves (opt-out source
Contact) within 30 days after a send: their `opt_out_date` and `opt_out_reason` are the event's.

To keep big accounts fast, a seeded send reaches at most MAX_SENDS_PER_ACTIVITY contacts: a
uniform sample of the audience (`--contacts 100000 --campaigns 50` seeds about 170,000 events
in under a second).
"""

from __future__ import annotations

import random
import time
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from faker import Faker

from constantcontact_emulator.routes.campaigns_model import (
    ABUSE,
    BOUNCES,
    CLICKS,
    CUSTOM_CODE,
    ERROR,
    FORWARDS,
    OPENS,
    OPTOUTS,
    SENDABLE_PERMISSIONS,
    ActivityContent,
    Campaign,
    CampaignActivity,
    Link,
    SendRecord,
    TrackingEvent,
    add_resend,
    create_campaign,
    new_event,
    primary_activity,
    record_send,
    remove_campaign,
    schedule,
    store_events,
    whole_seconds,
)
from constantcontact_emulator.state import Contact, EmulatorState, new_id

if TYPE_CHECKING:
    from constantcontact_emulator.seed import SeedOptions

T = TypeVar("T")
DAY = 86400.0
HOUR = 3600.0
SPAN = 730 * DAY
# Campaigns start a little after the first seeded contacts, so the first one has an audience.
CAMPAIGN_SPAN = 0.9 * SPAN
MAX_SENDS_PER_ACTIVITY = 2000
TRACKING_WINDOW = 30 * DAY
# Recipients a seeded send reaches per second.
SEND_RATE = 20.0

# type_code and how often it is drawn
TYPE_WEIGHTS = ((10, 40), (11, 10), (12, 8), (20, 10), (22, 8), (21, 5), (18, 5), (25, 4), (26, 10))
DEVICES = (("computer", 38), ("mobile", 47), ("tablet", 9), ("other", 3), (None, 3))
BOUNCE_CODES = (("B", 30), ("D", 15), ("F", 10), ("S", 10), ("V", 20), ("X", 10), ("Z", 5))
ERROR_REASONS = (2, 3, 4, 7, 9)
SEASONS = ("Winter", "Spring", "Summer", "Fall")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class Profile:
    """How the recipients of one campaign behave."""

    bounce: float
    open: float
    open_delay: float  # mean seconds to the first open
    click: float  # share of openers who click
    forward: float  # share of openers who forward
    abuse: float = 0.002


def weighted(rng: random.Random, options: Sequence[tuple[T, int]]) -> T:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def month_year(ts: float) -> tuple[str, int, int]:
    day = time.gmtime(ts)
    return MONTHS[day.tm_mon - 1], day.tm_year, day.tm_mday


class CampaignWriter:
    """Campaign names, subjects, links and bodies, from a seeded Faker."""

    def __init__(self, state: EmulatorState, fake: Faker, rng: random.Random) -> None:
        self.state = state
        self.fake = fake
        self.rng = rng
        account = state.account
        self.organization = account.get("organization_name") or fake.company()
        self.from_name = (
            f"{account.get('first_name', '')} {account.get('last_name', '')}".strip()
            or self.organization
        )
        self.from_email = account.get("contact_email") or fake.company_email()
        self.website = account.get("website") or f"https://www.{fake.domain_name()}"
        self.names: set[str] = {c.name.lower() for c in state.campaigns.values()}

    def unique(self, name: str) -> str:
        base = name[:72]
        candidate, n = base, 2
        while candidate.lower() in self.names:
            candidate, n = f"{base} ({n})", n + 1
        self.names.add(candidate.lower())
        return candidate

    def title(self, type_code: int, when: float) -> tuple[str, str, str | None]:
        """(campaign name, subject, preheader) for a campaign of this type written at `when`."""
        fake, rng = self.fake, self.rng
        month, year, day = month_year(when)
        season = SEASONS[(time.gmtime(when).tm_mon % 12) // 3]
        product = f"{fake.color_name()} {fake.word().title()}"
        pct = rng.choice((10, 15, 20, 25, 30, 40))
        if type_code == 10:
            name = f"{month} {year} Newsletter"
            subject = f"{self.organization}: your {month} update"
        elif type_code == 11:
            name = f"Announcement: {fake.catch_phrase()}"
            subject = f"Big news from {self.organization}"
        elif type_code == 12:
            name, subject = f"Product News: {product}", f"Introducing the {product}"
        elif type_code == 20:
            kind = rng.choice(("Customer Day", "Workshop", "Open House", "Meetup"))
            event = f"{fake.city()} {kind}"
            name, subject = f"{event} - {month} {day}", f"You're invited: {event}"
        elif type_code == 22:
            name, subject = f"{season} Sale {year}", f"🎉 {pct}% off everything this week"
        elif type_code == 21:
            name = f"Coupon: {pct}% off ({month} {year})"
            subject = f"A little thank-you: {pct}% off your next order"
        elif type_code == 18:
            name = f"Customer Feedback Survey {month} {year}"
            subject = "How did we do? (2-minute survey)"
        elif type_code == 25:
            name, subject = f"{year} Annual Fund Drive", "Help us reach our goal ❤️"
        else:
            phrase = fake.catch_phrase()
            name, subject = f"Custom HTML: {phrase}", phrase
        preheader = fake.sentence(nb_words=8) if rng.random() < 0.6 else None
        return self.unique(name), subject[:200], preheader

    def links(self) -> list[Link]:
        fake, rng = self.fake, self.rng
        slug = "".join(ch for ch in self.organization.lower() if ch.isalnum())[:30] or "company"
        pages = [f"{self.website}/{fake.slug()}" for _ in range(rng.randint(2, 4))]
        pages[0] += "?utm_source=constantcontact&utm_medium=email"
        social = [f"https://www.facebook.com/{slug}", f"https://www.instagram.com/{slug}"]
        urls = pages + social[: rng.randint(1, 2)]
        first = 1_100_000_000_000 + rng.randrange(10**11)
        return [Link(str(first + i), url) for i, url in enumerate(urls)]

    def content(
        self, subject: str, preheader: str | None, format_type: int, links: Sequence[Link]
    ) -> ActivityContent:
        html = None
        properties = None
        if format_type == 5:
            anchors = "".join(
                f'<p><a href="{link.link_url}">{self.fake.sentence(nb_words=4)}</a></p>'
                for link in links
            )
            html = (
                "<html><body>[[trackingImage]]"
                f"<h1>{subject}</h1><p>{self.fake.paragraph(nb_sentences=3)}</p>{anchors}"
                "</body></html>"
            )
        elif format_type == 2:
            properties = {
                "letter_format": "HTML",
                "greeting_salutation": "Dear",
                "greeting_name_type": "F",
                "greeting_secondary": "Greetings!",
                "subscribe_link_enabled": "false",
                "permission_reminder_enabled": "true",
                "permission_reminder": (
                    "Hi, just a reminder that you're receiving this email because you have "
                    f"expressed an interest in {self.organization}."
                ),
                "view_as_webpage_enabled": "true",
                "view_as_webpage_text": "Having trouble viewing this email?",
                "view_as_webpage_link_name": "Click here to view this email as a web page",
                "forward_email_link_enabled": "true",
                "forward_email_link_name": "Forward email",
            }
        return ActivityContent(
            from_email=self.from_email,
            from_name=self.from_name,
            reply_to_email=self.from_email,
            subject=subject,
            preheader=preheader if format_type in (3, 4, 5) else None,
            html_content=html,
            document_properties=properties,
        )


class Audience:
    """Who a seeded send can reach, computed once: each list's sendable members in creation
    order (bisected by `created_at`), and the contacts who have unsubscribed or been deleted
    since (with when), who may have been members at an earlier send."""

    def __init__(self, state: EmulatorState) -> None:
        self.by_list: dict[str, list[Contact]] = {
            lid: [] for lid, lst in state.lists.items() if lst.deleted_at is None
        }
        self.lapsed: list[tuple[Contact, float]] = []
        self.active = 0
        for contact in state.contacts.values():
            lapse = _lapse_time(contact)
            if lapse is not None:
                # deleted contacts who were mailable, and the unsubscribed (who were before)
                if (
                    contact.permission in SENDABLE_PERMISSIONS
                    or contact.permission == "unsubscribed"
                ):
                    self.lapsed.append((contact, lapse))
            elif contact.permission in SENDABLE_PERMISSIONS:
                self.active += 1
                for list_id in contact.list_memberships:
                    members = self.by_list.get(list_id)
                    if members is not None:
                        members.append(contact)
        self.created = {lid: [c.created_at for c in cs] for lid, cs in self.by_list.items()}
        self.lapsed_created = [c.created_at for c, _ in self.lapsed]

    def recipients(
        self,
        rng: random.Random,
        list_ids: Sequence[str],
        when: float,
        forced: Sequence[Contact],
        cap: int = MAX_SENDS_PER_ACTIVITY,
    ) -> list[Contact]:
        prefixes = [
            self.by_list[lid][: bisect_right(self.created[lid], when)]
            for lid in list_ids
            if lid in self.by_list
        ]
        total = sum(len(p) for p in prefixes)
        if total <= 2 * cap:
            current = [c for prefix in prefixes for c in prefix]
            ratio = 1.0
        else:
            picks = sorted(rng.sample(range(total), int(cap * 1.5)))
            current = [_at(prefixes, position) for position in picks]
            ratio = cap * 1.5 / total
        reach = min(1.0, total / max(1, self.active)) * ratio
        lapsed = [
            contact
            for contact, lapse in self.lapsed[: bisect_right(self.lapsed_created, when)]
            if lapse > when and rng.random() < reach
        ]
        forced_ids = {c.contact_id for c in forced}
        pool = list(
            {
                c.contact_id: c for c in (*current, *lapsed) if c.contact_id not in forced_ids
            }.values()
        )
        room = max(0, cap - len(forced))
        if len(pool) > room:
            pool = rng.sample(pool, room)
        return sorted((*forced, *pool), key=lambda c: c.seq)


def _at(prefixes: Sequence[Sequence[Contact]], position: int) -> Contact:
    for prefix in prefixes:
        if position < len(prefix):
            return prefix[position]
        position -= len(prefix)
    raise IndexError(position)


def _lapse_time(contact: Contact) -> float | None:
    """When the contact stopped being mailable: unsubscribed or deleted (None if neither)."""
    times = []
    if contact.deleted_at is not None:
        times.append(contact.deleted_at)
    email = contact.email_address
    if email is not None and email.permission_to_send == "unsubscribed":
        times.append(email.opt_out_date if email.opt_out_date is not None else contact.updated_at)
    return min(times) if times else None


class _Engagement:
    """Tracking events for the recipients of one send."""

    def __init__(self, state: EmulatorState, rng: random.Random, horizon: float) -> None:
        self.state = state
        self.rng = rng
        self.horizon = horizon

    def follow(
        self,
        activity: CampaignActivity,
        sends: Sequence[TrackingEvent],
        profile: Profile,
        optouts: dict[str, Contact],
    ) -> list[TrackingEvent]:
        state, rng = self.state, self.rng
        events: list[TrackingEvent] = []
        for send in sends:
            contact = state.contacts[send.contact_id]
            start = send.created_time
            lapse = _lapse_time(contact)
            until = min(self.horizon, start + TRACKING_WINDOW, lapse if lapse else self.horizon)
            if contact.contact_id in optouts:
                events.extend(self._opt_out(contact, start))
                continue
            if rng.random() < profile.bounce:
                code = weighted(rng, BOUNCE_CODES)
                delay = rng.uniform(60, 3 * DAY if code == "D" else 2 * HOUR)
                if start + delay <= until:
                    bounce = new_event(state, BOUNCES, contact, start + delay, bounce_code=code)
                    events.append(bounce)
                continue
            if rng.random() < profile.open:
                events.extend(self._opener(activity, contact, start, until, profile))
        return events

    def _opt_out(self, contact: Contact, start: float) -> list[TrackingEvent]:
        email = contact.email_address
        if email is None or email.opt_out_date is None:
            return []
        opted = email.opt_out_date
        device = weighted(self.rng, DEVICES)
        opened = self.rng.uniform(start, max(start, opted - 60))
        return [
            new_event(self.state, OPENS, contact, opened, device_type=device),
            new_event(self.state, OPTOUTS, contact, opted, opt_out_reason=email.opt_out_reason),
        ]

    def _opener(
        self,
        activity: CampaignActivity,
        contact: Contact,
        start: float,
        until: float,
        profile: Profile,
    ) -> list[TrackingEvent]:
        state, rng = self.state, self.rng
        first = start + 30 + rng.expovariate(1 / profile.open_delay)
        if first > until:
            return []
        device = weighted(rng, DEVICES)
        events = [new_event(state, OPENS, contact, first, device_type=device)]
        moment = first
        while rng.random() < 0.45 and len(events) < 6:
            moment += rng.expovariate(1 / DAY)
            if moment > until:
                break
            events.append(new_event(state, OPENS, contact, moment, device_type=device))
        links = activity.links
        if links and rng.random() < profile.click:
            weights = [1 / (i + 1) for i in range(len(links))]
            for _ in range(rng.choice((1, 1, 1, 2, 3))):
                clicked = first + rng.uniform(5, 900)
                if clicked > until:
                    break
                link = rng.choices(links, weights=weights)[0]
                events.append(
                    new_event(
                        state,
                        CLICKS,
                        contact,
                        clicked,
                        device_type=device,
                        url_id=link.url_id,
                        link_url=link.link_url,
                    )
                )
        if rng.random() < profile.forward:
            forwarded = first + rng.uniform(60, 2 * DAY)
            if forwarded <= until:
                events.append(new_event(state, FORWARDS, contact, forwarded))
        if rng.random() < profile.abuse:
            complained = first + rng.uniform(10, 600)
            if complained <= until:
                events.append(new_event(state, ABUSE, contact, complained))
        return events


def _profile(rng: random.Random, *, resend: bool = False) -> Profile:
    return Profile(
        bounce=rng.uniform(0.01, 0.05) if not resend else rng.uniform(0.002, 0.01),
        open=rng.uniform(0.2, 0.45) * (0.5 if resend else 1.0),
        open_delay=rng.uniform(4 * HOUR, 20 * HOUR),
        click=rng.uniform(0.08, 0.3),
        forward=rng.uniform(0.005, 0.03),
    )


@dataclass
class _Plan:
    """One seeded campaign before it is built."""

    created: float
    status: str  # Draft, Scheduled, Done, Removed (sent or not), Error
    sent: bool
    resend: bool
    type_code: int
    format_type: int
    send_time: float | None = None


# (smallest campaign count, rank from the newest) -> (status, was sent, has a resend): so that
# small accounts still show every status.
FIXED_RANKS = {
    (4, 0): ("Scheduled", False, False),
    (3, 1): ("Draft", False, False),
    (3, 2): ("Done", True, True),
    (5, 3): ("Removed", True, False),
    (8, 5): ("Error", False, False),
}
# Drawn for the other campaigns of accounts with more than 10: (status, sent, share).
DRAWN_STATUSES = (
    ("Removed", True, 5),
    ("Removed", False, 2),
    ("Draft", False, 6),
    ("Error", False, 2),
    ("Done", True, 85),
)


def _statuses(count: int, rng: random.Random) -> list[tuple[str, bool, bool]]:
    """(status, was sent, has a resend) by rank, newest campaign first."""
    out = []
    for rank in range(count):
        fixed = next(
            (v for (least, r), v in FIXED_RANKS.items() if r == rank and count >= least), None
        )
        if fixed is not None:
            out.append(fixed)
        elif count > 10:
            status, sent = weighted(rng, [((st, se), w) for st, se, w in DRAWN_STATUSES])
            out.append((status, sent, status == "Done" and rng.random() < 0.2))
        else:
            out.append(("Done", True, False))
    return out


def _plans(options: SeedOptions, rng: random.Random) -> list[_Plan]:
    count, anchor = options.campaigns, options.anchor
    # Stratified over the span, denser towards the anchor.
    created = [
        anchor - CAMPAIGN_SPAN * ((count - i - 0.8 * rng.random()) / count) ** 1.5
        for i in range(count)
    ]
    statuses = list(reversed(_statuses(count, rng)))
    plans = []
    for when, (status, sent, resend) in zip(created, statuses, strict=True):
        type_code = weighted(rng, TYPE_WEIGHTS)
        if type_code == CUSTOM_CODE:
            format_type = 5
        elif when < anchor - 0.75 * SPAN:
            format_type = rng.choice((2, 3))
        else:
            format_type = 4 if rng.random() < 0.85 else 3
        plan = _Plan(whole_seconds(when), status, sent, resend, type_code, format_type)
        if sent or status == "Error":
            latest = anchor - 2 * HOUR
            plan.send_time = whole_seconds(min(latest, when + rng.uniform(0.1 * DAY, 3 * DAY)))
        plans.append(plan)
    return plans


def _assign_optouts(
    state: EmulatorState, sends: Sequence[tuple[float, int]]
) -> dict[int, dict[str, Contact]]:
    """Contacts who unsubscribed themselves within the tracking window after a send: each
    opted out through the latest campaign sent at least an hour before."""
    times = [t for t, _ in sends]
    assigned: dict[int, dict[str, Contact]] = {}
    for contact in state.contacts.values():
        email = contact.email_address
        if (
            email is None
            or email.permission_to_send != "unsubscribed"
            or email.opt_out_source != "Contact"
            or email.opt_out_date is None
            or (contact.deleted_at is not None and contact.deleted_at < email.opt_out_date)
        ):
            continue
        index = bisect_right(times, email.opt_out_date - HOUR) - 1
        if index < 0:
            continue
        when, plan_index = sends[index]
        if email.opt_out_date - when <= TRACKING_WINDOW and contact.created_at <= when:
            assigned.setdefault(plan_index, {})[contact.contact_id] = contact
    return assigned


def seed(state: EmulatorState, options: SeedOptions) -> None:
    if options.campaigns > 0:
        _Seeder(state, options).run()


class _Seeder:
    def __init__(self, state: EmulatorState, options: SeedOptions) -> None:
        self.state = state
        self.options = options
        self.anchor = options.anchor
        self.rng = rng = random.Random(f"campaigns-{options.seed}")
        fake = Faker("en_US")
        fake.seed_instance(f"campaigns-{options.seed}")
        self.writer = CampaignWriter(state, fake, rng)
        self.audience = Audience(state)
        self.engagement = _Engagement(state, rng, options.anchor)
        by_list = self.audience.by_list
        self.popular = sorted(by_list, key=lambda lid: -len(by_list[lid]))

    def run(self) -> None:
        plans = _plans(self.options, self.rng)
        sends = sorted((p.send_time, i) for i, p in enumerate(plans) if p.sent and p.send_time)
        optouts = _assign_optouts(self.state, sends)
        for index, plan in enumerate(plans):
            self.build(plan, optouts.get(index, {}))

    def _lists(self, plan: _Plan) -> list[str]:
        rng, popular = self.rng, self.popular
        if not popular or not (
            plan.sent or plan.status in ("Scheduled", "Error") or rng.random() < 0.5
        ):
            return []
        weights = [1 / (i + 1) for i in range(len(popular))]
        return list(dict.fromkeys(rng.choices(popular, weights=weights, k=rng.randint(1, 2))))

    def build(self, plan: _Plan, optouts: dict[str, Contact]) -> None:
        state, rng, anchor, writer = self.state, self.rng, self.anchor, self.writer
        name, subject, preheader = writer.title(plan.type_code, plan.created)
        links = writer.links()
        campaign = create_campaign(
            state,
            name=name,
            content=writer.content(subject, preheader, plan.format_type, links),
            format_type=plan.format_type,
            type_code=plan.type_code,
            now=plan.created,
            contact_list_ids=self._lists(plan),
            document_id=new_id(rng) if plan.format_type == 4 else None,
            links=links,
            rng=rng,
        )
        primary = primary_activity(state, campaign)
        if plan.status == "Draft":
            edited = plan.created + rng.uniform(0, (anchor - plan.created) / 2)
            campaign.updated_at = whole_seconds(edited)
            return
        if plan.status == "Scheduled":
            edited = plan.created + rng.uniform(0, min(DAY, (anchor - plan.created) / 2))
            when = anchor + rng.uniform(1 * DAY, 14 * DAY)
            schedule(state, campaign, scheduled_date=when, now=edited)
            return
        if plan.status == "Error":
            self._failed_send(campaign, primary, plan)
            return
        if plan.sent:
            self._send(campaign, primary, plan, optouts)
        if plan.status == "Removed":
            remove_campaign(state, campaign, now=rng.uniform(campaign.updated_at, anchor))
        elif rng.random() < 0.15:
            # renamed afterwards in the UI
            campaign.name = writer.unique(f"{campaign.name} (final)")
            campaign.updated_at = whole_seconds(rng.uniform(campaign.updated_at, anchor))

    def _send(
        self,
        campaign: Campaign,
        primary: CampaignActivity,
        plan: _Plan,
        optouts: dict[str, Contact],
    ) -> None:
        state, rng = self.state, self.rng
        send_time = plan.send_time if plan.send_time is not None else plan.created
        forced = sorted(optouts.values(), key=lambda c: c.seq)
        recipients = self.audience.recipients(rng, primary.contact_list_ids, send_time, forced)
        sends = record_send(
            state,
            campaign,
            primary,
            recipients,
            run_date=send_time,
            rng=rng,
            sends_per_second=SEND_RATE,
        )
        store_events(
            state,
            primary.campaign_activity_id,
            self.engagement.follow(primary, sends, _profile(rng), optouts),
        )
        resend_at = send_time + rng.uniform(3 * DAY, 7 * DAY)
        if plan.resend and resend_at < self.anchor - HOUR:
            self._resend(campaign, primary, whole_seconds(resend_at))

    def _resend(self, campaign: Campaign, primary: CampaignActivity, when: float) -> None:
        """Resend to the contacts who had neither opened nor bounced by `when`."""
        state, rng = self.state, self.rng
        events = state.tracking_events.get(primary.campaign_activity_id, [])
        reached = {
            e.contact_id
            for e in events
            if e.kind in (OPENS, BOUNCES, OPTOUTS) and e.created_time <= when
        }
        recipients = []
        for event in events:
            if event.kind != "em_sends" or event.contact_id in reached:
                continue
            contact = state.contacts[event.contact_id]
            lapse = _lapse_time(contact)
            if lapse is None or lapse > when:
                recipients.append(contact)
        subject = f"Reminder: {primary.content.subject}"[:200]
        resend = add_resend(state, campaign, subject=subject, rng=rng)
        sends = record_send(
            state, campaign, resend, recipients, run_date=when, rng=rng, sends_per_second=SEND_RATE
        )
        store_events(
            state,
            resend.campaign_activity_id,
            self.engagement.follow(resend, sends, _profile(rng, resend=True), {}),
        )

    def _failed_send(self, campaign: Campaign, primary: CampaignActivity, plan: _Plan) -> None:
        run_date = plan.send_time if plan.send_time is not None else plan.created
        primary.send_history.append(
            SendRecord(
                send_id=1,
                contact_list_ids=list(primary.contact_list_ids),
                segment_ids=[],
                count=0,
                run_date=run_date,
                send_status="ERRORED",
                reason_code=self.rng.choice(ERROR_REASONS),
            )
        )
        for activity_id in campaign.activity_ids:
            self.state.campaign_activities[activity_id].current_status = ERROR
        campaign.current_status = "Error"
        campaign.updated_at = run_date
