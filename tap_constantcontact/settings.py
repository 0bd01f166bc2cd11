"""The tap's settings: the shared client settings plus the tap's own."""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass

from singer_sdk import typing as th

from constantcontact_client import CLIENT_SETTINGS
from constantcontact_client.timestamps import parse_datetime
from tap_constantcontact.deletes import SCAN_MODES
from tap_constantcontact.poll_config import ENTRY_FIELDS, PollResource, parse_poll_resources

CONTACT_INCLUDES = (
    "custom_fields",
    "list_memberships",
    "phone_numbers",
    "street_addresses",
    "taggings",
    "notes",
)
# Accepted by newer API builds than the 3.0.178 spec; opt-in, so older ones never see it.
OPTIONAL_CONTACT_INCLUDES = ("sms_channel",)
CONTACT_STATUSES = (
    "all",
    "active",
    "deleted",
    "not_set",
    "pending_confirmation",
    "temp_hold",
    "unsubscribed",
)
ACTIVITY_INCLUDES = (
    "physical_address_in_footer",
    "permalink_url",
    "html_content",
    "document_properties",
)
MAX_PAGE_SIZE = 500
MAX_FILTER_LISTS = 25
MAX_FILTER_TAGS = 50

TAP_SETTINGS = th.PropertiesList(
    th.Property(
        "start_date",
        th.DateTimeType(nullable=True),
        title="Start Date",
        description=(
            "Earliest `updated_at` to extract on the first run (ISO-8601, UTC if no "
            "offset). Empty: all history."
        ),
    ),
    th.Property(
        "lookback_minutes",
        th.IntegerType(minimum=0),
        default=10,
        title="Lookback Minutes",
        description=(
            "Each incremental run re-reads this many minutes before the bookmark, to catch "
            "clock skew and late commits (SAP's pollDelay). Records in the overlap are "
            "emitted again."
        ),
    ),
    th.Property(
        "page_size",
        th.IntegerType(minimum=1, maximum=MAX_PAGE_SIZE),
        default=MAX_PAGE_SIZE,
        title="Page Size",
        description=(
            "Records per API call (the API allows at most 500; lower only to debug). Every "
            "call counts against the 10,000/day quota."
        ),
    ),
    th.Property(
        "contacts_include",
        th.ArrayType(th.StringType(allowed_values=[*CONTACT_INCLUDES, *OPTIONAL_CONTACT_INCLUDES])),
        default=list(CONTACT_INCLUDES),
        title="Contact Sub-resources",
        description=(
            "Contact sub-resources to extract (`include=`): custom_fields, "
            "list_memberships, phone_numbers, street_addresses, taggings, notes; also "
            "`sms_channel` on API builds newer than the 3.0.178 spec."
        ),
    ),
    th.Property(
        "contacts_status",
        th.ArrayType(th.StringType(allowed_values=list(CONTACT_STATUSES))),
        default=["all"],
        title="Contact Status Filter",
        description=(
            "Only contacts with these statuses (`all`, `active`, `deleted`, `not_set`, "
            "`pending_confirmation`, `temp_hold`, `unsubscribed`). Keep `all` to capture "
            "deletes and opt-outs."
        ),
    ),
    th.Property(
        "contacts_list_names",
        th.ArrayType(th.StringType(min_length=1)),
        title="Contact List Names Filter",
        description=(
            f"Only members of these lists, by name (up to {MAX_FILTER_LISTS} with the ids). "
            "Resolved to ids with one list read: the exact name, else the one that "
            "matches ignoring case; an unknown or ambiguous name is a config error."
        ),
    ),
    th.Property(
        "contacts_list_ids",
        th.ArrayType(th.UUIDType()),
        title="Contact List IDs Filter",
        description=f"Only members of these lists, by list_id (up to {MAX_FILTER_LISTS}).",
    ),
    th.Property(
        "contacts_tag_names",
        th.ArrayType(th.StringType(min_length=1)),
        title="Contact Tag Names Filter",
        description=(
            f"Only contacts with these tags, by name (up to {MAX_FILTER_TAGS} with the ids). "
            "Resolved to ids with one tag read: the exact name, else the one that "
            "matches ignoring case; an unknown or ambiguous name is a config error."
        ),
    ),
    th.Property(
        "contacts_tag_ids",
        th.ArrayType(th.UUIDType()),
        title="Contact Tag IDs Filter",
        description=f"Only contacts with these tags, by tag_id (up to {MAX_FILTER_TAGS}).",
    ),
    th.Property(
        "contacts_segment_id",
        th.IntegerType(minimum=1),
        title="Contact Segment Filter",
        description=(
            "Only contacts in this segment. The API takes no other parameter with a segment: "
            "every run reads the whole segment and keeps the window's changes, and "
            "sub-resources (`contacts_include`) are not returned."
        ),
    ),
    th.Property(
        "contacts_email",
        th.EmailType(),
        title="Contact Email Filter",
        description="Only the contact with this email address.",
    ),
    th.Property(
        "contacts_deleted_scan",
        th.StringType(allowed_values=list(SCAN_MODES)),
        default="auto",
        title="Deleted Contacts Scan",
        description=(
            "Whether incremental runs also read `status=deleted` (one call per 500 deleted "
            "contacts) to find deletes that did not move `updated_at`. `auto`: only once the "
            "data shows that deletes leave `updated_at` alone; `always`; `never`."
        ),
    ),
    th.Property(
        "custom_field_columns",
        th.BooleanType(),
        default=True,
        title="Custom Field Columns",
        description=(
            "Also emit each custom field as a typed top-level `cf_<name>` column, from the "
            "custom field definitions (one extra call per run). The raw `custom_fields` "
            "array is always emitted."
        ),
    ),
    th.Property(
        "campaign_activities_include",
        th.ArrayType(th.StringType(allowed_values=list(ACTIVITY_INCLUDES))),
        default=list(ACTIVITY_INCLUDES),
        title="Campaign Activity Parts",
        description=(
            "Optional parts of each campaign activity to extract (`include=`): "
            "physical_address_in_footer, permalink_url, html_content, document_properties. "
            "The same one call per activity either way; html_content can be large."
        ),
    ),
    th.Property(
        "tracking_lookback_days",
        th.IntegerType(minimum=1),
        default=30,
        title="Tracking Lookback Days",
        description=(
            "The tracking streams poll the activities of campaigns sent or changed in the last "
            "N days, and read a newly seen activity's events back at most N days. Older "
            "activities keep their last bookmark and are not polled, so an old account does "
            "not spend its daily budget on campaigns nobody opens any more."
        ),
    ),
    th.Property(
        "created_check_tolerance_seconds",
        th.IntegerType(minimum=0),
        default=5,
        title="Created Check Tolerance (Seconds)",
        description=(
            "`change_events`: a record whose creation and last-change times are at most this "
            "far apart is a CREATED event, otherwise UPDATED (SAP's createdCheckTolerance)."
        ),
    ),
    th.Property(
        "poll_resources",
        th.ArrayType(
            th.ObjectType(
                th.Property("name", th.StringType, required=True, description=ENTRY_FIELDS["name"]),
                th.Property("path", th.StringType, required=True, description=ENTRY_FIELDS["path"]),
                *(
                    th.Property(key, th.StringType, required=True, description=ENTRY_FIELDS[key])
                    for key in ("records_key", "id_field", "updated_date_field")
                ),
                th.Property(
                    "primary_keys",
                    th.ArrayType(th.StringType),
                    description=ENTRY_FIELDS["primary_keys"],
                ),
                *(
                    th.Property(key, th.StringType, description=ENTRY_FIELDS[key])
                    for key in (
                        "updated_date_format",
                        "created_date_field",
                        "created_date_format",
                        "deleted_date_field",
                        "deleted_date_format",
                        "timezone",
                        "date_filter_param",
                        "upper_filter_param",
                        "date_filter_format",
                    )
                ),
                th.Property("page_size", th.IntegerType, description=ENTRY_FIELDS["page_size"]),
                th.Property("params", th.ObjectType(), description=ENTRY_FIELDS["params"]),
                th.Property("schema", th.ObjectType(), description=ENTRY_FIELDS["schema"]),
                additional_properties=False,
            )
        ),
        title="Poll Resources",
        description=(
            "Extra incremental streams for other endpoints, one per entry, like SAP Open "
            "Connectors' polling configuration: {name, path, records_key, id_field, "
            "updated_date_field, updated_date_format, created_date_field, created_date_format, "
            "timezone, date_filter_param, upper_filter_param, page_size, ...}. Each feeds "
            "`change_events`. See the README for examples."
        ),
    ),
    th.Property(
        "emit_activate_version_messages",
        th.BooleanType(),
        default=False,
        title="Emit ACTIVATE_VERSION Messages",
        description=(
            "Emit ACTIVATE_VERSION after each full-table stream so that targets supporting "
            "it can remove rows the source no longer has."
        ),
    ),
)


def config_jsonschema() -> dict[str, t.Any]:
    """The tap's config JSON schema: the shared client settings, then the tap's own."""
    schema = th.PropertiesList(*CLIENT_SETTINGS.wrapped.values(), *TAP_SETTINGS.wrapped.values())
    return schema.to_dict()


@dataclass(frozen=True, slots=True)
class ContactFilters:
    """The Jitterbit-style `/contacts` query filters."""

    status: tuple[str, ...] = ("all",)
    list_names: tuple[str, ...] = ()
    list_ids: tuple[str, ...] = ()
    tag_names: tuple[str, ...] = ()
    tag_ids: tuple[str, ...] = ()
    segment_id: int | None = None
    email: str | None = None

    @property
    def includes_deleted(self) -> bool:
        """True when deleted contacts pass the status filter."""
        return bool({"all", "deleted"} & set(self.status))


@dataclass(frozen=True, slots=True)
class TapSettings:
    """The tap's own settings, validated."""

    start_date: dt.datetime | None
    lookback: dt.timedelta
    page_size: int
    contacts_include: tuple[str, ...]
    filters: ContactFilters
    contacts_deleted_scan: str
    custom_field_columns: bool
    campaign_activities_include: tuple[str, ...] = ACTIVITY_INCLUDES
    tracking_lookback: dt.timedelta = dt.timedelta(days=30)
    created_check_tolerance: dt.timedelta = dt.timedelta(seconds=5)
    poll_resources: tuple[PollResource, ...] = ()

    @classmethod
    def from_config(
        cls,
        config: t.Mapping[str, t.Any],
        *,
        reserved_names: t.Collection[str] = (),
    ) -> TapSettings:
        """Validate the tap settings; ValueError names the setting at fault.

        `reserved_names`: the built-in stream names, which `poll_resources` may not reuse.
        """
        start_date = None
        if raw := config.get("start_date"):
            try:
                start_date = parse_datetime(str(raw))
            except ValueError:
                raise ValueError(
                    f"start_date: {raw!r} is not an ISO-8601 date or date-time"
                ) from None
        filters = ContactFilters(
            status=tuple(config.get("contacts_status") or ("all",)),
            list_names=tuple(config.get("contacts_list_names") or ()),
            list_ids=tuple(config.get("contacts_list_ids") or ()),
            tag_names=tuple(config.get("contacts_tag_names") or ()),
            tag_ids=tuple(config.get("contacts_tag_ids") or ()),
            segment_id=config.get("contacts_segment_id"),
            email=config.get("contacts_email") or None,
        )
        if len(filters.list_names) + len(filters.list_ids) > MAX_FILTER_LISTS:
            raise ValueError(
                f"contacts_list_names/contacts_list_ids: the API filters on at most "
                f"{MAX_FILTER_LISTS} lists"
            )
        if len(filters.tag_names) + len(filters.tag_ids) > MAX_FILTER_TAGS:
            raise ValueError(
                f"contacts_tag_names/contacts_tag_ids: the API filters on at most "
                f"{MAX_FILTER_TAGS} tags"
            )
        if filters.segment_id is not None and (
            filters.list_names or filters.list_ids or filters.tag_names or filters.tag_ids
        ):
            raise ValueError(
                "contacts_segment_id: the API cannot combine a segment with list or tag filters"
            )
        if "all" in filters.status and len(filters.status) > 1:
            raise ValueError("contacts_status: `all` already includes every other status")
        return cls(
            start_date=start_date,
            lookback=dt.timedelta(minutes=int(config.get("lookback_minutes", 10))),
            page_size=int(config.get("page_size", MAX_PAGE_SIZE)),
            contacts_include=tuple(dict.fromkeys(config.get("contacts_include", CONTACT_INCLUDES))),
            filters=filters,
            contacts_deleted_scan=str(config.get("contacts_deleted_scan") or "auto"),
            custom_field_columns=bool(config.get("custom_field_columns", True)),
            campaign_activities_include=tuple(
                dict.fromkeys(config.get("campaign_activities_include", ACTIVITY_INCLUDES))
            ),
            tracking_lookback=dt.timedelta(days=int(config.get("tracking_lookback_days", 30))),
            created_check_tolerance=dt.timedelta(
                seconds=int(config.get("created_check_tolerance_seconds", 5))
            ),
            poll_resources=parse_poll_resources(
                config.get("poll_resources"), reserved_names=reserved_names
            ),
        )
