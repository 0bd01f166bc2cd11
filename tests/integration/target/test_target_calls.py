"""What the target's calls cost against a live emulator: the account's size is read once per
run, a definition conflict reloads only its kind, a full activity queue is waited out in one
layer bounded by `activity_timeout`, and the run summary counts exactly the calls the emulator
received."""

from __future__ import annotations

import re

from target_harness import flat_messages, run_target, target_config

from target_constantcontact.activities import ActivityTimeoutError

SUMMARY = re.compile(
    r"API calls: (?P<total>\d+) \(contact writes=(?P<contact>\d+) \(bulk (?P<bulk>\d+), "
    r"single (?P<single>\d+)\), unsubscribe writes=(?P<unsubscribe>\d+), definition writes="
    r"(?P<definition>\d+), reads=(?P<reads>\d+), activity polls=(?P<polls>\d+)\)\."
)
DEFINITION_PATHS = ("/v3/contact_lists", "/v3/contact_tags", "/v3/contact_custom_fields")


def _emails(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{i}@example.com" for i in range(count)]


def test_account_size_is_read_once_per_run(emulator_factory, tmp_path) -> None:
    # 1,600 contacts: 4 pages of 500. Batches of 5 rows, single calls only.
    emu = emulator_factory(contacts=1600, campaigns=0, record_exchanges=True)
    config = target_config(emu, tmp_path, batch_size_rows=5, bulk_threshold=100)
    first, second, third = _emails("one", 3), _emails("two", 5), _emails("three", 3)
    rows = [
        # batch 1: 3 contacts (two rows repeat): page 1 with the count, then 3 lookups
        *({"email_address": email, "first_name": "A"} for email in [*first, *first[:2]]),
        # batch 2: 5 contacts: 4 pages cost less than 5 lookups: the whole account, once
        *({"email_address": email, "first_name": "B"} for email in second),
        # batch 3: the copy is refreshed with updated_after (one page)
        *({"email_address": email, "first_name": "C"} for email in third),
    ]
    emu.clear_exchanges()
    result = run_target(emu, config, flat_messages(rows))

    assert set(result.outcomes().values()) == {"created"}
    stored = {c["email_address"]["address"]: c["first_name"] for c in emu.export("contacts")}
    for emails, name in ((first, "A"), (second, "B"), (third, "C")):
        assert {email: stored.get(email) for email in emails} == dict.fromkeys(emails, name)
    reads = [
        exchange["query"]
        for exchange in emu.exchanges()
        if (exchange["method"], exchange["path"]) == ("GET", "/v3/contacts")
    ]
    assert sum("include_count=true" in query for query in reads) == 1
    assert sum("email=" in query for query in reads) == 3  # batch 1 only
    assert sum("updated_after=" in query for query in reads) == 1  # batch 3
    assert result.requests["GET /v3/contacts"] == 1 + 3 + 4 + 1


def test_definition_conflict_reloads_only_its_kind(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(contacts=0, campaigns=0)
    config = target_config(
        emu, tmp_path, batch_size_rows=2, bulk_threshold=100, create_missing_definitions=True
    )
    rows = [
        {"email_address": "early0@example.com", "list_names": ["Early"]},
        {"email_address": "early1@example.com", "list_names": ["Early"]},
        {"email_address": "late0@example.com", "list_names": ["Late"]},
        {"email_address": "late1@example.com", "list_names": ["Late"]},
    ]
    messages = flat_messages(rows)

    def someone_creates_the_list() -> None:
        # after the first batch loaded the catalogs: the target does not know this list
        emu.api("POST", "/contact_lists", json={"name": "Late"}).raise_for_status()

    result = run_target(emu, config, messages, hooks={3: someone_creates_the_list})

    assert set(result.outcomes().values()) == {"created"}
    lists = {item["name"]: item["list_id"] for item in emu.export("contact_lists")}
    members = {c["email_address"]["address"]: c["list_memberships"] for c in emu.export("contacts")}
    assert members == {
        "early0@example.com": [lists["Early"]],
        "early1@example.com": [lists["Early"]],
        "late0@example.com": [lists["Late"]],
        "late1@example.com": [lists["Late"]],
    }
    statuses = emu.stats()["by_endpoint_status"]
    assert statuses["POST /v3/contact_lists"].get("409") == 1
    assert result.requests["GET /v3/contact_lists"] == 2  # loaded, then reloaded on the 409
    assert result.requests["GET /v3/contact_tags"] == 1
    assert result.requests["GET /v3/contact_custom_fields"] == 1


def test_always_full_activity_queue_costs_few_posts(emulator_factory, tmp_path) -> None:
    # one queued activity at a time, and the first never ends: the second import meets a full
    # queue until activity_timeout, resubmitted by the target alone (the client's own retries,
    # max_retries=5 here, would resend each attempt five more times, waiting minutes)
    emu = emulator_factory(contacts=0, campaigns=0, max_queued_activities=1, activity_seconds=600)
    config = target_config(
        emu,
        tmp_path,
        create_missing_definitions=True,
        activity_timeout=3,
        activity_poll_interval=0.5,
        max_retries=5,
        max_failed_records=100,
    )
    rows = [
        {"email_address": email, "list_names": [name]}
        for name in ("First", "Second")
        for email in _emails(name.lower(), 3)
    ]
    result = run_target(emu, config, flat_messages(rows), expect_error=True)

    assert isinstance(result.error, ActivityTimeoutError)
    assert "activity_timeout" in str(result.error)
    imports = emu.stats()["by_endpoint_status"]["POST /v3/activities/contacts_json_import"]
    assert imports.get("201") == 1
    # waits of 1 s then 2 s fit in 3 s: three submissions refused, then the target gives up
    assert 2 <= imports.get("429", 0) <= 4
    assert {(line["outcome"], line["error_key"]) for line in result.ledger} == {
        ("failed", "activity_timeout")
    }


def test_summary_counts_every_call_the_emulator_received(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(contacts=0, campaigns=0)
    config = target_config(emu, tmp_path, create_missing_definitions=True)
    rows = [
        *(
            {"email_address": email, "list_names": ["Main"], "tag_names": ["Hot"]}
            for email in _emails("bulk", 6)
        ),
        {"email_address": "gone@example.com", "unsubscribed": True},
    ]
    emu.faults(fail_next=2)  # two 5xx answers, retried: each resend is a call too
    result = run_target(emu, config, flat_messages(rows))
    assert set(result.outcomes().values()) == {"created"}

    calls = result.requests
    assert sum(calls.values()) == result.usage_total
    assert sum(count for name, count in calls.items() if name.startswith("GET")) >= 3
    match = SUMMARY.search(result.summary)
    assert match is not None, result.summary
    summary = {name: int(value) for name, value in match.groupdict().items()}

    def count(predicate) -> int:
        return sum(n for name, n in calls.items() if predicate(*name.split(" ", 1)))

    polls = count(lambda method, path: method == "GET" and path.startswith("/v3/activities"))
    contact_single = count(
        lambda method, path: method != "GET" and path.split("/")[2] == "contacts"
    )
    assert summary == {
        "total": sum(calls.values()),
        "contact": summary["bulk"] + summary["single"],
        "bulk": count(lambda method, path: method == "POST" and path.startswith("/v3/activities")),
        "single": contact_single - summary["unsubscribe"],
        "unsubscribe": 1,
        "definition": count(
            lambda method, path: method != "GET" and path.startswith(DEFINITION_PATHS)
        ),
        "reads": count(lambda method, path: method == "GET") - polls,
        "polls": polls,
    }
    assert summary["bulk"] >= 2  # the import and the tagging
    assert summary["definition"] == 2  # the list and the tag
