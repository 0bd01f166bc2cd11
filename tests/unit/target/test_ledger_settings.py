"""Ledger file, settings validation and in-batch merging."""

from __future__ import annotations

import json
import stat
from decimal import Decimal

from target_constantcontact.ledger import Ledger
from target_constantcontact.model import Action, ContactIntent, Outcome, RecordResult
from target_constantcontact.run import merge_duplicates
from target_constantcontact.settings import TargetSettings


def test_ledger_lines_and_mode(tmp_path) -> None:
    path = tmp_path / "sub" / "results.jsonl"
    ledger = Ledger(path)
    ledger.write(
        [
            RecordResult(1, "contacts", "a@x.io", "upsert", Outcome.CREATED, contact_id="c1"),
            RecordResult(2, "contacts", "b@x.io", "create", Outcome.FAILED, None, "e", "bad"),
        ]
    )
    ledger.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["outcome"] for line in lines] == ["created", "failed"]
    assert lines[0]["contact_id"] == "c1"
    assert lines[1] | {"time": None} == {
        "run_id": ledger.run_id,
        "time": None,
        "seq": 2,
        "stream": "contacts",
        "key": "b@x.io",
        "contact_id": None,
        "action": "create",
        "outcome": "failed",
        "error_key": "e",
        "message": "bad",
    }
    assert ledger.failed == 1
    assert ledger.total == 2


def test_ledger_tightens_an_existing_file(tmp_path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text("")
    path.chmod(0o644)
    ledger = Ledger(path)
    ledger.write([RecordResult(1, "contacts", "a@x.io", "upsert", Outcome.UNCHANGED)])
    ledger.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_settings_defaults() -> None:
    settings, errors = TargetSettings.from_config({})
    assert errors == []
    assert settings.action_for("contacts") is Action.UPSERT
    assert settings.bulk_threshold == 5
    assert settings.max_failed_records == 0
    assert settings.contact_streams == {"contacts"}


def test_settings_errors_name_each_setting() -> None:
    _, errors = TargetSettings.from_config(
        {
            "actions": {"contacts": "merge"},
            "match_by": "phone",
            "membership_mode": "sync",
            "unknown_streams": "skip",
            "bulk_threshold": 0,
            "max_failed_records": -1,
            "activity_poll_interval": "soon",
            "dry_run": "yes",
            "default_list_id": "a",
            "default_list_name": "b",
            "contact_streams": ["contact_lists"],
        }
    )
    names = sorted(error.split(":")[0] for error in errors)
    assert names == sorted(
        [
            "actions.contacts",
            "contact_streams",
            "default_list_id and default_list_name",
            "match_by",
            "dry_run",
            "membership_mode",
            "unknown_streams",
            "max_failed_records",
            "bulk_threshold",
            "activity_poll_interval",
        ]
    )


def test_merge_duplicates_later_values_win() -> None:
    first = ContactIntent(1, "contacts", Action.UPSERT, "a@x.io", email="a@x.io")
    first.fields = {"first_name": "A", "last_name": "One"}
    second = ContactIntent(2, "contacts", Action.UPSERT, "A@x.io", email="A@x.io")
    second.fields = {"last_name": "Two"}
    other = ContactIntent(3, "contacts", Action.UPSERT, "b@x.io", email="b@x.io")
    merged = merge_duplicates([first, second, other])
    assert [intent.seq for intent in merged] == [1, 3]
    assert merged[0].fields == {"first_name": "A", "last_name": "Two"}
    assert merged[0].merged_seqs == [2]


def test_merge_duplicates_delete_wins_when_last() -> None:
    first = ContactIntent(1, "contacts", Action.UPSERT, "a@x.io", email="a@x.io")
    second = ContactIntent(2, "contacts", Action.DELETE, "a@x.io", email="a@x.io")
    merged = merge_duplicates([first, second])
    assert [(intent.seq, intent.action, intent.merged_seqs) for intent in merged] == [
        (2, Action.DELETE, [1])
    ]


def test_settings_accept_decimal_numbers_from_config_files() -> None:
    settings, errors = TargetSettings.from_config(
        {"activity_poll_interval": Decimal("0.5"), "bulk_threshold": Decimal(10)}
    )
    assert errors == []
    assert settings.activity_poll_interval == 0.5
    assert settings.bulk_threshold == 10
