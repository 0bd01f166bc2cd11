"""Custom fields as typed top-level `cf_<name>` columns.

The columns come from the account's custom field definitions (`/contact_custom_fields`),
so warehouse users get real, typed columns; the raw `custom_fields` array is kept too.

| API type | column type | value |
|---|---|---|
| string | string | as is |
| date | string, format date | `YYYY-MM-DD` (ISO, `MM/DD/YYYY`, `YYYY/MM/DD` accepted) |
| number, currency | number (integer when the field takes whole numbers) | parsed |
| single_select | string | the choice label |
| multi_select | array of strings | the choice labels |

A value that does not parse as its type leaves the column null (the raw array still has
it) and logs a warning naming the field and the contact, never the value.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import re
import typing as t
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

COLUMN_PREFIX = "cf_"
_UNSAFE = re.compile(r"[^0-9A-Za-z_]+")
_DATE_FORMATS = ("%Y/%m/%d", "%m-%d-%Y")
_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_NUMBER_NOISE = re.compile(r"[\s,$€£¥]")


def _nullable(json_type: str, **extra: t.Any) -> dict[str, t.Any]:
    return {"type": [json_type, "null"], **extra}


def column_base_name(name: str) -> str:
    """`cf_` + the field's API `name`, with characters unsafe in column names as `_`."""
    return COLUMN_PREFIX + (_UNSAFE.sub("_", name).strip("_") or "field")


@dataclass(frozen=True, slots=True)
class CustomFieldColumn:
    """One custom field definition as a typed column."""

    custom_field_id: str
    name: str
    column: str
    field_type: str
    integer: bool = False
    choices: dict[str, str] = field(default_factory=dict)

    @property
    def schema(self) -> dict[str, t.Any]:
        """The JSON schema of the column."""
        description = f"Custom field `{self.name}` ({self.field_type})."
        if self.field_type == "date":
            return _nullable("string", format="date", description=description)
        if self.field_type in {"number", "currency"}:
            return _nullable("integer" if self.integer else "number", description=description)
        if self.field_type == "multi_select":
            return _nullable("array", items={"type": "string"}, description=description)
        return _nullable("string", description=description)

    def convert(self, item: t.Mapping[str, t.Any]) -> t.Any:
        """The column value of one `custom_fields` item; ValueError if it does not parse."""
        value = item.get("value")
        choice_ids = item.get("choice_ids") or []
        if self.field_type in {"single_select", "multi_select"}:
            labels = [self.choices.get(str(choice), str(choice)) for choice in choice_ids]
            if not labels and value not in (None, ""):
                labels = [str(value)]
            if self.field_type == "multi_select":
                return labels or None
            return labels[0] if labels else None
        if value is None or value == "":
            return None
        if self.field_type == "date":
            return _parse_date(str(value))
        if self.field_type in {"number", "currency"}:
            return _parse_number(value, integer=self.integer)
        return str(value)


def _parse_date(value: str) -> str:
    text = value.strip()
    with contextlib.suppress(ValueError):
        return dt.date.fromisoformat(text[:10]).isoformat()
    if match := _US_DATE.fullmatch(text):  # the UI's MM/DD/YYYY, without strptime's cost
        month, day, year = (int(part) for part in match.groups())
        return dt.date(year, month, day).isoformat()
    for fmt in _DATE_FORMATS:
        with contextlib.suppress(ValueError):
            return dt.datetime.strptime(text, fmt).date().isoformat()
    raise ValueError("not a date")


def _parse_number(value: t.Any, *, integer: bool) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = Decimal(str(value))
    else:
        try:
            number = Decimal(_NUMBER_NOISE.sub("", str(value)))
        except InvalidOperation as exc:
            raise ValueError("not a number") from exc
    if not number.is_finite():
        raise ValueError("not a number")
    if integer:
        if number != number.to_integral_value():
            raise ValueError("not a whole number")
        return int(number)
    return float(number)


class CustomFieldColumns:
    """All `cf_` columns of an account, keyed by custom field id."""

    def __init__(self, definitions: t.Iterable[t.Mapping[str, t.Any]]) -> None:
        self._by_id: dict[str, CustomFieldColumn] = {}
        taken: set[str] = set()

        # Names that need no cleaning get their plain column first; then by name and id, so
        # that a collision suffix lands on the same field every run.
        def order(definition: t.Mapping[str, t.Any]) -> tuple[bool, str, str]:
            name = str(definition.get("name") or "")
            return (
                column_base_name(name) != COLUMN_PREFIX + name,
                name,
                str(definition["custom_field_id"]),
            )

        for definition in sorted(definitions, key=order):
            field_id = str(definition["custom_field_id"])
            name = str(definition.get("name") or definition.get("label") or field_id)
            column = column_base_name(name)
            if column.lower() in taken:
                column = f"{column}_{field_id.replace('-', '')[:8]}"
            taken.add(column.lower())
            metadata = definition.get("metadata") or {}
            self._by_id[field_id] = CustomFieldColumn(
                custom_field_id=field_id,
                name=name,
                column=column,
                field_type=str(definition.get("type") or "string"),
                integer=bool(metadata.get("integer")),
                choices={
                    str(choice.get("choice_id")): str(choice.get("choice_label"))
                    for choice in definition.get("choices") or []
                    if choice.get("choice_id") is not None
                },
            )
        self._warned: set[str] = set()

    def __len__(self) -> int:
        return len(self._by_id)

    @property
    def schema_properties(self) -> dict[str, dict[str, t.Any]]:
        """JSON schema properties of every column."""
        return {column.column: column.schema for column in self._by_id.values()}

    def values(
        self,
        items: t.Iterable[t.Mapping[str, t.Any]],
        *,
        contact_id: str,
        logger: logging.Logger,
    ) -> dict[str, t.Any]:
        """The `cf_` column values of one contact's `custom_fields` array."""
        values: dict[str, t.Any] = {}
        for item in items:
            column = self._by_id.get(str(item.get("custom_field_id")))
            if column is None:
                # A field created after the run started; the raw array still carries it.
                continue
            try:
                values[column.column] = column.convert(item)
            except ValueError as exc:
                key = f"{column.custom_field_id}:{contact_id}"
                if key not in self._warned:
                    self._warned.add(key)
                    logger.warning(
                        "Custom field '%s' (%s) of contact %s: %s; column %s left null",
                        column.name,
                        column.field_type,
                        contact_id,
                        exc,
                        column.column,
                    )
                values[column.column] = None
        return values
