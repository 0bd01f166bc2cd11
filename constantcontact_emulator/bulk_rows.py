"""One contact row of a bulk import (`ContactsJsonImport.import_data[]` or a CSV line), checked
and turned into `ContactChanges`.

Field names are the spec's `JsonImportContact`: names, `birthday_month`/`birthday_day`,
`anniversary`, `phone` (kind other), `home_phone`, `work_phone`, `mobile_phone`, `other_phone`,
`street`/`street2`/`city`/`state`/`zip`/`country` (kind home; `street2` is appended to the
street), the same with `home_`, `work_` and `other_` prefixes (`home country`, with a space, as
the spec spells it, is accepted too), `cf:<custom field name>`, `sms_number`,
`sms_consent_date`.

The import cannot clear anything: a null or empty value means "not given". A row with a problem
is not imported. Problems the product calls correctable (an invalid email address, a birthday or
anniversary in a wrong format, no email address nor SMS number) count in `correctable_count`;
every other problem (an unknown custom field, more than 25 custom fields, an unknown property, a
value of the wrong type or too long) counts in `error_count`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from constantcontact_emulator import contacts, definitions, errors
from constantcontact_emulator.contacts import AddressInput, ContactChanges, PhoneInput
from constantcontact_emulator.params import is_email
from constantcontact_emulator.state import Contact, CustomFieldValue, EmulatorState

MAX_EMAIL_LENGTH = 50
MAX_PHONE_LENGTH = 25  # the contact resource's limit (the import's schema says 50)
MAX_PHONES = 3
NAME_FIELDS = ("first_name", "last_name", "job_title", "company_name")
PHONE_FIELDS = {
    "phone": "other",
    "home_phone": "home",
    "work_phone": "work",
    "mobile_phone": "mobile",
    "other_phone": "other",
}
# address part of the import -> (AddressInput attribute, max length)
ADDRESS_PARTS = {
    "street": ("street", 255),
    "street2": ("street2", 255),
    "city": ("city", 50),
    "state": ("state", 50),
    "zip": ("postal_code", 50),
    "country": ("country", 50),
}
ADDRESS_KINDS = ("home", "work", "other")
OTHER_FIELDS = (
    "email",
    "birthday_month",
    "birthday_day",
    "anniversary",
    "sms_number",
    "sms_consent_date",
)


def _address_keys() -> dict[str, tuple[str, str]]:
    """Every address key -> (kind, part). Unprefixed parts are the home address."""
    keys: dict[str, tuple[str, str]] = {}
    for part in ADDRESS_PARTS:
        keys[part] = ("home", part)
        for kind in ADDRESS_KINDS:
            keys[f"{kind}_{part}"] = (kind, part)
    keys["home country"] = ("home", "country")
    return keys


ADDRESS_KEYS = _address_keys()
KNOWN_FIELDS = frozenset((*NAME_FIELDS, *PHONE_FIELDS, *ADDRESS_KEYS, *OTHER_FIELDS))


class RowProblems:
    """Problems found in one row, split the way the activity's status counts them."""

    def __init__(self) -> None:
        self.correctable: list[str] = []
        self.errors: list[str] = []

    def __bool__(self) -> bool:
        return bool(self.correctable or self.errors)

    def message(self) -> str:
        return "; ".join([*self.correctable, *self.errors])


@dataclass
class ImportRow:
    """A checked row. `addresses` hold only the parts given: they are merged into the
    contact's stored address of the same kind when the row is applied (no blanking)."""

    email: str | None
    sms_address: str | None
    changes: ContactChanges
    addresses: dict[str, dict[str, str]] = field(default_factory=dict)
    sms_consent_date: date | None = None

    @property
    def label(self) -> str:
        return self.email or (f"SMS {self.sms_address}" if self.sms_address else "no email")


def row_label(row: Any) -> str:
    """How a row is named in `activity_errors`: its email, else its SMS number."""
    if isinstance(row, dict):
        for key in ("email", "sms_number"):
            value = row.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip() if key == "email" else f"SMS {value.strip()}"
    return "no email"


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _text(row: dict[str, Any], name: str, max_length: int, problems: RowProblems) -> str | None:
    value = row.get(name)
    if not _given(value):
        return None
    if not isinstance(value, str):
        problems.errors.append(f"'{name}' must be a string")
        return None
    value = value.strip()
    if len(value) > max_length:
        problems.errors.append(f"'{name}' is longer than {max_length} characters")
        return None
    return value


def _small_int(row: dict[str, Any], name: str) -> int | str | None:
    """An integer given as a JSON number or a digit string (CSV); 'bad' when malformed."""
    value = row.get(name)
    if not _given(value):
        return None
    if isinstance(value, bool):
        return "bad"
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return "bad"


def parse_row(
    state: EmulatorState, row: Any, *, sms_permission: str | None
) -> tuple[ImportRow | None, RowProblems]:
    """Check one row against the account (custom fields must exist)."""
    problems = RowProblems()
    if not isinstance(row, dict):
        problems.errors.append("the row must be an object")
        return None, problems
    unknown = sorted(k for k in row if k not in KNOWN_FIELDS and not k.startswith("cf:"))
    for key in unknown:
        problems.errors.append(f"unknown property '{key}'")
    changes = ContactChanges()
    email = _email(row, problems)
    sms_address = _sms_number(row, problems)
    if email is None and sms_address is None and not problems.correctable:
        problems.correctable.append("no email address or SMS number")
    for name in NAME_FIELDS:
        value = _text(row, name, 50, problems)
        if value is not None:
            changes.scalars[name] = value
    _birthday(row, changes, problems)
    _anniversary(row, changes, problems)
    changes.phone_numbers = _phones(row, problems) or None
    addresses = _addresses(row, problems)
    changes.custom_fields = _custom_fields(state, row, problems) or None
    consent = _sms_consent(row, sms_address, sms_permission, problems)
    if problems:
        return None, problems
    return (
        ImportRow(email, sms_address, changes, addresses, consent),
        problems,
    )


def _email(row: dict[str, Any], problems: RowProblems) -> str | None:
    value = row.get("email")
    if not _given(value):
        return None
    if not isinstance(value, str):
        problems.correctable.append("invalid email address (not a string)")
        return None
    value = value.strip()
    if len(value) > MAX_EMAIL_LENGTH:
        problems.correctable.append(
            f"invalid email address (longer than {MAX_EMAIL_LENGTH} characters)"
        )
        return None
    if not is_email(value):
        problems.correctable.append("invalid email address")
        return None
    return value


def _sms_number(row: dict[str, Any], problems: RowProblems) -> str | None:
    value = row.get("sms_number")
    if not _given(value):
        return None
    text = str(value).strip()
    digits = text.replace("-", "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if not (digits.isdigit() and len(digits) == 10 and len(text) <= 16):
        problems.correctable.append(
            f"invalid SMS number {text!r} (a US number: 1231231234 or 123-123-1234)"
        )
        return None
    return digits


def _birthday(row: dict[str, Any], changes: ContactChanges, problems: RowProblems) -> None:
    month = _small_int(row, "birthday_month")
    day = _small_int(row, "birthday_day")
    if month is None and day is None:
        return
    if month is None or day is None:
        problems.correctable.append("birthday_month and birthday_day must be given together")
        return
    if not isinstance(month, int) or not isinstance(day, int):
        problems.correctable.append("birthday_month and birthday_day must be whole numbers")
        return
    try:
        date(2000, month, day)  # a leap year: 02/29 is a valid birthday
    except ValueError:
        problems.correctable.append(f"invalid birthday {month}/{day}")
        return
    changes.scalars["birthday_month"] = month
    changes.scalars["birthday_day"] = day


def _anniversary(row: dict[str, Any], changes: ContactChanges, problems: RowProblems) -> None:
    value = row.get("anniversary")
    if not _given(value):
        return
    text = str(value).strip()
    if len(text) > 10 or definitions.parse_loose_date(text) is None:
        problems.correctable.append(
            f"invalid anniversary {text!r} (MM/DD/YYYY, YYYY-MM-DD, M-D-YYYY, ...)"
        )
        return
    changes.scalars["anniversary"] = text


def _phones(row: dict[str, Any], problems: RowProblems) -> list[PhoneInput]:
    by_kind: dict[str, str] = {}
    for name, kind in PHONE_FIELDS.items():  # other_phone comes after phone: it wins
        number = _text(row, name, MAX_PHONE_LENGTH, problems)
        if number is not None:
            by_kind[kind] = number
    if len(by_kind) > MAX_PHONES:
        problems.errors.append(f"more than {MAX_PHONES} phone numbers")
    return [PhoneInput(number, kind) for kind, number in by_kind.items()]


def _addresses(row: dict[str, Any], problems: RowProblems) -> dict[str, dict[str, str]]:
    addresses: dict[str, dict[str, str]] = {}
    for key, (kind, part) in ADDRESS_KEYS.items():
        attribute, max_length = ADDRESS_PARTS[part]
        value = _text(row, key, max_length, problems)
        if value is None:
            continue
        parts = addresses.setdefault(kind, {})
        # a prefixed key (home_city) wins over the unprefixed one (city)
        if attribute not in parts or key != part:
            parts[attribute] = value
    for kind, parts in addresses.items():
        second = parts.pop("street2", None)
        if second is not None:
            street = f"{parts['street']}, {second}" if parts.get("street") else second
            if len(street) > 255:
                problems.errors.append(f"the {kind} street with street2 is over 255 characters")
            parts["street"] = street[:255]
    return addresses


def _custom_fields(
    state: EmulatorState, row: dict[str, Any], problems: RowProblems
) -> list[CustomFieldValue]:
    values: list[CustomFieldValue] = []
    keys = [k for k in row if k.startswith("cf:") and _given(row[k])]
    if len(keys) > contacts.MAX_CUSTOM_FIELDS:
        problems.errors.append(
            f"{len(keys)} custom fields; a contact can have at most {contacts.MAX_CUSTOM_FIELDS}"
        )
        return values
    for key in keys:
        name = key[3:]
        custom_field = definitions.find_custom_field_by_name(state, name)
        if custom_field is None:
            problems.errors.append(f"custom field '{name}' does not exist ({key})")
            continue
        raw = row[key]
        value = raw.strip() if isinstance(raw, str) else raw
        try:
            values.append(
                definitions.custom_field_value(
                    state, custom_field.custom_field_id, value, None, key
                )
            )
        except errors.ApiError as exc:
            problems.errors.append(exc.message.replace(f"'{key}.value'", f"'{key}'").rstrip("."))
    return values


def _sms_consent(
    row: dict[str, Any], sms_address: str | None, permission: str | None, problems: RowProblems
) -> date | None:
    value = row.get("sms_consent_date")
    if not _given(value):
        if sms_address is not None and permission == "explicit":
            problems.correctable.append(
                "sms_consent_date is required when sms_permission_to_send is explicit"
            )
        return None
    parsed = definitions.parse_loose_date(str(value))
    if parsed is None:
        problems.correctable.append(f"invalid sms_consent_date {value!r}")
    return parsed


# --- applying a row ------------------------------------------------------------------------------


def merged_addresses(contact: Contact | None, row: ImportRow) -> list[AddressInput] | None:
    """The row's address parts laid over the contact's stored address of the same kind."""
    if not row.addresses:
        return None
    stored = {a.kind: a for a in contact.street_addresses} if contact is not None else {}
    result = []
    for kind, parts in row.addresses.items():
        base = stored.get(kind)
        current = (
            {
                "street": base.street,
                "city": base.city,
                "state": base.state,
                "postal_code": base.postal_code,
                "country": base.country,
            }
            if base is not None
            else {}
        )
        current.update(parts)
        result.append(AddressInput(kind=kind, **current))
    return result


def custom_field_overflow(contact: Contact | None, row: ImportRow) -> int:
    """How many custom fields the contact would have after the row, when over 25; else 0."""
    if contact is None or not row.changes.custom_fields:
        return 0
    ids = {v.custom_field_id for v in contact.custom_fields}
    ids.update(v.custom_field_id for v in row.changes.custom_fields)
    return len(ids) if len(ids) > contacts.MAX_CUSTOM_FIELDS else 0
