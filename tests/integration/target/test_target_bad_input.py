"""A corpus of bad records: each fails alone, with its own ledger line naming the field; the
valid records around them are applied; the failure threshold decides the run's fate."""

from __future__ import annotations

from typing import Any

import pytest
from target_harness import flat_messages, record_messages, run_target, target_config

from target_constantcontact.target import FailedRecordsError

LONG = "x" * 51
# (record without email, expected outcome, expected error_key, a word the message must contain)
CORPUS: list[tuple[dict[str, Any], str, str | None, str]] = [
    ({"email_address": "not-an-email"}, "failed", "invalid_email", "email_address"),
    ({"email_address": "two@@example.com"}, "failed", "invalid_email", "email_address"),
    ({"email_address": "no-tld@example"}, "failed", "invalid_email", "email_address"),
    ({"email_address": "sp ace@example.com"}, "failed", "invalid_email", "email_address"),
    ({"email_address": "a" * 70 + "@example.com"}, "failed", "too_long", "email_address"),
    ({"email_address": 12345}, "failed", "invalid_type", "email_address"),
    ({"first_name": "No email"}, "failed", "missing_key", "email_address"),
    ({"email_address": None, "first_name": "Null email"}, "failed", "missing_key", "email"),
    ({"first_name": LONG}, "failed", "too_long", "first_name"),
    ({"last_name": LONG}, "failed", "too_long", "last_name"),
    ({"job_title": LONG}, "failed", "too_long", "job_title"),
    ({"company_name": LONG}, "failed", "too_long", "company_name"),
    ({"first_name": 42}, "failed", "invalid_type", "first_name"),
    ({"birthday_month": 13, "birthday_day": 1}, "failed", "invalid_value", "birthday_month"),
    ({"birthday_month": 4, "birthday_day": 0}, "failed", "invalid_value", "birthday_day"),
    ({"birthday_month": 4}, "failed", "invalid_value", "birthday"),
    ({"birthday_month": "April", "birthday_day": 1}, "failed", "invalid_type", "birthday_month"),
    ({"anniversary": "someday"}, "failed", "invalid_value", "anniversary"),
    ({"anniversary": "2006-02-30-01"}, "failed", "too_long", "anniversary"),
    ({"home_phone": "1" * 30}, "failed", "too_long", "home_phone"),
    (
        {"phone_numbers": [{"phone_number": "1", "kind": "pager"}]},
        "failed",
        "invalid_value",
        "kind",
    ),
    ({"street": "s" * 300}, "failed", "too_long", "street"),
    ({"postal_code": "9" * 60}, "failed", "too_long", "postal_code"),
    ({"address_kind": "holiday"}, "failed", "invalid_value", "address_kind"),
    ({"cf_tier": "v" * 256}, "failed", "too_long", "cf_tier"),
    ({"cf_tier": {"nested": True}}, "failed", "invalid_type", "cf_tier"),
    ({"cf_unknown_field": "x"}, "failed", "unknown_custom_field", "unknown_field"),
    ({f"cf_f{i}": "v" for i in range(26)}, "failed", "too_many_custom_fields", "custom_fields"),
    ({"custom_fields": "tier=gold"}, "failed", "invalid_type", "custom_fields"),
    ({"list_names": ["No Such List"]}, "failed", "unknown_list", "No Such List"),
    ({"list_ids": ["00000000-0000-0000-0000-000000000000"]}, "failed", "unknown_list_id", "list"),
    (
        {"list_memberships": ["11111111-1111-1111-1111-111111111111"]},
        "failed",
        "unknown_list_id",
        "contact_lists",
    ),
    ({"list_names": [f"L{i}" for i in range(51)]}, "failed", "too_many_lists", "list_names"),
    ({"tag_names": ["No Such Tag"]}, "failed", "unknown_tag", "No Such Tag"),
    ({"tag_names": [f"T{i}" for i in range(51)]}, "failed", "too_many_tags", "tag_names"),
    ({"list_names": 7}, "failed", "invalid_type", "list_names"),
    ({"_sdc_action": "merge"}, "failed", "invalid_action", "_sdc_action"),
    ({"permission_to_send": "maybe"}, "failed", "invalid_value", "permission_to_send"),
    ({"unsubscribed": "yes"}, "failed", "invalid_type", "unsubscribed"),
    ({"notes": ["n" * 2001]}, "failed", "too_long", "notes"),
    ({"_sdc_action": "update", "first_name": "Ghost"}, "failed", "not_found", "does not exist"),
    ({"_sdc_action": "create", "first_name": "Again"}, "failed", "already_exists", "exists"),
    ({"_sdc_action": "delete"}, "skipped", None, "nothing to delete"),
]


def email_for(index: int) -> str:
    return f"case{index:02d}@example.com"


NO_EMAIL = {"first_name": "No email"}
ALREADY_THERE = CORPUS.index(
    ({"_sdc_action": "create", "first_name": "Again"}, "failed", "already_exists", "exists")
)


def corpus_records() -> list[dict[str, Any]]:
    """Each corpus record (with its own email unless it tests emails), then a valid one."""
    records = []
    for index, (record, *_) in enumerate(CORPUS):
        if "email_address" not in record and record != NO_EMAIL:
            records.append({"email_address": email_for(index), **record})
        else:
            records.append(record)
        records.append({"email_address": f"valid{index:02d}@example.com", "first_name": "Ok"})
    return records


@pytest.fixture
def account(emulator_factory, tmp_path):
    emu = emulator_factory(contacts=0, campaigns=0)
    config = target_config(emu, tmp_path, create_missing_definitions=True, bulk_threshold=1000)
    # the definitions the corpus refers to, and the contact `create` collides with
    run_target(
        emu,
        config,
        flat_messages(
            [
                {
                    "email_address": email_for(ALREADY_THERE),
                    "list_names": ["Members"],
                    "tag_names": ["Hot"],
                    "cf_tier": "gold",
                }
            ]
        ),
    )
    return emu, {**config, "create_missing_definitions": False}


def test_corpus_fails_each_bad_record_alone(account) -> None:
    emu, config = account
    assert len(CORPUS) >= 30
    records = corpus_records()
    result = run_target(
        emu,
        {**config, "max_failed_records": 1000},
        [
            *flat_messages([]),
            *record_messages("contacts", records),
            {"type": "STATE", "value": {"bookmarks": {"x": 1}}},
        ],
    )
    assert len(result.ledger) == len(records)  # one line per record, in input order
    assert [line["seq"] for line in result.ledger] == list(range(1, len(records) + 1))
    for index, (_, outcome, error_key, word) in enumerate(CORPUS):
        line = result.ledger[2 * index]
        assert (line["outcome"], line["error_key"]) == (outcome, error_key), (index, line)
        assert word in (line["message"] or ""), (index, line)
        valid = result.ledger[2 * index + 1]
        assert (valid["key"], valid["outcome"]) == (f"valid{index:02d}@example.com", "created")
    stored = {item["email_address"]["address"] for item in emu.export("contacts")}
    assert {f"valid{index:02d}@example.com" for index in range(len(CORPUS))} <= stored
    assert not any(address.startswith("case") for address in stored - {email_for(ALREADY_THERE)})
    assert result.states == [{"bookmarks": {"x": 1}}]


def test_failures_over_the_limit_fail_the_run_after_applying_valid_records(account) -> None:
    emu, config = account
    result = run_target(
        emu,
        {**config, "max_failed_records": 1},
        [
            *flat_messages(
                [
                    {"email_address": "bad-one"},
                    {"email_address": "good@example.com"},
                    {"email_address": "bad-two"},
                ]
            ),
            {"type": "STATE", "value": {"bookmarks": {"x": 2}}},
        ],
        expect_error=True,
    )
    assert isinstance(result.error, FailedRecordsError)
    assert "2 records failed" in str(result.error)
    assert result.outcomes() == {
        "bad-one": "failed",
        "good@example.com": "created",
        "bad-two": "failed",
    }
    assert result.states == []  # no STATE: a rerun re-sends everything
    assert any(c["email_address"]["address"] == "good@example.com" for c in emu.export("contacts"))
