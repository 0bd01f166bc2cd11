"""Account to account: `meltano run tap-constantcontact target-constantcontact` copies emulator A
into an empty emulator B (both with the real limits), then carries A's changes over with an
incremental run. After each run B equals A contact by contact (`compare_accounts`: fields,
custom field values, lists and tags by name, unsubscribes), and B's API calls are bulk calls.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from constantcontact_emulator.compare import compare_accounts
from constantcontact_emulator.testing import EmulatorProcess

from .meltano_project import MeltanoProject, settings_env

pytestmark = pytest.mark.e2e

PIPELINE = ("tap-constantcontact", "target-constantcontact")
CHANGES = {"create": 5, "update": 7, "delete": 3, "unsubscribe": 4}
# Calls that write one contact each; everything else the target sends is a bulk activity,
# a definition (list, tag, custom field) or a read.
SINGLE_CONTACT_WRITES = (
    "POST /v3/contacts",
    "PUT /v3/contacts/{contact_id}",
    "DELETE /v3/contacts/{contact_id}",
    "POST /v3/contacts/sign_up_form",
)
BULK_CONTACT_WRITES = (
    "POST /v3/activities/contacts_json_import",
    "POST /v3/activities/contact_delete",
    "POST /v3/activities/add_list_memberships",
    "POST /v3/activities/remove_list_memberships",
    "POST /v3/activities/contacts_taggings_add",
    "POST /v3/activities/contacts_taggings_remove",
)


def calls_since(emulator: EmulatorProcess, before: dict[str, int]) -> dict[str, int]:
    after = emulator.stats()["requests"]
    return {
        name: count - before.get(name, 0)
        for name, count in after.items()
        if count > before.get(name, 0)
    }


def assert_same_accounts(source: EmulatorProcess, target: EmulatorProcess) -> None:
    diff = compare_accounts(source.export, target.export)
    assert not diff, diff.summary()
    assert diff.compared > 0


def assert_no_429(emulator: EmulatorProcess) -> None:
    stats = emulator.stats()
    assert stats["throttled"] == 0
    assert stats["by_status"].get("429", 0) == 0


def test_copy_an_account_then_carry_changes_over(
    emulator_factory, meltano_project: MeltanoProject, tmp_path
) -> None:
    source: EmulatorProcess = emulator_factory(
        contacts=1200, campaigns=3, seed=1, rps=4, daily_limit=10000
    )
    target: EmulatorProcess = emulator_factory(contacts=0, campaigns=0, rps=4, daily_limit=10000)
    env = {
        **settings_env(
            "TAP_CONSTANTCONTACT",
            {**source.config, "token_store_path": str(tmp_path / "tap-token.json")},
        ),
        **settings_env(
            "TARGET_CONSTANTCONTACT",
            {
                **target.config,
                "token_store_path": str(tmp_path / "target-token.json"),
                "results_path": str(tmp_path / "results.jsonl"),
                # the tap's campaign, tracking, segment and event streams are not contacts
                "unknown_streams": "ignore",
            },
        ),
    }
    suffix = uuid.uuid4().hex[:8]

    # 1. the copy
    meltano_project.run(*PIPELINE, env=env, state_id_suffix=suffix)
    assert_same_accounts(source, target)
    copy_calls = calls_since(target, {})
    live = [contact for contact in source.export("contacts") if not contact.get("deleted_at")]
    unsubscribed = sum(
        contact["email_address"]["permission_to_send"] == "unsubscribed" for contact in live
    )
    lists = [item for item in source.export("contact_lists") if not item.get("deleted_at")]
    tags = source.export("contact_tags")
    single = sum(copy_calls.get(name, 0) for name in SINGLE_CONTACT_WRITES)
    bulk = sum(copy_calls.get(name, 0) for name in BULK_CONTACT_WRITES)
    # only unsubscribed contacts cost one call each (the API has no bulk unsubscribe)
    assert single == unsubscribed, copy_calls
    # one import per list, one tagging activity per tag, one removal from a carrier list
    assert 0 < bulk <= len(lists) + len(tags) + 1, copy_calls
    print(f"copy of {len(live)} live contacts: {bulk} bulk and {single} single writes {copy_calls}")

    # 2. a person changes A; the incremental run carries the changes over
    changes = source.actions(**CHANGES)
    changed = {contact_id for ids in changes.values() for contact_id in ids}
    before: dict[str, Any] = target.stats()["requests"]
    meltano_project.run(*PIPELINE, env=env, state_id_suffix=suffix)
    assert_same_accounts(source, target)
    change_calls = calls_since(target, before)
    single = sum(change_calls.get(name, 0) for name in SINGLE_CONTACT_WRITES)
    bulk = sum(change_calls.get(name, 0) for name in BULK_CONTACT_WRITES)
    # the cost follows the changes, not the account: at most one call per changed contact,
    # and no more activities than the copy's floor
    assert single + bulk > 0, change_calls
    assert single <= len(changed), change_calls
    assert bulk <= len(lists) + len(tags) + 1, change_calls
    print(f"{len(changed)} changed contacts: {bulk} bulk and {single} single writes {change_calls}")

    assert_no_429(source)
    assert_no_429(target)
