"""`contacts_json_import` and `contacts_file_import`: upsert contacts by email, in bulk.

At POST (400s): `list_ids` 1-50 existing lists; `import_data` an array of at most 40,000
objects; `sms_permission_to_send` explicit or not_set. A JSON body over 4 MB is cut as the API
documents: rows that do not end within the first 4 MB are dropped without a word
(`POST /_emulator/faults {"import_oversize": "reject"}` answers 413 instead). A CSV file keeps
its first 40,000 lines (the header included) and its first 4 MB of whole lines.

When the job runs, each row is checked (bulk_rows.py) and applied with
`contacts.upsert_contact_by_email`: email match case-insensitive, only the given properties
change, lists are appended, deleted contacts are revived, new contacts get
`permission_to_send: implicit` and `opt_in_source: Account`, and an unsubscribed contact is
updated but not added to the lists (`cannot_add_to_list_count`). A row with a problem is not
imported; `activity_errors` gets `"Row N (email): problem"`, N counting the contacts of the
request from 1.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from constantcontact_emulator import contacts, errors
from constantcontact_emulator.bulk import ActivityFailedError, BulkActivity, JobRequest
from constantcontact_emulator.bulk_rows import (
    KNOWN_FIELDS,
    ImportRow,
    custom_field_overflow,
    merged_addresses,
    parse_row,
    row_label,
)
from constantcontact_emulator.params import Fields, parse_uuid_csv
from constantcontact_emulator.state import Contact, EmulatorState, SmsChannel
from constantcontact_emulator.timefmt import iso_seconds

MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_CONTACTS = 40_000
MAX_LISTS = 50
SMS_PERMISSIONS = ("explicit", "not_set")


def _status(rows: int, lists: int, *, header: bool = False) -> dict[str, int]:
    return {
        # the spec counts the header line of a file import
        "items_total_count": rows + (1 if header else 0),
        "items_completed_count": 0,
        "person_count": 0,
        "error_count": 0,
        "correctable_count": 0,
        "cannot_add_to_list_count": 0,
        "list_count": lists,
    }


# --- the JSON request --------------------------------------------------------------------------


def json_request(state: EmulatorState, raw: bytes, body: Fields, *, oversize: str) -> JobRequest:
    """Validate a `ContactsJsonImport` body (`raw` are its bytes, for the 4 MB cut)."""
    list_ids = body.id_list("list_ids", max_items=MAX_LISTS, min_items=1, required=True) or []
    contacts.check_lists(state, list_ids, "list_ids")
    sms_permission = body.string("sms_permission_to_send", allowed=SMS_PERMISSIONS)
    rows = body.data.get("import_data")
    if rows is None:
        raise errors.bad_request("'import_data' is required.")
    if not isinstance(rows, list):
        raise errors.bad_request("Invalid 'import_data': must be an array.")
    if not rows:
        raise errors.bad_request("Invalid 'import_data': must have at least one contact.")
    if len(rows) > MAX_CONTACTS:
        raise errors.bad_request(
            f"Invalid 'import_data': {len(rows):,} contacts; at most {MAX_CONTACTS:,} per request."
        )
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise errors.bad_request(f"Invalid 'import_data[{index}]': must be an object.")
    if len(raw) > MAX_BODY_BYTES:
        if oversize == "reject":
            raise errors.ApiError(
                413,
                errors.BAD_REQUEST,
                f"The request body is {len(raw):,} bytes; at most {MAX_BODY_BYTES:,} (4 MB).",
            )
        rows = rows[: rows_within(raw, MAX_BODY_BYTES)]
    payload = {"rows": rows, "list_ids": list_ids, "sms_permission_to_send": sms_permission}
    return JobRequest(
        kind="contacts_json_import",
        payload=payload,
        size=len(rows),
        status=_status(len(rows), len(list_ids)),
    )


def rows_within(raw: bytes, limit: int) -> int:
    """How many `import_data` items end within the first `limit` bytes of the body.

    Walks the top-level object with `json.JSONDecoder.raw_decode`, which reports where each
    value ends, so the cut falls where the real API's byte limit would fall.
    """
    text = raw.decode("utf-8")
    decoder = json.JSONDecoder()
    index = _skip(text, 0)
    if text[index : index + 1] != "{":
        return 0
    index = _skip(text, index + 1)
    while index < len(text) and text[index] != "}":
        key, index = decoder.raw_decode(text, index)
        index = _skip(text, index)
        index = _skip(text, index + 1)  # the colon
        if key == "import_data":
            return _count_items(text, index, limit)
        _, index = decoder.raw_decode(text, index)
        index = _skip(text, index)
        if text[index : index + 1] == ",":
            index = _skip(text, index + 1)
    return 0


def _count_items(text: str, index: int, limit: int) -> int:
    decoder = json.JSONDecoder()
    index = _skip(text, index + 1)  # the opening bracket
    count = 0
    byte_offset = len(text[:index].encode("utf-8"))
    while index < len(text) and text[index] != "]":
        _, end = decoder.raw_decode(text, index)
        byte_offset += len(text[index:end].encode("utf-8"))
        if byte_offset > limit:
            return count
        count += 1
        after = _skip(text, end)
        if text[after : after + 1] == ",":
            after = _skip(text, after + 1)
        byte_offset += len(text[end:after].encode("utf-8"))
        index = after
    return count


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


# --- the CSV request ---------------------------------------------------------------------------


def csv_request(
    state: EmulatorState,
    content: bytes,
    filename: str | None,
    list_ids_raw: str | None,
    sms_permission: str | None,
) -> JobRequest:
    """Validate a `contacts_file_import` form (the file's bytes, its name, the other fields)."""
    if not list_ids_raw:
        raise errors.bad_request("'list_ids' is required.")
    list_ids = parse_uuid_csv("list_ids", list_ids_raw, max_items=MAX_LISTS)
    if not list_ids:
        raise errors.bad_request("'list_ids' is required.")
    contacts.check_lists(state, list_ids, "list_ids")
    if sms_permission not in (None, "", *SMS_PERMISSIONS):
        raise errors.bad_request(
            f"Invalid 'sms_permission_to_send': {sms_permission!r}; use explicit or not_set."
        )
    rows = _csv_rows(content)
    payload = {"rows": rows, "list_ids": list_ids, "sms_permission_to_send": sms_permission or None}
    return JobRequest(
        kind="contacts_file_import",
        payload=payload,
        size=len(rows),
        status=_status(len(rows), len(list_ids), header=True),
        source_file_name=filename or "import.csv",
    )


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    if len(content) > MAX_BODY_BYTES:
        # only whole lines of the first 4 MB are imported
        content = content[: content.rfind(b"\n", 0, MAX_BODY_BYTES) + 1]
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise errors.bad_request("Invalid 'file': the CSV file must be UTF-8 text.") from None
    lines = text.splitlines(keepends=True)[:MAX_CONTACTS]
    reader = csv.reader(io.StringIO("".join(lines)))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise errors.bad_request("Invalid 'file': the CSV file is empty.") from None
    except csv.Error as exc:
        raise errors.bad_request(f"Invalid 'file': {exc}.") from None
    if "email" not in header and "sms_number" not in header:
        raise errors.bad_request(
            "Invalid 'file': the header row must have an 'email' or 'sms_number' column."
        )
    unknown = [n for n in header if n and n not in KNOWN_FIELDS and not n.startswith("cf:")]
    if unknown:
        raise errors.bad_request(
            f"Invalid 'file': unknown column(s) {', '.join(repr(n) for n in unknown)}."
        )
    rows = []
    try:
        for values in reader:
            if not any(v.strip() for v in values):
                continue
            rows.append({n: v for n, v in zip(header, values, strict=False) if n and v.strip()})
    except csv.Error as exc:
        raise errors.bad_request(f"Invalid 'file': line {reader.line_num}: {exc}.") from None
    if not rows:
        raise errors.bad_request("Invalid 'file': no contact rows after the header.")
    return rows


# --- the job -----------------------------------------------------------------------------------


def run_import(state: EmulatorState, activity: BulkActivity, now: float) -> None:
    payload = activity.payload
    list_ids = [
        lid
        for lid in payload["list_ids"]
        if lid in state.lists and state.lists[lid].deleted_at is None
    ]
    if not list_ids:
        raise ActivityFailedError(
            "The import failed: none of its lists exists any more "
            f"({', '.join(payload['list_ids'])})."
        )
    for gone in [lid for lid in payload["list_ids"] if lid not in list_ids]:
        activity.errors.append(f"List {gone} no longer exists; no contact was added to it.")
    sms_permission = payload.get("sms_permission_to_send")
    by_sms: dict[str, Contact] | None = None
    touched: set[str] = set()
    status = activity.status
    for number, raw in enumerate(payload["rows"], start=1):
        row, problems = parse_row(state, raw, sms_permission=sms_permission)
        if row is None:
            status["error_count" if problems.errors else "correctable_count"] += 1
            activity.errors.append(f"Row {number} ({row_label(raw)}): {problems.message()}")
            continue
        if row.email is None and by_sms is None:
            by_sms = _sms_index(state)
        existing = (
            contacts.find_by_email(state, row.email)
            if row.email is not None
            else (by_sms or {}).get(row.sms_address or "")
        )
        overflow = custom_field_overflow(existing, row)
        if overflow:
            status["error_count"] += 1
            activity.errors.append(
                f"Row {number} ({row.label}): the contact would have {overflow} custom fields; "
                f"at most {contacts.MAX_CUSTOM_FIELDS}"
            )
            continue
        contact, cannot_add = _apply(
            state, row, existing, list_ids=list_ids, sms_permission=sms_permission, now=now
        )
        if by_sms is not None and row.sms_address is not None:
            by_sms[row.sms_address] = contact
        touched.add(contact.contact_id)
        if cannot_add:
            status["cannot_add_to_list_count"] += 1
        elif len(contact.list_memberships) >= contacts.MAX_LISTS and not set(list_ids) <= set(
            contact.list_memberships
        ):
            activity.errors.append(
                f"Row {number} ({row.label}): the contact is already in "
                f"{contacts.MAX_LISTS} lists; it was not added to every list"
            )
    status["person_count"] = len(touched)


def _apply(
    state: EmulatorState,
    row: ImportRow,
    existing: Contact | None,
    *,
    list_ids: list[str],
    sms_permission: str | None,
    now: float,
) -> tuple[Contact, bool]:
    changes = row.changes
    changes.street_addresses = merged_addresses(existing, row)
    changes.list_ids = list(list_ids)
    if row.sms_address is not None:
        changes.sms_channel = _sms_channel(
            state, row.sms_address, row, existing, permission=sms_permission, now=now
        )
    if row.email is not None:
        contact, _, cannot_add = contacts.upsert_contact_by_email(
            state,
            row.email,
            changes,
            source="Account",
            now=now,
            new_permission="implicit",
            new_opt_in_source="Account",
        )
        return contact, cannot_add
    if existing is None:
        return contacts.create_contact(state, changes, create_source="Account", now=now), False
    unsubscribed = existing.permission == "unsubscribed"
    if unsubscribed:
        changes.list_ids = None
    contacts.update_contact(state, existing, changes, update_source="Account", now=now)
    return existing, unsubscribed


def _sms_index(state: EmulatorState) -> dict[str, Contact]:
    return {
        c.sms_channel.sms_address: c for c in state.contacts.values() if c.sms_channel is not None
    }


def _sms_channel(
    state: EmulatorState,
    address: str,
    row: ImportRow,
    existing: Contact | None,
    *,
    permission: str | None,
    now: float,
) -> SmsChannel:
    stamp = iso_seconds(now)
    consent: dict[str, Any] = {
        "sms_consent_permission": permission or "not_set",
        "consent_type": "promotional_sms",
        "created_at": stamp,
        "updated_at": stamp,
    }
    if permission == "explicit" and row.sms_consent_date is not None:
        consent["opt_in_date"] = f"{row.sms_consent_date.isoformat()}T00:00:00Z"
    old = existing.sms_channel if existing is not None else None
    return SmsChannel(
        sms_channel_id=old.sms_channel_id if old is not None else state.new_id(),
        sms_address=address,
        dial_code="1",
        country_code="US",
        create_source=old.create_source if old is not None else "Account",
        update_source="Account",
        consents=[consent],
    )
