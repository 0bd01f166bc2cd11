"""What the warehouse should hold, from the emulator's stored state, and what it does hold.

Each `expected_*` function turns an `/_emulator/export/<resource>` into rows keyed by primary
key, holding only the fields the comparison checks, in Python types as psycopg returns them;
each `actual_*` function reads the same fields from the table target-postgres wrote. The
custom field columns are derived here independently of the tap's code, from the definitions.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import pytest

from .database import Database

Export = Callable[[str], Any]  # `EmulatorProcess.export`
Row = dict[str, Any]
Rows = dict[Any, Row]
SCHEMA = "constantcontact"  # meltano.yml: target-postgres default_target_schema
PRIMARY_KEYS = {
    "contacts": "contact_id",
    "contact_lists": "list_id",
    "contact_tags": "tag_id",
    "custom_fields": "custom_field_id",
    "segments": "segment_id",
    "campaigns": "campaign_id",
}


def moment(value: Any) -> dt.datetime | None:
    """An API date-time (any ISO-8601 form) or a naive UTC timestamp column, as aware UTC."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        parsed = value
    else:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def day(value: Any) -> dt.date | None:
    """An API date (`YYYY-MM-DD`, `MM/DD/YYYY`) or a date column."""
    if value is None or isinstance(value, dt.date):
        return value
    text = str(value)
    if "/" in text:
        month, day_of_month, year = (int(part) for part in text.split("/"))
        return dt.date(year, month, day_of_month)
    return dt.date.fromisoformat(text[:10])


# Custom fields as `cf_<name>` columns --------------------------------------------------------


def custom_field_value(definition: Mapping[str, Any], item: Mapping[str, Any]) -> Any:
    """The column value of one contact's custom field, by the definition's type."""
    kind, value = definition["type"], item.get("value")
    labels = {
        str(choice["choice_id"]): choice["choice_label"]
        for choice in definition.get("choices") or []
    }
    if kind == "single_select":
        choices = item.get("choice_ids") or []
        return labels[str(choices[0])] if choices else value
    if kind == "multi_select":
        return sorted(labels[str(choice)] for choice in item.get("choice_ids") or [])
    if value in (None, ""):
        return None
    if kind == "date":
        return day(value)
    if kind in {"number", "currency"}:
        return int(value) if (definition.get("metadata") or {}).get("integer") else Decimal(value)
    return value


def custom_field_columns(definitions: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Column name -> definition (the seeded names are valid column names as they are)."""
    return {f"cf_{definition['name']}": definition for definition in definitions}


# Expected rows, from the emulator's exports --------------------------------------------------


def expected_contacts(contacts: Iterable[Row], definitions: Iterable[Mapping[str, Any]]) -> Rows:
    columns = custom_field_columns(definitions)
    by_id = {definition["custom_field_id"]: column for column, definition in columns.items()}
    rows: Rows = {}
    for contact in contacts:
        email = contact["email_address"]
        row: Row = {
            "email": email["address"],
            "permission_to_send": email.get("permission_to_send"),
            "opt_out_date": moment(email.get("opt_out_date")),
            "first_name": contact.get("first_name"),
            "last_name": contact.get("last_name"),
            "job_title": contact.get("job_title"),
            "company_name": contact.get("company_name"),
            "created_at": moment(contact["created_at"]),
            "updated_at": moment(contact["updated_at"]),
            "deleted_at": day(contact.get("deleted_at")),
            "is_deleted": bool(contact.get("deleted_at")),
            "lists": sorted(contact.get("list_memberships") or []),
            "tags": sorted(contact.get("taggings") or []),
        }
        row.update(dict.fromkeys(columns))
        for item in contact.get("custom_fields") or []:
            column = by_id[item["custom_field_id"]]
            row[column] = custom_field_value(columns[column], item)
        rows[contact["contact_id"]] = row
    return rows


def expected_lists(lists: Iterable[Row], contacts: list[Row]) -> Rows:
    """Lists, deleted ones flagged; `membership_count` counts every member
    (`include_membership_count=all`)."""
    return {
        item["list_id"]: {
            "name": item["name"],
            "updated_at": moment(item["updated_at"]),
            "is_deleted": bool(item.get("deleted_at")),
            "membership_count": sum(
                item["list_id"] in (contact.get("list_memberships") or []) for contact in contacts
            ),
        }
        for item in lists
    }


def expected_tags(tags: Iterable[Row], contacts: list[Row]) -> Rows:
    """Tags; the API's `contacts_count` counts live contacts (the export's counts deleted
    contacts' taggings too, so it is recounted here)."""
    return {
        item["tag_id"]: {
            "name": item["name"],
            "updated_at": moment(item["updated_at"]),
            "contacts_count": sum(
                item["tag_id"] in (contact.get("taggings") or [])
                for contact in contacts
                if not contact.get("deleted_at")
            ),
        }
        for item in tags
    }


def expected_custom_fields(definitions: Iterable[Row]) -> Rows:
    return {
        item["custom_field_id"]: {
            "name": item["name"],
            "label": item["label"],
            "type": item["type"],
            "updated_at": moment(item["updated_at"]),
        }
        for item in definitions
    }


def expected_segments(segments: Iterable[Row]) -> Rows:
    """Live segments only: the API does not list deleted ones."""
    return {
        item["segment_id"]: {"name": item["name"], "edited_at": moment(item["edited_at"])}
        for item in segments
        if not item.get("deleted_at")
    }


def expected_campaigns(campaigns: Iterable[Row]) -> Rows:
    return {
        item["campaign_id"]: {
            "name": item["name"],
            "current_status": item["current_status"],
            "updated_at": moment(item["updated_at"]),
            "is_deleted": item["current_status"] == "Removed",
        }
        for item in campaigns
    }


# Actual rows, from the tables ----------------------------------------------------------------


def actual_contacts(rows: Iterable[Row], definitions: Iterable[Mapping[str, Any]]) -> Rows:
    columns = custom_field_columns(definitions)
    actual: Rows = {}
    for row in rows:
        email = row["email_address"] or {}
        view: Row = {
            "email": email.get("address"),
            "permission_to_send": email.get("permission_to_send"),
            "opt_out_date": moment(email.get("opt_out_date")),
            "first_name": row["first_name"],
            "last_name": row["last_name"],
            "job_title": row["job_title"],
            "company_name": row["company_name"],
            "created_at": moment(row["created_at"]),
            "updated_at": moment(row["updated_at"]),
            "deleted_at": row["deleted_at"],
            "is_deleted": row["_sdc_deleted_at"] is not None,
            "lists": sorted(row["list_memberships"] or []),
            "tags": sorted(row["taggings"] or []),
        }
        for column in columns:
            value = row[column]
            view[column] = sorted(value) if isinstance(value, list) else value
        actual[row["contact_id"]] = view
    return actual


def actual_lists(rows: Iterable[Row]) -> Rows:
    return {
        row["list_id"]: {
            "name": row["name"],
            "updated_at": moment(row["updated_at"]),
            "is_deleted": row["_sdc_deleted_at"] is not None,
            "membership_count": row["membership_count"],
        }
        for row in rows
    }


def actual_tags(rows: Iterable[Row]) -> Rows:
    return {
        row["tag_id"]: {
            "name": row["name"],
            "updated_at": moment(row["updated_at"]),
            "contacts_count": row["contacts_count"],
        }
        for row in rows
    }


def actual_custom_fields(rows: Iterable[Row]) -> Rows:
    return {
        row["custom_field_id"]: {
            "name": row["name"],
            "label": row["label"],
            "type": row["type"],
            "updated_at": moment(row["updated_at"]),
        }
        for row in rows
    }


def actual_segments(rows: Iterable[Row]) -> Rows:
    return {
        row["segment_id"]: {"name": row["name"], "edited_at": moment(row["edited_at"])}
        for row in rows
    }


def actual_campaigns(rows: Iterable[Row]) -> Rows:
    return {
        row["campaign_id"]: {
            "name": row["name"],
            "current_status": row["current_status"],
            "updated_at": moment(row["updated_at"]),
            "is_deleted": row["_sdc_deleted_at"] is not None,
        }
        for row in rows
    }


# Comparison ---------------------------------------------------------------------------------


def assert_same_rows(table: str, expected: Rows, actual: Rows) -> None:
    """The table holds exactly the expected records, field by field."""
    missing = sorted(map(str, set(expected) - set(actual)))
    extra = sorted(map(str, set(actual) - set(expected)))
    different = {
        key: {
            field: (value, actual[key].get(field))
            for field, value in row.items()
            if actual[key].get(field) != value
        }
        for key, row in expected.items()
        if key in actual and actual[key] != row
    }
    if missing or extra or different:
        sample = dict(list(different.items())[:3])
        pytest.fail(
            f"{table}: {len(expected)} expected, {len(actual)} in the table; "
            f"{len(missing)} missing (e.g. {missing[:3]}), {len(extra)} extra (e.g. {extra[:3]}), "
            f"{len(different)} differ (field: (expected, actual)), e.g. {sample}",
            pytrace=False,
        )


def assert_warehouse_matches(export: Export, database: Database) -> None:
    """Every table the tap fills equals the emulator's stored state, record by record."""
    definitions = export("custom_fields")
    contacts = export("contacts")

    def table(name: str) -> list[Row]:
        """The table's rows; a primary key seen twice (an append, not an upsert) fails."""
        rows = database.table(SCHEMA, name)
        keys = Counter(row[PRIMARY_KEYS[name]] for row in rows)
        repeated = [key for key, count in keys.items() if count > 1]
        if repeated:
            pytest.fail(f"{name}: {len(repeated)} keys have several rows, e.g. {repeated[:3]}")
        return rows

    assert_same_rows(
        "contacts",
        expected_contacts(contacts, definitions),
        actual_contacts(table("contacts"), definitions),
    )
    assert_same_rows(
        "contact_lists",
        expected_lists(export("contact_lists"), contacts),
        actual_lists(table("contact_lists")),
    )
    assert_same_rows(
        "contact_tags",
        expected_tags(export("contact_tags"), contacts),
        actual_tags(table("contact_tags")),
    )
    assert_same_rows(
        "custom_fields",
        expected_custom_fields(definitions),
        actual_custom_fields(table("custom_fields")),
    )
    assert_same_rows(
        "segments", expected_segments(export("segments")), actual_segments(table("segments"))
    )
    assert_same_rows(
        "campaigns", expected_campaigns(export("campaigns")), actual_campaigns(table("campaigns"))
    )
