"""Email reporting computed from the stored tracking events, so every count in a summary or a
stats report agrees with the tracking reports.

- Unique counts (`em_opens`, `opens`, ...) count distinct contacts; `*_all` count events.
- `em_not_opened` = sends - opens - bounces, never negative (as the spec defines it), which is
  exactly the number of rows of the did-not-opens report.
- A campaign's counts are over all its reported activities (primary_email and resend), each
  contact counted once.
- Percentages (one decimal): open, did_not_open and unsubscribe are shares of the delivered
  (sends - bounces); bounce a share of the sends; click a share of the openers; desktop/mobile
  shares of all opens or clicks (mobile = mobile phones and tablets).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from constantcontact_emulator.routes.campaigns_model import (
    ABUSE,
    BOUNCES,
    CLICKS,
    DIDNOTOPENS,
    FORWARDS,
    OPENS,
    OPTOUTS,
    REPORTED_ROLES,
    SENDS,
    Campaign,
    TrackingEvent,
    activities_of,
    events_of,
    last_sent,
)
from constantcontact_emulator.state import EmulatorState
from constantcontact_emulator.timefmt import iso_date, iso_millis

DEVICES = ("computer", "mobile", "tablet", "other", "none")
BOUNCE_STATS = {
    "Z": "em_bounces_blocked",
    "F": "em_bounces_mailbox_full",
    "B": "em_bounces_nonexistent_address",
    "X": "em_bounces_other",
    "S": "em_bounces_suspended",
    "D": "em_bounces_undeliverable",
    "V": "em_bounces_vacation",
}
BOUNCE_CODES = tuple(sorted(BOUNCE_STATS))

# Report name (URL segment) -> tracking_activity_type of its rows.
REPORTS = {
    "sends": SENDS,
    "opens": OPENS,
    "unique_opens": OPENS,
    "didnotopens": DIDNOTOPENS,
    "clicks": CLICKS,
    "forwards": FORWARDS,
    "optouts": OPTOUTS,
    "bounces": BOUNCES,
}


@dataclass
class Engagement:
    """Who did what, over one or more activities."""

    sent: set[str] = field(default_factory=set)
    opened: set[str] = field(default_factory=set)
    clicked: set[str] = field(default_factory=set)
    forwarded: set[str] = field(default_factory=set)
    opted_out: set[str] = field(default_factory=set)
    abused: set[str] = field(default_factory=set)
    bounced: dict[str, str] = field(default_factory=dict)  # contact -> first bounce code
    opens_by_device: Counter[str] = field(default_factory=Counter)
    clicks_by_device: Counter[str] = field(default_factory=Counter)
    last_event: float | None = None

    def add(self, events: Iterable[TrackingEvent]) -> None:
        for event in events:
            kind, contact = event.kind, event.contact_id
            if kind == SENDS:
                self.sent.add(contact)
            elif kind == OPENS:
                self.opened.add(contact)
                self.opens_by_device[event.device_type or "none"] += 1
            elif kind == CLICKS:
                self.clicked.add(contact)
                self.clicks_by_device[event.device_type or "none"] += 1
            elif kind == FORWARDS:
                self.forwarded.add(contact)
            elif kind == OPTOUTS:
                self.opted_out.add(contact)
            elif kind == BOUNCES:
                self.bounced.setdefault(contact, event.bounce_code or "X")
            elif kind == ABUSE:
                self.abused.add(contact)
                continue  # not listed by any report, so not what dates the stats
            if self.last_event is None or event.created_time > self.last_event:
                self.last_event = event.created_time

    @property
    def not_opened(self) -> int:
        return max(0, len(self.sent) - len(self.opened) - len(self.bounced))

    def unique_counts(self) -> dict[str, int]:
        return {
            "sends": len(self.sent),
            "opens": len(self.opened),
            "clicks": len(self.clicked),
            "forwards": len(self.forwarded),
            "optouts": len(self.opted_out),
            "abuse": len(self.abused),
            "bounces": len(self.bounced),
            "not_opened": self.not_opened,
        }

    def stats(self, *, activity_level: bool) -> dict[str, int]:
        out = {
            "em_sends": len(self.sent),
            "em_opens": len(self.opened),
            "em_opens_all": sum(self.opens_by_device.values()),
            **{f"em_opens_all_{d}": self.opens_by_device[d] for d in DEVICES},
            "em_clicks": len(self.clicked),
            "em_clicks_all": sum(self.clicks_by_device.values()),
            **{f"em_clicks_all_{d}": self.clicks_by_device[d] for d in DEVICES},
            "em_forwards": len(self.forwarded),
            "em_optouts": len(self.opted_out),
            "em_bounces": len(self.bounced),
            "em_not_opened": self.not_opened,
        }
        if activity_level:
            out["em_abuse"] = len(self.abused)
            codes = Counter(self.bounced.values())
            for code, name in BOUNCE_STATS.items():
                out[name] = codes[code]
        return out

    def percents(self) -> dict[str, float]:
        counts = self.unique_counts()
        opens_all = sum(self.opens_by_device.values())
        clicks_all = sum(self.clicks_by_device.values())
        return {
            **rates(counts),
            "desktop_open": _percent(self.opens_by_device["computer"], opens_all),
            "mobile_open": _percent(
                self.opens_by_device["mobile"] + self.opens_by_device["tablet"], opens_all
            ),
            "desktop_click": _percent(self.clicks_by_device["computer"], clicks_all),
            "mobile_click": _percent(
                self.clicks_by_device["mobile"] + self.clicks_by_device["tablet"], clicks_all
            ),
        }


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def rates(counts: dict[str, int]) -> dict[str, float]:
    """The five headline rates from unique counts (also the summaries' aggregate_percents)."""
    delivered = counts["sends"] - counts["bounces"]
    return {
        "open": _percent(counts["opens"], delivered),
        "click": _percent(counts["clicks"], counts["opens"]),
        "did_not_open": _percent(counts["not_opened"], delivered),
        "bounce": _percent(counts["bounces"], counts["sends"]),
        "unsubscribe": _percent(counts["optouts"], delivered),
    }


def activity_engagement(state: EmulatorState, activity_id: str) -> Engagement:
    engagement = Engagement()
    engagement.add(events_of(state, activity_id))
    return engagement


def campaign_engagement(state: EmulatorState, campaign: Campaign) -> Engagement:
    engagement = Engagement()
    for activity in activities_of(state, campaign):
        if activity.role in REPORTED_ROLES:
            engagement.add(events_of(state, activity.campaign_activity_id))
    return engagement


def campaign_last_sent(state: EmulatorState, campaign: Campaign) -> float | None:
    sent = [
        t
        for activity in activities_of(state, campaign)
        if activity.role in REPORTED_ROLES
        for t in [last_sent(activity)]
        if t is not None
    ]
    return max(sent) if sent else None


def refresh_time(engagement: Engagement, last_sent_date: float | None) -> str | None:
    """`last_refresh_time`: when the newest counted event happened (the stats are current)."""
    moment = engagement.last_event if engagement.last_event is not None else last_sent_date
    return iso_millis(moment) if moment is not None else None


# --- summaries -------------------------------------------------------------------------------


def summarized_campaigns(state: EmulatorState) -> list[tuple[Campaign, float]]:
    """Sent campaigns that are not Removed, newest `last_sent_date` first."""
    found = []
    for campaign in state.campaigns.values():
        if campaign.removed:
            continue
        sent = campaign_last_sent(state, campaign)
        if sent is not None:
            found.append((campaign, sent))
    found.sort(key=lambda item: (-item[1], -item[0].seq))
    return found


def campaign_summary(
    state: EmulatorState, campaign: Campaign, last_sent_date: float
) -> dict[str, Any]:
    return {
        "campaign_id": campaign.campaign_id,
        "campaign_type": campaign.type_name,
        "last_sent_date": iso_millis(last_sent_date),
        "unique_counts": campaign_engagement(state, campaign).unique_counts(),
    }


def aggregate_percents(summaries: Iterable[dict[str, Any]]) -> dict[str, float]:
    totals: Counter[str] = Counter()
    for summary in summaries:
        totals.update(summary["unique_counts"])
    keys = ("sends", "opens", "clicks", "bounces", "optouts", "not_opened")
    return rates({k: totals[k] for k in keys})


# --- tracking reports ------------------------------------------------------------------------


def report_events(
    state: EmulatorState,
    activity_id: str,
    report: str,
    *,
    url_id: str | None = None,
    bounce_codes: Iterable[str] = (),
) -> list[TrackingEvent]:
    """The events a tracking report lists, newest first (ties: the later-recorded first)."""
    events = events_of(state, activity_id)
    if report == "didnotopens":
        opened_or_bounced = {e.contact_id for e in events if e.kind in (OPENS, BOUNCES)}
        chosen = [e for e in events if e.kind == SENDS and e.contact_id not in opened_or_bounced]
    elif report == "unique_opens":
        latest: dict[str, TrackingEvent] = {}
        for event in events:  # oldest first, so the last one kept is the latest
            if event.kind == OPENS:
                latest[event.contact_id] = event
        chosen = sorted(latest.values(), key=lambda e: (e.created_time, e.seq))
    else:
        kind = REPORTS[report]
        chosen = [e for e in events if e.kind == kind]
        if url_id is not None:
            chosen = [e for e in chosen if e.url_id == url_id]
        codes = set(bounce_codes)
        if codes:
            chosen = [e for e in chosen if e.bounce_code in codes]
    chosen.reverse()
    return chosen


def tracking_row(
    state: EmulatorState, activity_id: str, event: TrackingEvent, row_type: str
) -> dict[str, Any]:
    contact = state.contacts.get(event.contact_id)
    row: dict[str, Any] = {
        "contact_id": event.contact_id,
        "campaign_activity_id": activity_id,
        "tracking_activity_type": row_type,
        "email_address": event.email_address,
    }
    if contact is not None:
        if contact.first_name is not None:
            row["first_name"] = contact.first_name
        if contact.last_name is not None:
            row["last_name"] = contact.last_name
    if row_type in (OPENS, CLICKS) and event.device_type is not None:
        row["device_type"] = event.device_type
    if row_type == CLICKS:
        row["url_id"] = event.url_id
        row["link_url"] = event.link_url
    if row_type == OPTOUTS and event.opt_out_reason is not None:
        row["opt_out_reason"] = event.opt_out_reason
    if row_type == BOUNCES:
        row["bounce_code"] = event.bounce_code
        current = contact.email_address if contact is not None else None
        if current is not None:
            row["current_email_address"] = current.address
    row["created_time"] = iso_millis(event.created_time)
    if contact is not None and contact.deleted_at is not None:
        row["deleted_at"] = iso_date(contact.deleted_at)
    return row


def link_click_counts(
    state: EmulatorState, activity_id: str, *, no_clicks: bool
) -> list[dict[str, Any]]:
    """Unique contacts per link of the activity (the links report)."""
    activity = state.campaign_activities[activity_id]
    clickers: dict[str, set[str]] = {}
    for event in events_of(state, activity_id):
        if event.kind == CLICKS and event.url_id is not None:
            clickers.setdefault(event.url_id, set()).add(event.contact_id)
    out = []
    for link in activity.links:
        unique = len(clickers.get(link.url_id, ()))
        if unique or no_clicks:
            out.append({"url_id": link.url_id, "link_url": link.link_url, "unique_clicks": unique})
    return out
