"""Input record -> `ContactIntent`: what the record asks the account to become.

Two input shapes are accepted (see docs/target-mapping.md): records of the tap's `contacts` stream
(nested `email_address`, `custom_fields` / `list_memberships` / `taggings` by source id, ...)
and flat warehouse rows (`email_address` string, `list_names`, `tag_names`, `cf_<name>`, ...).
Validation covers what the write needs (types, limits from the spec), one clear error per record,
so a bad record fails alone and never the batch.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from target_constantcontact.model import (
    ADDRESS_KINDS,
    ADDRESS_PARTS,
    PHONE_KINDS,
    Action,
    ContactIntent,
    RecordError,
    Ref,
    normalize_anniversary,
)

MAX_EMAIL = 80
MAX_NAME = 50
MAX_PHONE = 25
MAX_STREET = 255
MAX_ADDRESS_PART = 50
MAX_CUSTOM_FIELD_VALUE = 255
MAX_CUSTOM_FIELDS = 25
MAX_LISTS = 50
MAX_TAGS = 50
MAX_NOTE = 2000
MAX_NOTES = 150
MAX_OPT_OUT_REASON = 255
MAX_PHONES = 3
MAX_ADDRESSES = 3

PERMISSIONS = frozenset(
    {"explicit", "implicit", "not_set", "pending_confirmation", "temp_hold", "unsubscribed"}
)
_EMAIL = re.compile(
    r"^(?!\.)(?!.*\.\.)[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+(?<!\.)"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)

# Read-only or informational fields of the tap's contacts schema: accepted and not written.
_IGNORED = frozenset(
    {
        "create_source",
        "update_source",
        "created_at",
        "updated_at",
        "deleted_at",
        "sms_channel",
        "_sdc_extracted_at",
        "_sdc_received_at",
        "_sdc_batched_at",
        "_sdc_sequence",
        "_sdc_table_version",
        "_sdc_sync_started_at",
    }
)
_STRING_FIELDS = dict.fromkeys(("first_name", "last_name", "job_title", "company_name"), MAX_NAME)
_FLAT_PHONE_COLUMNS = {f"{kind}_phone": kind for kind in PHONE_KINDS}
_FLAT_ADDRESS_PARTS = {"street": "street", "city": "city", "state": "state"} | {
    "postal_code": "postal_code",
    "zip": "postal_code",
    "country": "country",
}
_ADDRESS_COLUMNS: dict[str, tuple[str | None, str]] = {
    column: (None, part) for column, part in _FLAT_ADDRESS_PARTS.items()
} | {
    f"{kind}_{column}": (kind, part)
    for kind in ADDRESS_KINDS
    for column, part in _FLAT_ADDRESS_PARTS.items()
}
_KNOWN = (
    frozenset(
        {
            "contact_id",
            "email",
            "email_address",
            "permission_to_send",
            "unsubscribed",
            "opt_out_reason",
            "birthday_month",
            "birthday_day",
            "anniversary",
            "phone_number",
            "phone_numbers",
            "street_addresses",
            "address_kind",
            "custom_fields",
            "list_memberships",
            "list_ids",
            "list_names",
            "taggings",
            "tag_ids",
            "tag_names",
            "notes",
            "_sdc_action",
            "_sdc_deleted_at",
        }
    )
    | _IGNORED
    | frozenset(_STRING_FIELDS)
    | frozenset(_FLAT_PHONE_COLUMNS)
    | frozenset(_FLAT_ADDRESS_PARTS)
    | frozenset(f"{kind}_{part}" for kind in ADDRESS_KINDS for part in _FLAT_ADDRESS_PARTS)
)


def is_valid_email(value: str) -> bool:
    return len(value) <= MAX_EMAIL and _EMAIL.match(value) is not None


def parse_action(value: Any) -> Action:
    if isinstance(value, str):
        try:
            return Action(value.strip().lower())
        except ValueError:
            pass
    choices = ", ".join(action.value for action in Action)
    raise RecordError(
        "invalid_action", f"_sdc_action {value!r} is not one of {choices}", "_sdc_action"
    )


def _type_name(value: Any) -> str:
    return {
        bool: "boolean",
        int: "integer",
        float: "number",
        Decimal: "number",
        str: "string",
        list: "array",
        dict: "object",
    }.get(type(value), type(value).__name__)


def _string(value: Any, name: str, max_length: int, *, coerce_numbers: bool = False) -> str | None:
    if value is None:
        return None
    if coerce_numbers and isinstance(value, int | Decimal | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise RecordError("invalid_type", f"{name} must be a string, got {_type_name(value)}", name)
    value = value.strip()
    if len(value) > max_length:
        raise RecordError(
            "too_long", f"{name} is {len(value)} characters long; the limit is {max_length}", name
        )
    return value or None


def _integer(value: Any, name: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, Decimal | float) and value == int(value):
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None:
        raise RecordError(
            "invalid_type", f"{name} must be an integer, got {_type_name(value)}", name
        )
    if not low <= number <= high:
        raise RecordError("invalid_value", f"{name} must be between {low} and {high}", name)
    return number


def _anniversary(value: Any) -> str | None:
    """Validated and normalized to `YYYY-MM-DD` (the account's value is, too: they compare)."""
    text = _string(value, "anniversary", 10)
    if text is None:
        return None
    normalized = normalize_anniversary(text)
    if normalized is None:
        raise RecordError(
            "invalid_value",
            "anniversary must be a date such as YYYY-MM-DD or MM/DD/YYYY",
            "anniversary",
        )
    return normalized


def _custom_field_value(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | Decimal | float):
        text = str(value)
    elif isinstance(value, str):
        text = value
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        text = ",".join(value)
    else:
        raise RecordError(
            "invalid_type",
            f"{name} must be a string, number, boolean or list of strings, got {_type_name(value)}",
            name,
        )
    return _string(text, name, MAX_CUSTOM_FIELD_VALUE)


def _string_list(value: Any, name: str) -> list[str]:
    """An array of strings, or a comma-separated string (handy for warehouse columns)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list):
        raise RecordError(
            "invalid_type", f"{name} must be an array of strings, got {_type_name(value)}", name
        )
    items = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise RecordError("invalid_type", f"{name} must contain only non-empty strings", name)
        items.append(item.strip())
    return items


class RecordMapper:
    """Maps the records of one stream; remembers columns it does not know (logged once)."""

    def __init__(self, stream: str, default_action: Action, match_by: str = "email") -> None:
        self.stream = stream
        self.default_action = default_action
        self.match_by = match_by
        self.unknown_columns: set[str] = set()

    def map(self, record: dict[str, Any], seq: int) -> ContactIntent:
        """Return the intent, or raise `RecordError` naming the field."""
        action = self._action(record)
        email = self._email(record)
        contact_id = _string(record.get("contact_id"), "contact_id", 64)
        if self.match_by == "contact_id":
            if contact_id is None:
                raise RecordError(
                    "missing_key",
                    "contact_id is required when match_by is contact_id",
                    "contact_id",
                )
            key = contact_id
        else:
            if email is None:
                raise RecordError("missing_key", "email_address is required", "email_address")
            contact_id = None
            key = email
        if action is Action.CREATE and email is None:
            raise RecordError("missing_key", "email_address is required to create", "email_address")
        intent = ContactIntent(
            seq=seq,
            stream=self.stream,
            action=action,
            key=key,
            email=email,
            contact_id=contact_id,
        )
        if action is Action.DELETE:
            return intent
        self._fields(record, intent)
        self._permission(record, intent)
        self._phones(record, intent)
        self._addresses(record, intent)
        self._custom_fields(record, intent)
        intent.list_refs = self._refs(record, ("list_memberships", "list_ids", "list_names"))
        _check_count(
            record,
            intent.list_refs,
            ("list_memberships", "list_ids", "list_names"),
            MAX_LISTS,
            "lists",
        )
        intent.tag_refs = self._refs(record, ("taggings", "tag_ids", "tag_names"))
        _check_count(
            record, intent.tag_refs, ("taggings", "tag_ids", "tag_names"), MAX_TAGS, "tags"
        )
        self._notes(record, intent)
        self.unknown_columns.update(
            name for name in record if name not in _KNOWN and not name.startswith("cf_")
        )
        return intent

    def _action(self, record: dict[str, Any]) -> Action:
        if record.get("_sdc_deleted_at"):
            return Action.DELETE
        value = record.get("_sdc_action")
        if value is None or value == "":
            return self.default_action
        return parse_action(value)

    @staticmethod
    def _email(record: dict[str, Any]) -> str | None:
        value = record.get("email_address")
        name = "email_address"
        if isinstance(value, dict):
            value = value.get("address")
            name = "email_address.address"
        if value is None and record.get("email") is not None:
            value, name = record["email"], "email"
        if value is None:
            return None
        if not isinstance(value, str):
            raise RecordError(
                "invalid_type", f"{name} must be a string, got {_type_name(value)}", name
            )
        value = value.strip()
        if not value:
            return None
        if len(value) > MAX_EMAIL:
            raise RecordError(
                "too_long",
                f"{name} is {len(value)} characters long; the limit is {MAX_EMAIL}",
                name,
            )
        if not is_valid_email(value):
            raise RecordError("invalid_email", f"{name} is not a valid email address", name)
        return value

    @staticmethod
    def _fields(record: dict[str, Any], intent: ContactIntent) -> None:
        for name, limit in _STRING_FIELDS.items():
            if name in record:
                intent.fields[name] = _string(record[name], name, limit)
        if "anniversary" in record:
            intent.fields["anniversary"] = _anniversary(record["anniversary"])
        has_month, has_day = "birthday_month" in record, "birthday_day" in record
        if has_month or has_day:
            month = _integer(record.get("birthday_month"), "birthday_month", 1, 12)
            day = _integer(record.get("birthday_day"), "birthday_day", 1, 31)
            if (month is None) != (day is None):
                missing = "birthday_day" if day is None else "birthday_month"
                raise RecordError(
                    "invalid_value",
                    "birthday_month and birthday_day must be given together",
                    missing,
                )
            intent.fields["birthday_month"] = month
            intent.fields["birthday_day"] = day

    @staticmethod
    def _permission(record: dict[str, Any], intent: ContactIntent) -> None:
        nested = record.get("email_address")
        source = nested if isinstance(nested, dict) else record
        prefix = "email_address." if source is nested else ""
        permission = source.get("permission_to_send")
        if permission is not None:
            if not isinstance(permission, str) or permission not in PERMISSIONS:
                raise RecordError(
                    "invalid_value",
                    f"{prefix}permission_to_send {permission!r} is not one of "
                    f"{', '.join(sorted(PERMISSIONS))}",
                    f"{prefix}permission_to_send",
                )
            intent.unsubscribe = permission == "unsubscribed"
        flag = record.get("unsubscribed")
        if flag is not None:
            if not isinstance(flag, bool):
                raise RecordError(
                    "invalid_type",
                    f"unsubscribed must be a boolean, got {_type_name(flag)}",
                    "unsubscribed",
                )
            intent.unsubscribe = intent.unsubscribe or flag
        intent.opt_out_reason = _string(
            source.get("opt_out_reason"), f"{prefix}opt_out_reason", MAX_OPT_OUT_REASON
        )

    @staticmethod
    def _phones(record: dict[str, Any], intent: ContactIntent) -> None:
        if "phone_numbers" in record and record["phone_numbers"] is not None:
            items = record["phone_numbers"]
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise RecordError(
                    "invalid_type", "phone_numbers must be an array of objects", "phone_numbers"
                )
            if len(items) > MAX_PHONES:
                raise RecordError(
                    "too_many_items",
                    f"phone_numbers has {len(items)} items; the limit is {MAX_PHONES}",
                    "phone_numbers",
                )
            phones: dict[str, str | None] = {}
            extra: list[tuple[str, str]] = []
            for index, item in enumerate(items):
                kind = item.get("kind") or "other"
                if kind not in PHONE_KINDS:
                    raise RecordError(
                        "invalid_value",
                        f"phone_numbers[{index}].kind {kind!r} is not one of "
                        f"{', '.join(PHONE_KINDS)}",
                        f"phone_numbers[{index}].kind",
                    )
                number = _string(
                    item.get("phone_number"),
                    f"phone_numbers[{index}].phone_number",
                    MAX_PHONE,
                    coerce_numbers=True,
                )
                if number is None:
                    continue
                if kind in phones:
                    extra.append((kind, number))
                else:
                    phones[kind] = number
            intent.phones, intent.phones_replace = phones, True
            intent.extra_phones = tuple(extra)
        flat: dict[str, str | None] = {}
        if "phone_number" in record:
            flat["home"] = _string(
                record["phone_number"], "phone_number", MAX_PHONE, coerce_numbers=True
            )
        for column, kind in _FLAT_PHONE_COLUMNS.items():
            if column in record:
                flat[kind] = _string(record[column], column, MAX_PHONE, coerce_numbers=True)
        if flat:
            intent.phones = {**(intent.phones or {}), **flat}

    @staticmethod
    def _addresses(record: dict[str, Any], intent: ContactIntent) -> None:
        if "street_addresses" in record and record["street_addresses"] is not None:
            items = record["street_addresses"]
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise RecordError(
                    "invalid_type",
                    "street_addresses must be an array of objects",
                    "street_addresses",
                )
            if len(items) > MAX_ADDRESSES:
                raise RecordError(
                    "too_many_items",
                    f"street_addresses has {len(items)} items; the limit is {MAX_ADDRESSES}",
                    "street_addresses",
                )
            addresses: dict[str, dict[str, str | None] | None] = {}
            for index, item in enumerate(items):
                kind = item.get("kind")
                if kind not in ADDRESS_KINDS:
                    raise RecordError(
                        "invalid_value",
                        f"street_addresses[{index}].kind {kind!r} is not one of "
                        f"{', '.join(ADDRESS_KINDS)}",
                        f"street_addresses[{index}].kind",
                    )
                addresses.setdefault(kind, _address_parts(item, f"street_addresses[{index}]."))
            intent.addresses, intent.addresses_replace = addresses, True
        flat: dict[str, dict[str, str | None]] = {}
        default_kind = record.get("address_kind") or "home"
        if default_kind not in ADDRESS_KINDS:
            raise RecordError(
                "invalid_value",
                f"address_kind {default_kind!r} is not one of {', '.join(ADDRESS_KINDS)}",
                "address_kind",
            )
        # unprefixed columns first: `home_city` wins over `city` for the same address
        for column in sorted(record.keys() & _ADDRESS_COLUMNS.keys(), key=len):
            kind, part = _ADDRESS_COLUMNS[column]
            flat.setdefault(kind or default_kind, {})[part] = _address_part(
                record[column], column, part
            )
        if flat:
            merged = dict(intent.addresses or {})
            for kind, parts in flat.items():
                merged[kind] = {**(merged.get(kind) or {}), **parts}
            intent.addresses = merged

    def _custom_fields(self, record: dict[str, Any], intent: ContactIntent) -> None:
        refs: dict[tuple[str, str], str | None] = {}
        for column, value in record.items():
            if column.startswith("cf_") and len(column) > 3:
                refs[(Ref.NAME, column[3:])] = _custom_field_value(value, column)
        value = record.get("custom_fields")
        if isinstance(value, dict):
            for name, item in value.items():
                refs[(Ref.NAME, name)] = _custom_field_value(item, f"custom_fields.{name}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if not isinstance(item, dict) or not isinstance(item.get("custom_field_id"), str):
                    raise RecordError(
                        "invalid_type",
                        f"custom_fields[{index}] must be an object with a custom_field_id",
                        f"custom_fields[{index}]",
                    )
                refs[(Ref.SOURCE_ID, item["custom_field_id"])] = _custom_field_value(
                    item.get("value"), f"custom_fields[{index}].value"
                )
            intent.custom_fields_replace = True
        elif value is not None:
            raise RecordError(
                "invalid_type",
                f"custom_fields must be an object or an array, got {_type_name(value)}",
                "custom_fields",
            )
        if refs or intent.custom_fields_replace:
            intent.custom_field_refs = refs
        # Tap records carry each value twice (cf_ column and array): count per kind here;
        # the exact check runs once names and ids are resolved.
        kept = max(
            sum(1 for (kind, _), item in refs.items() if kind is ref and item is not None)
            for ref in (Ref.NAME, Ref.SOURCE_ID)
        )
        if kept > MAX_CUSTOM_FIELDS:
            raise RecordError(
                "too_many_custom_fields",
                f"custom_fields: the record sets {kept} custom fields; the limit is "
                f"{MAX_CUSTOM_FIELDS}",
                "custom_fields",
            )

    @staticmethod
    def _refs(
        record: dict[str, Any], columns: tuple[str, str, str]
    ) -> list[tuple[str, str]] | None:
        source_column, id_column, name_column = columns
        present = [column for column in columns if column in record]
        if not present:
            return None
        refs: list[tuple[str, str]] = []
        for column, kind in (
            (source_column, Ref.SOURCE_ID),
            (id_column, Ref.ID),
            (name_column, Ref.NAME),
        ):
            for item in _string_list(record.get(column), column):
                if (kind, item) not in refs:
                    refs.append((kind, item))
        return refs

    @staticmethod
    def _notes(record: dict[str, Any], intent: ContactIntent) -> None:
        value = record.get("notes")
        if value is None:
            return
        if not isinstance(value, list):
            raise RecordError("invalid_type", "notes must be an array", "notes")
        if len(value) > MAX_NOTES:
            raise RecordError(
                "too_many_items", f"notes has {len(value)} items; the limit is {MAX_NOTES}", "notes"
            )
        notes = []
        for index, item in enumerate(value):
            content = item.get("content") if isinstance(item, dict) else item
            text = _string(content, f"notes[{index}].content", MAX_NOTE)
            if text is not None:
                notes.append(text)
        intent.notes = notes


def _check_count(
    record: dict[str, Any],
    refs: list[tuple[str, str]] | None,
    columns: tuple[str, ...],
    limit: int,
    what: str,
) -> None:
    if refs is None or len(refs) <= limit:
        return
    present = [column for column in columns if column in record]
    raise RecordError(
        f"too_many_{what}",
        f"{' + '.join(present)}: the record names {len(refs)} {what}; the limit is {limit}",
        present[0],
    )


def _address_part(value: Any, name: str, part: str) -> str | None:
    limit = MAX_STREET if part == "street" else MAX_ADDRESS_PART
    return _string(value, name, limit, coerce_numbers=part == "postal_code")


def _address_parts(item: dict[str, Any], prefix: str) -> dict[str, str | None]:
    return {part: _address_part(item.get(part), f"{prefix}{part}", part) for part in ADDRESS_PARTS}
