"""Validation of `poll_resources` entries: defaults, and one error naming entry and field."""

from __future__ import annotations

import typing as t

import pytest

from tap_constantcontact.poll_config import PollResourceError, parse_poll_resources

ENTRY = {
    "name": "polled_lists",
    "path": "/contact_lists",
    "records_key": "lists",
    "id_field": "list_id",
    "updated_date_field": "updated_at",
}


def test_a_minimal_entry_gets_the_documented_defaults() -> None:
    (resource,) = parse_poll_resources([ENTRY])
    assert resource.primary_keys == ("list_id",)
    assert resource.updated_format.spec == "iso8601"
    assert resource.created_date_field is None
    assert resource.created_format is resource.updated_format
    assert resource.date_filter_param is None
    assert resource.upper_filter_param is None
    assert resource.page_size == 500
    assert resource.params == {}
    assert resource.schema_properties is None


def test_a_full_entry_keeps_every_field() -> None:
    (resource,) = parse_poll_resources(
        [
            {
                **ENTRY,
                "primary_keys": ["list_id", "name"],
                "updated_date_format": "yyyy-MM-dd'T'HH:mm:ss'Z'",
                "created_date_field": "created at",
                "created_date_format": "%Y-%m-%d",
                "deleted_date_field": "deleted_at",
                "timezone": "Europe/Paris",
                "date_filter_param": "updated_after",
                "upper_filter_param": "updated_before",
                "date_filter_format": "epoch_seconds",
                "page_size": 100,
                "params": {"status": "all", "include_count": True, "limit_days": 3},
                "schema": {"list_id": {"type": "string"}},
            }
        ]
    )
    assert resource.primary_keys == ("list_id", "name")
    assert resource.created_date_field == "created at"
    assert resource.created_format.strftime == "%Y-%m-%d"
    assert resource.deleted_format is resource.updated_format
    assert resource.filter_format.spec == "epoch_seconds"
    assert resource.params == {"status": "all", "include_count": "true", "limit_days": "3"}
    assert resource.schema_properties == {"list_id": {"type": "string"}}


def test_no_setting_means_no_streams() -> None:
    assert parse_poll_resources(None) == ()
    assert parse_poll_resources([]) == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": None}, r"^poll_resources\[1\]: name: required$"),
        (
            {"name": "Bad Name"},
            r"^poll_resources\[1\] \(Bad Name\): name: 'Bad Name': use lowercase",
        ),
        ({"records_key": ""}, r"^poll_resources\[1\] \(x\): records_key: required$"),
        ({"path": "contact_lists"}, r"path: 'contact_lists': expected a path relative to api_url"),
        ({"path": "/contacts?limit=1"}, r"path: '/contacts\?limit=1'"),
        ({"id_field": "a.b"}, r"id_field: 'a.b' is not a top-level field name"),
        ({"id_field": 7}, r"id_field: expected a non-empty string"),
        ({"primary_keys": []}, r"primary_keys: expected a non-empty list"),
        ({"updated_date_format": "HH:mm"}, r"updated_date_format: 'HH:mm' has no year or day"),
        ({"created_date_format": 5}, r"created_date_format: expected a string"),
        ({"timezone": "Nowhere/Land"}, r"timezone: 'Nowhere/Land' is not an IANA time zone"),
        ({"timezone": 2}, r"timezone: expected a string"),
        ({"page_size": 0}, r"page_size: 0 is not between 1 and 1000"),
        ({"page_size": True}, r"page_size: expected an integer, got True"),
        ({"params": ["status"]}, r"params: expected an object"),
        ({"schema": {"name": {"type": "string"}}}, r"schema: has no property for id_field"),
        ({"date_filter_param": "after date"}, r"date_filter_param: 'after date' is not"),
        ({"updated_date_feld": "x"}, r"updated_date_feld: unknown field \(known: name, path"),
    ],
)
def test_each_malformed_field_is_named_with_its_entry(
    change: dict[str, t.Any], message: str
) -> None:
    entry = {**ENTRY, "name": "x", **change}
    entry = {key: value for key, value in entry.items() if value is not None}
    with pytest.raises(PollResourceError, match=message):
        parse_poll_resources([ENTRY, entry])


def test_names_must_be_unique_and_not_built_in() -> None:
    with pytest.raises(
        PollResourceError, match=r"poll_resources\[1\] \(polled_lists\): name: another"
    ):
        parse_poll_resources([ENTRY, ENTRY])
    with pytest.raises(PollResourceError, match=r"name: 'contacts' is a built-in stream"):
        parse_poll_resources([{**ENTRY, "name": "contacts"}], reserved_names={"contacts"})


@pytest.mark.parametrize("value", ["not a list", {"name": "x"}, 3])
def test_the_setting_must_be_a_list_of_objects(value: t.Any) -> None:
    with pytest.raises(PollResourceError, match="poll_resources"):
        parse_poll_resources(value)
    with pytest.raises(
        PollResourceError, match=r"poll_resources\[0\]: expected an object, got str"
    ):
        parse_poll_resources(["x"])
