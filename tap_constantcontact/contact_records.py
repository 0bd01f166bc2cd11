"""Build a `contacts` record from a `ContactResource`, normalizing every field once.

- every date-time in UTC RFC 3339 (`timestamps`), `deleted_at` as a date;
- `_sdc_deleted_at` for deleted contacts (see `timestamps.deleted_at_timestamp`);
- custom fields as typed `cf_<name>` columns next to the raw `custom_fields` array;
- list and tag ids kept as arrays (`list_memberships`, `taggings`);
- only the schema's top-level properties, so a field the API adds later cannot break a
  target that rejects unknown columns.
"""

from __future__ import annotations

import logging
import typing as t

from constantcontact_client.timestamps import (
    deleted_at_timestamp,
    normalize_date,
    normalize_datetime,
)
from tap_constantcontact.responses import InvalidResponseError

if t.TYPE_CHECKING:
    from collections.abc import Iterable

    from tap_constantcontact.custom_fields import CustomFieldColumns

DELETED_AT_COLUMN = "_sdc_deleted_at"
_EMAIL_TIMESTAMPS = ("created_at", "updated_at", "opt_in_date", "opt_out_date")
_SUB_RESOURCE_TIMESTAMPS: dict[str, tuple[str, ...]] = {
    "phone_numbers": ("created_at", "updated_at"),
    "street_addresses": ("created_at", "updated_at"),
    "notes": ("created_at",),
}
_CONSENT_TIMESTAMPS = ("opt_in_date", "opt_out_date", "created_at", "updated_at")


class InvalidContactError(InvalidResponseError):
    """A contact the API returned that the tap cannot emit; names the contact and field."""


class ContactRecordBuilder:
    """Turns API contacts into schema-valid `contacts` records."""

    def __init__(
        self,
        *,
        properties: Iterable[str],  # the emitted schema's top-level properties
        custom_field_columns: CustomFieldColumns | None,
        logger: logging.Logger,
    ) -> None:
        self._properties = frozenset(properties)
        self._deleted_column = DELETED_AT_COLUMN in self._properties
        self._columns = custom_field_columns
        self._logger = logger
        self._warned_fields: set[str] = set()

    def build(self, contact: dict[str, t.Any]) -> dict[str, t.Any]:
        """The record for one API contact."""
        contact_id = contact.get("contact_id")
        if not isinstance(contact_id, str) or not contact_id:
            raise InvalidContactError("contacts: the API returned a contact without contact_id")
        record = {key: value for key, value in contact.items() if key in self._properties}
        updated_at = self._timestamp(contact_id, "updated_at", record.get("updated_at"), key=True)
        record["updated_at"] = updated_at
        record["created_at"] = self._timestamp(contact_id, "created_at", record.get("created_at"))
        self._deletion(record, contact_id, contact.get("deleted_at"), updated_at)
        self._nested_timestamps(record, contact_id)
        if custom_fields := record.get("custom_fields"):
            self._custom_fields(record, contact_id, custom_fields)
        return record

    def _deletion(
        self,
        record: dict[str, t.Any],
        contact_id: str,
        deleted_at: t.Any,
        updated_at: str | None,
    ) -> None:
        record["deleted_at"] = None
        moment = None
        if deleted_at:
            try:
                record["deleted_at"] = normalize_date(deleted_at)
                moment = deleted_at_timestamp(deleted_at, updated_at)
            except (TypeError, ValueError):
                raise InvalidContactError(
                    f"contact {contact_id}: deleted_at {deleted_at!r} is not an ISO-8601 date"
                ) from None
        if self._deleted_column:
            record[DELETED_AT_COLUMN] = moment

    def _nested_timestamps(self, record: dict[str, t.Any], contact_id: str) -> None:
        email = record.get("email_address")
        if isinstance(email, dict):
            self._normalize_in(email, _EMAIL_TIMESTAMPS, contact_id, "email_address")
        for resource, names in _SUB_RESOURCE_TIMESTAMPS.items():
            for index, item in enumerate(record.get(resource) or ()):
                self._normalize_in(item, names, contact_id, f"{resource}[{index}]")
        sms = record.get("sms_channel")
        if isinstance(sms, dict):
            for index, consent in enumerate(sms.get("sms_channel_consents") or ()):
                where = f"sms_channel.sms_channel_consents[{index}]"
                self._normalize_in(consent, _CONSENT_TIMESTAMPS, contact_id, where)

    def _normalize_in(
        self,
        item: dict[str, t.Any],
        names: tuple[str, ...],
        contact_id: str,
        where: str,
    ) -> None:
        for name in names:
            if name in item:
                item[name] = self._timestamp(contact_id, f"{where}.{name}", item[name])

    def _custom_fields(
        self,
        record: dict[str, t.Any],
        contact_id: str,
        custom_fields: list[dict[str, t.Any]],
    ) -> None:
        for item in custom_fields:
            if item.get("choice_ids"):
                item["choice_ids"] = [str(choice) for choice in item["choice_ids"]]
        if self._columns is None:
            return
        values = self._columns.values(custom_fields, contact_id=contact_id, logger=self._logger)
        # A column missing from an older input catalog is left out, not sent unannounced.
        record.update(
            (column, value) for column, value in values.items() if column in self._properties
        )

    def _timestamp(
        self,
        contact_id: str,
        field: str,
        value: t.Any,
        *,
        key: bool = False,
    ) -> str | None:
        try:
            return normalize_datetime(value)
        except (TypeError, ValueError):
            if key:
                raise InvalidContactError(
                    f"contact {contact_id}: {field} {value!r} is not an ISO-8601 date-time; "
                    "it is the replication key, so the contact cannot be placed in time"
                ) from None
            if field not in self._warned_fields:
                self._warned_fields.add(field)
                self._logger.warning(
                    "contact %s: %s is not an ISO-8601 date-time; emitted as null "
                    "(further such values of this field are not logged)",
                    contact_id,
                    field,
                )
            return None
