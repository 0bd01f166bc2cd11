"""`tap-constantcontact | target-constantcontact` copies emulator A into an empty emulator B:
B equals A (contacts, custom field values, list memberships and tags by name, unsubscribes),
in bulk calls; after changes on A an incremental run makes them equal again; a rerun of the
same input writes nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from target_harness import assert_same_accounts, target_config

BIN = Path(sys.executable).parent
CONTACT_WRITES = {
    "POST /v3/activities/contacts_json_import",
    "POST /v3/activities/contact_delete",
    "POST /v3/activities/remove_list_memberships",
    "POST /v3/activities/add_list_memberships",
    "POST /v3/activities/contacts_taggings_add",
    "POST /v3/activities/contacts_taggings_remove",
    "PUT /v3/contacts/{contact_id}",
    "DELETE /v3/contacts/{contact_id}",
}
DEFINITION_WRITES = {
    "POST /v3/contact_lists",
    "POST /v3/contact_tags",
    "POST /v3/contact_custom_fields",
    "PUT /v3/contact_lists/{list_id}",
}


def pipe(tmp_path: Path, source: dict, target: dict, state: dict | None, name: str) -> dict:
    """Run `tap | target` as a shell pipeline would; returns the last STATE the target emitted."""
    source_path, target_path = tmp_path / f"{name}-tap.json", tmp_path / f"{name}-target.json"
    source_path.write_text(json.dumps(source))
    target_path.write_text(json.dumps(target))
    tap_args = [str(BIN / "tap-constantcontact"), "--config", str(source_path)]
    if state is not None:
        state_path = tmp_path / f"{name}-state.json"
        state_path.write_text(json.dumps(state))
        tap_args += ["--state", str(state_path)]
    with (tmp_path / f"{name}-tap.log").open("w") as tap_log:
        tap = subprocess.Popen(tap_args, stdout=subprocess.PIPE, stderr=tap_log)
        target_run = subprocess.run(
            [str(BIN / "target-constantcontact"), "--config", str(target_path)],
            stdin=tap.stdout,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        tap.stdout.close()
        assert tap.wait(timeout=60) == 0, (tmp_path / f"{name}-tap.log").read_text()[-3000:]
    (tmp_path / f"{name}-target.log").write_text(target_run.stderr)
    assert target_run.returncode == 0, target_run.stderr[-3000:]
    states = [json.loads(line) for line in target_run.stdout.splitlines() if line.strip()]
    assert states, "the target emitted no STATE"
    return states[-1]


def ledger_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def last_run(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    run_id = lines[-1]["run_id"]
    return [line for line in lines if line["run_id"] == run_id]


def calls(emulator, before: dict[str, int], names: set[str]) -> dict[str, int]:
    after = emulator.stats()["requests"]
    deltas = {name: after.get(name, 0) - before.get(name, 0) for name in names}
    return {name: delta for name, delta in deltas.items() if delta}


@pytest.mark.slow
def test_copy_account_then_propagate_changes(emulator_factory, tmp_path) -> None:
    source = emulator_factory(contacts=1200, campaigns=0, seed=1)
    target = emulator_factory(contacts=0, campaigns=0, rps=4, daily_limit=10000)
    tap_config = {**source.config, "token_store_path": str(tmp_path / "tap-token.json")}
    config = target_config(target, tmp_path, unknown_streams="ignore", activity_poll_interval=1)
    results = Path(config["results_path"])

    before = target.stats()["requests"]
    state = pipe(tmp_path, tap_config, config, None, "copy")
    assert_same_accounts(source, target)

    # the budget: bulk calls, not one per contact
    contact_writes = calls(target, before, CONTACT_WRITES)
    definition_writes = calls(target, before, DEFINITION_WRITES)
    unsubscribes = calls(target, before, {"POST /v3/contacts"})
    polls = calls(target, before, {"GET /v3/activities/{activity_id}"})
    print("contact writes", contact_writes, "definitions", definition_writes)
    print("unsubscribe creates", unsubscribes, "polls", polls)
    source_contacts = source.export("contacts")
    live = [c for c in source_contacts if not c.get("deleted_at")]
    unsubscribed = sum(c["email_address"]["permission_to_send"] == "unsubscribed" for c in live)
    assert unsubscribes == {"POST /v3/contacts": unsubscribed}  # created unsubscribed, 1 each
    n_lists = len([x for x in source.export("contact_lists") if not x.get("deleted_at")])
    n_tags = len(source.export("contact_tags"))
    # one import per list, one tag activity per tag, one removal for contacts without lists
    assert sum(contact_writes.values()) <= n_lists + n_tags + 1, (
        contact_writes,
        (tmp_path / "copy-target.log").read_text()[-6000:],
    )
    assert sum(definition_writes.values()) == (
        n_lists + n_tags + len(source.export("custom_fields"))
    )
    assert target.stats()["throttled"] == 0

    # one ledger line per input record
    copy_lines = last_run(ledger_lines(results))
    streams = Counter(line["stream"] for line in copy_lines)
    assert streams["contacts"] == len(source_contacts)
    assert streams["contact_lists"] == len(source.export("contact_lists"))
    outcomes = Counter(line["outcome"] for line in copy_lines if line["stream"] == "contacts")
    assert outcomes == {
        "created": len(live),
        "skipped": len(source_contacts) - len(live),  # deleted in A, absent from B
    }

    # changes on A propagate with an incremental run
    changed = source.actions(create=5, update=7, delete=3, unsubscribe=4)
    state = pipe(tmp_path, tap_config, config, state, "changes")
    assert_same_accounts(source, target)
    change_lines = last_run(ledger_lines(results))
    by_outcome = Counter(line["outcome"] for line in change_lines if line["stream"] == "contacts")
    assert by_outcome["created"] >= len(changed["created"])
    assert by_outcome["deleted"] == len(changed["deleted"])
    assert by_outcome["failed"] == 0

    # the same input again: nothing to write
    before = target.stats()["requests"]
    pipe(tmp_path, tap_config, config, None, "rerun")
    assert calls(target, before, CONTACT_WRITES | DEFINITION_WRITES | {"POST /v3/contacts"}) == {}
    rerun = Counter(
        line["outcome"] for line in last_run(ledger_lines(results)) if line["stream"] == "contacts"
    )
    assert set(rerun) <= {"unchanged", "skipped"}
    assert_same_accounts(source, target)
