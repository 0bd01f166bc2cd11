"""The target's own settings (the shared API settings live in `constantcontact_client`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from singer_sdk import typing as th

from target_constantcontact.model import Action

CONTACTS_STREAM = "contacts"
DEFINITION_STREAMS = {
    "contact_lists": "list",
    "contact_tags": "tag",
    "custom_fields": "custom_field",
}
DEFAULT_RESULTS_PATH = "target-constantcontact-results.jsonl"
DEFAULT_STAGING_LIST = "target-constantcontact staging"

TARGET_SETTINGS = th.PropertiesList(
    th.Property(
        "actions",
        th.ObjectType(additional_properties=th.StringType()),
        title="Actions by stream",
        description=(
            "The action for each stream's records: upsert (default), create, update or delete, "
            'e.g. {"contacts": "upsert", "churned_customers": "delete"}. A record\'s '
            "`_sdc_action` column overrides it; a record with `_sdc_deleted_at` set is deleted."
        ),
    ),
    th.Property(
        "match_by",
        th.StringType(),
        default="email",
        allowed_values=["email", "contact_id"],
        title="Match contacts by",
        description=(
            "How a record finds its contact in the account: `email` (default), or `contact_id` "
            "(records carry ids of this same account)."
        ),
    ),
    th.Property(
        "contact_streams",
        th.ArrayType(th.StringType()),
        title="Contact streams",
        description=(
            "Names of extra streams holding contacts (e.g. a warehouse table); `contacts` "
            "always does."
        ),
    ),
    th.Property(
        "create_missing_definitions",
        th.BooleanType(),
        default=False,
        title="Create missing lists, tags and custom fields",
        description=(
            "Create lists, tags and custom fields that records name but the account lacks "
            "(one call each). Off: such records fail with `unknown_list` and the like. "
            "Definitions sent by the contact_lists, contact_tags and custom_fields streams "
            "are always created."
        ),
    ),
    th.Property(
        "membership_mode",
        th.StringType(),
        default="replace",
        allowed_values=["replace", "add"],
        title="List and tag membership mode",
        description=(
            "`replace`: lists and tags a record sends are the contact's whole set (others are "
            "removed). `add`: they are only added. A record that sends no list or tag column "
            "leaves memberships alone either way."
        ),
    ),
    th.Property(
        "default_list_id",
        th.StringType(),
        title="Default list id",
        description=(
            "List new contacts without any list are added to (the bulk import needs one). "
            "Without it, such contacts ride along in another import (or a staging list) and are "
            "taken off that list afterwards."
        ),
    ),
    th.Property(
        "default_list_name",
        th.StringType(),
        title="Default list name",
        description="As default_list_id, by name (created if missing).",
    ),
    th.Property(
        "staging_list_name",
        th.StringType(),
        default=DEFAULT_STAGING_LIST,
        title="Staging list name",
        description="The list that carries list-less contacts through the bulk import.",
    ),
    th.Property(
        "unknown_streams",
        th.StringType(),
        default="fail",
        allowed_values=["fail", "ignore"],
        title="Unknown streams",
        description="What to do with a stream the target does not write: fail, or ignore it.",
    ),
    th.Property(
        "results_path",
        th.StringType(),
        default=DEFAULT_RESULTS_PATH,
        title="Results ledger path",
        description=(
            "JSONL file (mode 0600) receiving one line per input record: stream, key, "
            "contact_id, action, outcome, error_key, message. Appended to, with a run_id."
        ),
    ),
    th.Property(
        "max_failed_records",
        th.IntegerType(minimum=0),
        default=0,
        title="Max failed records",
        description=(
            "The run fails (exit code 1, no final STATE) when more records than this fail. "
            "Valid records are applied either way."
        ),
    ),
    th.Property(
        "dry_run",
        th.BooleanType(),
        default=False,
        title="Dry run",
        description=(
            "Validate, read the account and plan; write each record's would-be outcome to the "
            "ledger; send no write at all."
        ),
    ),
    th.Property(
        "bulk_threshold",
        th.IntegerType(minimum=1),
        default=5,
        title="Bulk threshold",
        description=(
            "A batch with fewer contacts to write than this uses one call per contact; "
            "from this number on, bulk activities."
        ),
    ),
    th.Property(
        "write_notes",
        th.BooleanType(),
        default=False,
        title="Write notes",
        description=(
            "Copy contact notes. The bulk import cannot set notes, so each contact whose "
            "notes differ costs one PUT."
        ),
    ),
    th.Property(
        "activity_poll_interval",
        th.NumberType(),
        default=2.0,
        title="Activity poll interval",
        description="Seconds before the first poll of a bulk activity; grows 1.5x up to 30 s.",
    ),
    th.Property(
        "activity_timeout",
        th.NumberType(),
        default=3600.0,
        title="Activity timeout",
        description=(
            "Seconds to wait for a bulk activity to end (and for a full activity queue to "
            "drain) before failing its records."
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class TargetSettings:
    actions: dict[str, Action] = field(default_factory=dict)
    match_by: str = "email"
    contact_streams: frozenset[str] = frozenset({CONTACTS_STREAM})
    create_missing_definitions: bool = False
    add_only_memberships: bool = False
    default_list_id: str | None = None
    default_list_name: str | None = None
    staging_list_name: str = DEFAULT_STAGING_LIST
    ignore_unknown_streams: bool = False
    results_path: str | None = DEFAULT_RESULTS_PATH
    max_failed_records: int = 0
    dry_run: bool = False
    bulk_threshold: int = 5
    write_notes: bool = False
    activity_poll_interval: float = 2.0
    activity_timeout: float = 3600.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> tuple[TargetSettings, list[str]]:
        """Settings, and one message per bad setting (empty when all are good)."""
        errors: list[str] = []

        def choice(name: str, allowed: tuple[str, ...], default: str) -> str:
            value = config.get(name)
            if value is None:
                return default
            if value not in allowed:
                errors.append(f"{name}: {value!r} is not one of {', '.join(allowed)}")
                return default
            return value

        def number(name: str, default: float, *, minimum: float, integer: bool = False) -> Any:
            value = config.get(name)
            if value is None:
                return default
            if isinstance(value, Decimal):  # config files are read with decimal numbers
                value = int(value) if value == int(value) else float(value)
            valid_type = isinstance(value, int) if integer else isinstance(value, int | float)
            if isinstance(value, bool) or not valid_type or value < minimum:
                kind = "an integer" if integer else "a number"
                errors.append(f"{name}: must be {kind} of at least {minimum}, got {value!r}")
                return default
            return value

        def flag(name: str) -> bool:
            value = config.get(name, False)
            if not isinstance(value, bool):
                errors.append(f"{name}: must be true or false, got {value!r}")
                return False
            return value

        def text(name: str) -> str | None:
            value = config.get(name)
            if value is not None and (not isinstance(value, str) or not value.strip()):
                errors.append(f"{name}: must be a non-empty string")
                return None
            return value.strip() if value else None

        actions: dict[str, Action] = {}
        raw_actions = config.get("actions") or {}
        if not isinstance(raw_actions, Mapping):
            errors.append("actions: must be an object mapping stream names to actions")
            raw_actions = {}
        for stream, value in raw_actions.items():
            try:
                actions[stream] = Action(str(value).lower())
            except ValueError:
                allowed = ", ".join(action.value for action in Action)
                errors.append(f"actions.{stream}: {value!r} is not one of {allowed}")

        streams = config.get("contact_streams") or []
        if not isinstance(streams, list) or not all(isinstance(s, str) for s in streams):
            errors.append("contact_streams: must be an array of stream names")
            streams = []
        overlap = set(streams) & set(DEFINITION_STREAMS)
        if overlap:
            errors.append(f"contact_streams: {', '.join(sorted(overlap))} is a definitions stream")

        default_list_id, default_list_name = text("default_list_id"), text("default_list_name")
        if default_list_id and default_list_name:
            errors.append("default_list_id and default_list_name: set one of them, not both")

        settings = cls(
            actions=actions,
            match_by=choice("match_by", ("email", "contact_id"), "email"),
            contact_streams=frozenset({CONTACTS_STREAM, *streams}),
            create_missing_definitions=flag("create_missing_definitions"),
            add_only_memberships=choice("membership_mode", ("replace", "add"), "replace") == "add",
            default_list_id=default_list_id,
            default_list_name=default_list_name,
            staging_list_name=text("staging_list_name") or DEFAULT_STAGING_LIST,
            ignore_unknown_streams=choice("unknown_streams", ("fail", "ignore"), "fail")
            == "ignore",
            results_path=text("results_path") if "results_path" in config else DEFAULT_RESULTS_PATH,
            max_failed_records=number("max_failed_records", 0, minimum=0, integer=True),
            dry_run=flag("dry_run"),
            bulk_threshold=number("bulk_threshold", 5, minimum=1, integer=True),
            write_notes=flag("write_notes"),
            activity_poll_interval=number("activity_poll_interval", 2.0, minimum=0),
            activity_timeout=number("activity_timeout", 3600.0, minimum=1),
        )
        return settings, errors

    def action_for(self, stream: str) -> Action:
        return self.actions.get(stream, Action.UPSERT)
