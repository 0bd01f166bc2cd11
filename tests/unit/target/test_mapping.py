"""Record -> intent: both input shapes, and one clear error per bad record."""

from __future__ import annotations

from decimal import Decimal

import pytest

from target_constantcontact.mapping import RecordMapper, is_valid_email
from target_constantcontact.model import Action, RecordError, Ref


def mapper(action: Action = Action.UPSERT, match_by: str = "email") -> RecordMapper:
    return RecordMapper("contacts", action, match_by)


TAP_RECORD = {
    "contact_id": "11111111-1111-1111-1111-111111111111",
    "email_address": {
        "address": "Jane.Doe@example.com",
        "permission_to_send": "implicit",
        "created_at": "2024-01-01T00:00:00Z",
    },
    "first_name": "Jane",
    "last_name": "Doe",
    "job_title": None,
    "company_name": "Acme",
    "birthday_month": 5,
    "birthday_day": 17,
    "anniversary": "2006-11-15",
    "custom_fields": [{"custom_field_id": "cf-src-1", "value": "Skiing"}],
    "cf_hobby": "Skiing",
    "list_memberships": ["list-src-1", "list-src-2"],
    "taggings": ["tag-src-1"],
    "phone_numbers": [{"phone_number": "555-0100", "kind": "mobile", "phone_number_id": "x"}],
    "street_addresses": [
        {"kind": "home", "street": "1 Main St", "city": "Springfield", "state": "IL"}
    ],
    "notes": [{"note_id": "n1", "content": "VIP", "created_at": "2024-01-01T00:00:00Z"}],
    "created_at": "2024-01-01T00:00:00Z",
    "updated_at": "2024-01-02T00:00:00Z",
    "_sdc_deleted_at": None,
}


def test_tap_record_maps_every_part() -> None:
    intent = mapper().map(TAP_RECORD, 7)
    assert intent.seq == 7
    assert intent.action is Action.UPSERT
    assert intent.email == "Jane.Doe@example.com"
    assert intent.match_key == "jane.doe@example.com"
    assert intent.contact_id is None  # source ids are not target ids when matching by email
    assert intent.fields == {
        "first_name": "Jane",
        "last_name": "Doe",
        "job_title": None,
        "company_name": "Acme",
        "anniversary": "2006-11-15",
        "birthday_month": 5,
        "birthday_day": 17,
    }
    assert intent.phones == {"mobile": "555-0100"}
    assert intent.phones_replace
    assert intent.addresses == {
        "home": {
            "street": "1 Main St",
            "city": "Springfield",
            "state": "IL",
            "postal_code": None,
            "country": None,
        }
    }
    assert intent.addresses_replace
    assert intent.custom_field_refs == {
        (Ref.NAME, "hobby"): "Skiing",
        (Ref.SOURCE_ID, "cf-src-1"): "Skiing",
    }
    assert intent.custom_fields_replace
    assert intent.list_refs == [(Ref.SOURCE_ID, "list-src-1"), (Ref.SOURCE_ID, "list-src-2")]
    assert intent.tag_refs == [(Ref.SOURCE_ID, "tag-src-1")]
    assert intent.notes == ["VIP"]
    assert intent.unsubscribe is False


def test_flat_row_maps_names_and_custom_fields() -> None:
    row = {
        "email_address": " bob@example.org ",
        "first_name": "Bob",
        "list_names": "Customers, VIP",
        "tag_names": ["Warm"],
        "cf_tier": 3,
        "custom_fields": {"region": "EMEA"},
        "work_phone": 5550101,
        "work_city": "Paris",
        "zip": 75001,
        "permission_to_send": "unsubscribed",
        "opt_out_reason": "moved away",
    }
    intent = mapper().map(row, 1)
    assert intent.email == "bob@example.org"
    assert intent.list_refs == [(Ref.NAME, "Customers"), (Ref.NAME, "VIP")]
    assert intent.tag_refs == [(Ref.NAME, "Warm")]
    assert intent.custom_field_refs == {(Ref.NAME, "tier"): "3", (Ref.NAME, "region"): "EMEA"}
    assert not intent.custom_fields_replace
    assert intent.phones == {"work": "5550101"}
    assert not intent.phones_replace
    assert intent.addresses == {"work": {"city": "Paris"}, "home": {"postal_code": "75001"}}
    assert intent.unsubscribe
    assert intent.opt_out_reason == "moved away"


def test_every_phone_of_an_array_is_kept_and_anniversaries_are_normalized() -> None:
    record = {
        "email_address": "a@example.com",
        "anniversary": "11/5/2006",
        "phone_numbers": [
            {"kind": "mobile", "phone_number": "555-0001"},
            {"kind": "home", "phone_number": "555-0003"},
            {"kind": "mobile", "phone_number": "555-0002"},
        ],
    }
    intent = mapper().map(record, 1)
    assert intent.fields["anniversary"] == "2006-11-05"
    assert intent.phones == {"mobile": "555-0001", "home": "555-0003"}
    assert intent.extra_phones == (("mobile", "555-0002"),)
    assert intent.phones_replace


def test_absent_columns_are_left_alone_and_nulls_clear() -> None:
    intent = mapper().map({"email_address": "a@example.com", "last_name": None}, 1)
    assert intent.fields == {"last_name": None}
    assert intent.phones is None
    assert intent.addresses is None
    assert intent.custom_field_refs is None
    assert intent.list_refs is None
    assert intent.tag_refs is None
    assert intent.notes is None


def test_decimal_custom_field_keeps_its_text() -> None:
    intent = mapper().map({"email_address": "a@example.com", "cf_price": Decimal("5.50")}, 1)
    assert intent.custom_field_refs == {(Ref.NAME, "price"): "5.50"}


@pytest.mark.parametrize(
    ("record", "action"),
    [
        ({"_sdc_deleted_at": "2024-01-01T00:00:00Z"}, Action.DELETE),
        ({"_sdc_action": "CREATE"}, Action.CREATE),
        ({"_sdc_action": " update "}, Action.UPDATE),
        ({"_sdc_action": None}, Action.UPSERT),
        ({"_sdc_action": "upsert", "_sdc_deleted_at": "2024-01-01"}, Action.DELETE),
    ],
)
def test_action_per_record(record: dict, action: Action) -> None:
    intent = mapper().map({"email_address": "a@example.com", **record}, 1)
    assert intent.action is action


def test_stream_default_action() -> None:
    assert mapper(Action.DELETE).map({"email": "a@example.com"}, 1).action is Action.DELETE


def test_match_by_contact_id() -> None:
    intent = mapper(match_by="contact_id").map({"contact_id": "abc", "first_name": "A"}, 1)
    assert intent.match_key == "abc"
    assert intent.email is None


# (record, error_key, field)
BAD_RECORDS = [
    ({}, "missing_key", "email_address"),
    ({"email_address": None}, "missing_key", "email_address"),
    ({"email_address": "   "}, "missing_key", "email_address"),
    ({"email_address": "not-an-email"}, "invalid_email", "email_address"),
    ({"email_address": "a@b"}, "invalid_email", "email_address"),
    ({"email_address": "a..b@example.com"}, "invalid_email", "email_address"),
    ({"email_address": "a b@example.com"}, "invalid_email", "email_address"),
    ({"email_address": {"address": "x@"}}, "invalid_email", "email_address.address"),
    ({"email_address": 42}, "invalid_type", "email_address"),
    ({"email_address": "a" * 75 + "@example.com"}, "too_long", "email_address"),
    ({"first_name": "x" * 51}, "too_long", "first_name"),
    ({"last_name": 12}, "invalid_type", "last_name"),
    ({"job_title": ["a"]}, "invalid_type", "job_title"),
    ({"company_name": "c" * 60}, "too_long", "company_name"),
    ({"birthday_month": 13, "birthday_day": 1}, "invalid_value", "birthday_month"),
    ({"birthday_month": 1, "birthday_day": 32}, "invalid_value", "birthday_day"),
    ({"birthday_month": 2}, "invalid_value", "birthday_day"),
    ({"birthday_month": "May", "birthday_day": 1}, "invalid_type", "birthday_month"),
    ({"birthday_month": True, "birthday_day": 1}, "invalid_type", "birthday_month"),
    ({"anniversary": "15/May/06"}, "invalid_value", "anniversary"),
    ({"anniversary": "15th of May 2006"}, "too_long", "anniversary"),
    ({"anniversary": "2006-13-01"}, "invalid_value", "anniversary"),
    ({"_sdc_action": "merge"}, "invalid_action", "_sdc_action"),
    ({"permission_to_send": "yes"}, "invalid_value", "permission_to_send"),
    ({"unsubscribed": "yes"}, "invalid_type", "unsubscribed"),
    ({"opt_out_reason": "r" * 256}, "too_long", "opt_out_reason"),
    ({"phone_numbers": "555"}, "invalid_type", "phone_numbers"),
    ({"phone_numbers": [{"phone_number": "1"}] * 4}, "too_many_items", "phone_numbers"),
    ({"phone_numbers": [{"phone_number": "1", "kind": "fax"}]}, "invalid_value", None),
    ({"home_phone": "1" * 26}, "too_long", "home_phone"),
    ({"street_addresses": [{"kind": "castle"}]}, "invalid_value", None),
    ({"street": "s" * 256}, "too_long", "street"),
    ({"city": "c" * 51}, "too_long", "city"),
    ({"address_kind": "moon"}, "invalid_value", "address_kind"),
    ({"cf_hobby": {"a": 1}}, "invalid_type", "cf_hobby"),
    ({"cf_hobby": "v" * 256}, "too_long", "cf_hobby"),
    ({"custom_fields": "x"}, "invalid_type", "custom_fields"),
    ({"custom_fields": [{"value": "no id"}]}, "invalid_type", "custom_fields[0]"),
    ({f"cf_f{i}": "v" for i in range(26)}, "too_many_custom_fields", "custom_fields"),
    ({"list_names": [f"L{i}" for i in range(51)]}, "too_many_lists", "list_names"),
    ({"list_names": 5}, "invalid_type", "list_names"),
    ({"list_ids": ["ok", ""]}, "invalid_type", "list_ids"),
    ({"tag_names": [f"T{i}" for i in range(51)]}, "too_many_tags", "tag_names"),
    ({"notes": "a note"}, "invalid_type", "notes"),
    ({"notes": ["n" * 2001]}, "too_long", "notes[0].content"),
]


@pytest.mark.parametrize(("record", "error_key", "field"), BAD_RECORDS)
def test_bad_record_fails_alone_with_the_field_named(
    record: dict, error_key: str, field: str | None
) -> None:
    if "email_address" not in record and "email" not in record and error_key != "missing_key":
        record = {"email_address": "ok@example.com", **record}
    with pytest.raises(RecordError) as raised:
        mapper().map(record, 1)
    assert raised.value.error_key == error_key
    if field is not None:
        assert raised.value.field == field
        assert field.split("[")[0].split(".")[0] in raised.value.message


def test_create_needs_an_email_even_when_matching_by_id() -> None:
    with pytest.raises(RecordError) as raised:
        mapper(Action.CREATE, "contact_id").map({"contact_id": "abc"}, 1)
    assert raised.value.error_key == "missing_key"


def test_unknown_columns_are_collected() -> None:
    m = mapper()
    m.map({"email_address": "a@example.com", "favourite_color": "blue", "cf_ok": "1"}, 1)
    assert m.unknown_columns == {"favourite_color"}


@pytest.mark.parametrize(
    "email",
    ["a@example.com", "first.last+tag@sub.example.co.uk", "o'neil@example.ie", "x_y@ex-ample.io"],
)
def test_valid_emails(email: str) -> None:
    assert is_valid_email(email)
