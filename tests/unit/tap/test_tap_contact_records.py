"""Contact records: normalized once, schema-valid with type conformance off."""

from __future__ import annotations

import copy
import json
import logging
from importlib import resources

import jsonschema
import pytest

from tap_constantcontact import schemas
from tap_constantcontact.contact_records import ContactRecordBuilder, InvalidContactError
from tap_constantcontact.custom_fields import CustomFieldColumns

LOGGER = logging.getLogger("test")
FIELDS = [
    {"custom_field_id": "1618ae62-4752-11e9-9c8a-fa163e6b01c1", "name": "Car", "type": "string"},
    {"custom_field_id": "2618ae62-4752-11e9-9c8a-fa163e6b01c1", "name": "Since", "type": "date"},
]
API_CONTACT = {
    "contact_id": "af73e650-96f0-11ef-b2a0-fa163eafb85e",
    "email_address": {
        "address": "dlang@example.com",
        "permission_to_send": "unsubscribed",
        "created_at": "2024-10-30T18:56:35Z",
        "updated_at": "2024-11-02T09:00:00-05:00",
        "opt_in_source": "Account",
        "opt_in_date": "2024-10-30T18:56:35Z",
        "opt_out_source": "Contact",
        "opt_out_date": "2024-11-02T14:00:00.250Z",
        "opt_out_reason": "too many emails",
        "confirm_status": "off",
    },
    "first_name": "Debora",
    "last_name": "Lang",
    "birthday_month": 11,
    "birthday_day": 24,
    "create_source": "Account",
    "update_source": "Contact",
    "created_at": "2024-10-30T18:56:35Z",
    "updated_at": "2024-11-01T10:00:00Z",
    "deleted_at": "2024-11-01",
    "custom_fields": [
        {"custom_field_id": "1618ae62-4752-11e9-9c8a-fa163e6b01c1", "value": "Tesla"},
        {"custom_field_id": "2618ae62-4752-11e9-9c8a-fa163e6b01c1", "value": "2020-01-31"},
    ],
    "phone_numbers": [
        {
            "phone_number_id": "6eec28a6-1cf5-11ea-859f-fa163e56c9b0",
            "phone_number": "+1-555-555-5555",
            "kind": "home",
            "created_at": "2016-03-03T10:53:04-05:00",
            "updated_at": "2016-03-03T10:56:29-05:00",
        }
    ],
    "street_addresses": [{"kind": "home", "city": "Chicago", "created_at": "2016-03-03T10:53:04Z"}],
    "list_memberships": ["07936f78-662a-11eb-af0a-fa163e56c9b0"],
    "taggings": ["e7ddac60-51da-11eb-b3a4-fa163e6b01c1"],
    "notes": [
        {
            "note_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
            "created_at": "2021-05-12T13:48:44.108Z",
            "content": "hi",
        }
    ],
    "some_future_field": {"x": 1},
}


def _schema() -> dict:
    schema = json.loads(resources.files(schemas).joinpath("contacts.json").read_text())
    schema["properties"].update(CustomFieldColumns(FIELDS).schema_properties)
    return schema


def _builder(schema: dict) -> ContactRecordBuilder:
    return ContactRecordBuilder(
        properties=schema["properties"],
        custom_field_columns=CustomFieldColumns(FIELDS),
        logger=LOGGER,
    )


def test_record_is_normalized_and_valid_against_the_stream_schema() -> None:
    schema = _schema()
    record = _builder(schema).build(copy.deepcopy(API_CONTACT))

    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(record)
    assert record["updated_at"] == "2024-11-01T10:00:00.000Z"
    assert record["email_address"]["updated_at"] == "2024-11-02T14:00:00.000Z"
    assert record["email_address"]["opt_out_date"] == "2024-11-02T14:00:00.250Z"
    assert record["phone_numbers"][0]["created_at"] == "2016-03-03T15:53:04.000Z"
    assert record["deleted_at"] == "2024-11-01"
    assert record["_sdc_deleted_at"] == "2024-11-01T10:00:00.000Z"
    assert record["cf_Car"] == "Tesla"
    assert record["cf_Since"] == "2020-01-31"
    assert record["custom_fields"] == API_CONTACT["custom_fields"]
    assert record["list_memberships"] == API_CONTACT["list_memberships"]
    assert "some_future_field" not in record


def test_live_contact_has_null_deletion_columns() -> None:
    contact = copy.deepcopy(API_CONTACT)
    del contact["deleted_at"]
    record = _builder(_schema()).build(contact)
    assert record["deleted_at"] is None
    assert record["_sdc_deleted_at"] is None


def test_bad_replication_key_names_the_contact_and_field() -> None:
    contact = copy.deepcopy(API_CONTACT)
    contact["updated_at"] = "last tuesday"
    with pytest.raises(InvalidContactError, match=r"contact af73e650.*updated_at"):
        _builder(_schema()).build(contact)


def test_bad_nested_timestamp_is_nulled_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    contact = copy.deepcopy(API_CONTACT)
    contact["notes"][0]["created_at"] = "n/a"
    builder = _builder(_schema())
    with caplog.at_level(logging.WARNING):
        record = builder.build(contact)
        builder.build(copy.deepcopy(contact))
    assert record["notes"][0]["created_at"] is None
    assert caplog.text.count("notes[0].created_at") == 1
    assert "dlang@example.com" not in caplog.text


def test_columns_missing_from_an_older_catalog_are_left_out() -> None:
    schema = _schema()
    del schema["properties"]["cf_Since"]
    record = _builder(schema).build(copy.deepcopy(API_CONTACT))
    assert "cf_Since" not in record
    assert record["cf_Car"] == "Tesla"
