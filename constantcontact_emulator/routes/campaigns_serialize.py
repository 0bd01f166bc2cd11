"""Campaigns and campaign activities as the API writes them. Null fields are omitted."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from constantcontact_emulator.routes.campaigns_model import (
    Campaign,
    CampaignActivity,
    SendRecord,
)
from constantcontact_emulator.state import EmulatorState
from constantcontact_emulator.timefmt import iso_millis

ACTIVITY_INCLUDES = (
    "physical_address_in_footer",
    "permalink_url",
    "html_content",
    "document_properties",
)
# Only custom-code (1, 5) emails have HTML; only legacy (1, 2) ones document properties.
HTML_FORMATS = frozenset({1, 5})
DOCUMENT_PROPERTY_FORMATS = frozenset({1, 2})


def campaign(c: Campaign) -> dict[str, Any]:
    """An item of `GET /emails`: no activities."""
    return {
        "campaign_id": c.campaign_id,
        "created_at": iso_millis(c.created_at),
        "current_status": c.current_status,
        "name": c.name,
        "type": c.type,
        "type_code": c.type_code,
        "updated_at": iso_millis(c.updated_at),
    }


def campaign_detail(state: EmulatorState, c: Campaign) -> dict[str, Any]:
    """`GET /emails/{campaign_id}`: the campaign and its activity references."""
    references = []
    for activity_id in c.activity_ids:
        activity = state.campaign_activities[activity_id]
        reference = {"campaign_activity_id": activity_id, "role": activity.role}
        if activity.document_id is not None:
            reference["document_id"] = activity.document_id
        references.append(reference)
    return {"campaign_activities": references, **campaign(c)}


def activity(
    state: EmulatorState, a: CampaignActivity, includes: Collection[str] = ()
) -> dict[str, Any]:
    content = a.content
    out: dict[str, Any] = {
        "campaign_activity_id": a.campaign_activity_id,
        "campaign_id": a.campaign_id,
        "role": a.role,
        "contact_list_ids": list(a.contact_list_ids),
        "segment_ids": list(a.segment_ids),
        "current_status": a.current_status,
        "format_type": a.format_type,
        "from_email": content.from_email,
        "from_name": content.from_name,
        "reply_to_email": content.reply_to_email,
        "subject": content.subject,
    }
    if content.preheader is not None:
        out["preheader"] = content.preheader
    if a.document_id is not None:
        out["document_id"] = a.document_id
    if "html_content" in includes and a.format_type in HTML_FORMATS and content.html_content:
        out["html_content"] = content.html_content
    if "permalink_url" in includes and a.permalink_url is not None:
        out["permalink_url"] = a.permalink_url
    if "physical_address_in_footer" in includes:
        address = content.physical_address_in_footer or footer_address(state)
        if address:
            out["physical_address_in_footer"] = address
    if (
        "document_properties" in includes
        and a.format_type in DOCUMENT_PROPERTY_FORMATS
        and content.document_properties
    ):
        out["document_properties"] = content.document_properties
    return out


def footer_address(state: EmulatorState) -> dict[str, Any] | None:
    """The account's physical address, as an email footer shows it by default."""
    address = state.account.get("physical_address")
    if not address:
        return None
    out: dict[str, Any] = {
        "address_line1": address.get("address_line1", ""),
        "city": address.get("city"),
        "country_code": address.get("country_code", "US"),
        "organization_name": state.account.get("organization_name", ""),
        "postal_code": address.get("postal_code"),
        "state_code": address.get("state_code"),
    }
    if out["country_code"] == "US":
        out["country_name"] = "United States"
    return {k: v for k, v in out.items() if v is not None}


def send_record(s: SendRecord) -> dict[str, Any]:
    return {
        "send_id": s.send_id,
        "contact_list_ids": list(s.contact_list_ids),
        "segment_ids": list(s.segment_ids),
        "count": s.count,
        "run_date": iso_millis(s.run_date),
        "send_status": s.send_status,
        "reason_code": s.reason_code,
    }
