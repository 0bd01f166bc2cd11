"""Custom fields as typed `cf_` columns."""

from __future__ import annotations

import logging

import jsonschema
import pytest

from tap_constantcontact.custom_fields import CustomFieldColumns, column_base_name

DEFINITIONS = [
    {
        "custom_field_id": "11111111-0000-0000-0000-000000000001",
        "name": "Vehicle_make",
        "type": "string",
    },
    {"custom_field_id": "11111111-0000-0000-0000-000000000002", "name": "Renewal", "type": "date"},
    {
        "custom_field_id": "11111111-0000-0000-0000-000000000003",
        "name": "Seats",
        "type": "number",
        "metadata": {"integer": True},
    },
    {
        "custom_field_id": "11111111-0000-0000-0000-000000000004",
        "name": "Spend",
        "type": "currency",
    },
    {
        "custom_field_id": "11111111-0000-0000-0000-000000000005",
        "name": "Fruit",
        "type": "single_select",
        "choices": [
            {"choice_id": 1, "choice_label": "Apple"},
            {"choice_id": 2, "choice_label": "Pear"},
        ],
    },
    {
        "custom_field_id": "11111111-0000-0000-0000-000000000006",
        "name": "Hobbies",
        "type": "multi_select",
        "choices": [
            {"choice_id": 7, "choice_label": "Ski"},
            {"choice_id": 8, "choice_label": "Golf"},
        ],
    },
]
LOGGER = logging.getLogger("test")


def _values(items: list[dict]) -> dict:
    return CustomFieldColumns(DEFINITIONS).values(items, contact_id="c-1", logger=LOGGER)


def _item(number: int, **fields: object) -> dict:
    return {"custom_field_id": f"11111111-0000-0000-0000-00000000000{number}", **fields}


def test_every_type_becomes_a_typed_value_valid_against_its_column_schema() -> None:
    columns = CustomFieldColumns(DEFINITIONS)
    values = columns.values(
        [
            _item(1, value="Tesla S 2017"),
            _item(2, value="12/31/2026"),
            _item(3, value="4"),
            _item(4, value="1,234.50"),
            _item(5, value="Apple", choice_ids=["1"]),
            _item(6, choice_ids=["8", "7"]),
        ],
        contact_id="c-1",
        logger=LOGGER,
    )
    assert values == {
        "cf_Vehicle_make": "Tesla S 2017",
        "cf_Renewal": "2026-12-31",
        "cf_Seats": 4,
        "cf_Spend": 1234.5,
        "cf_Fruit": "Apple",
        "cf_Hobbies": ["Golf", "Ski"],
    }
    schema = {"type": "object", "properties": columns.schema_properties}
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(values)


def test_a_value_that_does_not_parse_leaves_the_column_null_and_warns_without_the_value(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        values = _values([_item(3, value="lots"), _item(2, value="soon")])
    assert values == {"cf_Seats": None, "cf_Renewal": None}
    assert "Seats" in caplog.text
    assert "c-1" in caplog.text
    assert "lots" not in caplog.text


def test_unknown_field_ids_are_skipped_the_raw_array_keeps_them() -> None:
    assert (
        _values([{"custom_field_id": "99999999-0000-0000-0000-000000000000", "value": "x"}]) == {}
    )


def test_column_names_are_safe_and_unique() -> None:
    assert column_base_name("Favorite color?") == "cf_Favorite_color"
    assert column_base_name("***") == "cf_field"
    columns = CustomFieldColumns(
        [
            {
                "custom_field_id": "aaaaaaaa-0000-0000-0000-000000000000",
                "name": "Fav-Color",
                "type": "string",
            },
            {
                "custom_field_id": "bbbbbbbb-0000-0000-0000-000000000000",
                "name": "Fav_Color",
                "type": "string",
            },
        ]
    )
    assert sorted(columns.schema_properties) == ["cf_Fav_Color", "cf_Fav_Color_aaaaaaaa"]
