"""An exhausted daily quota stops the run cleanly: the ledger holds every record applied so far,
the rest are `failed` / `quota_exceeded`, no STATE is emitted, and a rerun redoes nothing."""

from __future__ import annotations

from collections import Counter

from target_harness import flat_messages, run_target, target_config

from constantcontact_client.errors import QuotaExceededError


def test_quota_stop_then_rerun(emulator_factory, tmp_path) -> None:
    emu = emulator_factory(contacts=0, campaigns=0)
    people = [{"email_address": f"q{i}@example.com", "first_name": f"Q{i}"} for i in range(8)]
    messages = [*flat_messages(people), {"type": "STATE", "value": {"bookmarks": {"q": 1}}}]
    # single calls; the client refuses the 8th call of the day locally, as the API would
    config = target_config(emu, tmp_path, bulk_threshold=100, daily_request_limit=7)
    stopped = run_target(emu, config, messages, expect_error=True)
    assert isinstance(stopped.error, QuotaExceededError)
    assert stopped.states == []
    assert len(stopped.ledger) == 8
    first = Counter(line["outcome"] for line in stopped.ledger)
    assert first["created"] >= 1
    assert first["failed"] >= 1
    assert first["created"] + first["failed"] == 8
    failed = [line for line in stopped.ledger if line["outcome"] == "failed"]
    assert {line["error_key"] for line in failed} == {"quota_exceeded"}
    applied = {line["key"] for line in stopped.ledger if line["outcome"] == "created"}
    stored = {c["email_address"]["address"] for c in emu.export("contacts")}
    assert stored == applied

    rerun = run_target(emu, {**config, "daily_request_limit": 10000}, messages)
    assert rerun.states == [{"bookmarks": {"q": 1}}]
    for line in rerun.ledger:
        assert line["outcome"] == ("unchanged" if line["key"] in applied else "created")
    contacts = emu.export("contacts")
    assert sorted(c["email_address"]["address"] for c in contacts) == sorted(
        p["email_address"] for p in people
    )
