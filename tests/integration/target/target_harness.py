"""Helpers for the target's integration tests: run the real target against a live emulator and
read back what the emulator stores."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from constantcontact_emulator.testing import EmulatorProcess
from target_constantcontact.target import TargetConstantContact

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def target_config(emulator: EmulatorProcess, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    config = {
        **emulator.config,
        "token_store_path": str(tmp_path / "token-store.json"),
        "results_path": str(tmp_path / "results.jsonl"),
        "activity_poll_interval": 0.2,
    }
    config.update(overrides)
    return config


def schema_message(stream: str, key_properties: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "type": "SCHEMA",
        "stream": stream,
        "schema": {"type": "object", "properties": {}},
        "key_properties": list(key_properties),
    }


def record_messages(stream: str, records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"type": "RECORD", "stream": stream, "record": record} for record in records]


def flat_messages(records: Iterable[dict[str, Any]], stream: str = "contacts") -> list[dict]:
    return [schema_message(stream, ["email_address"]), *record_messages(stream, records)]


@dataclass
class TargetRun:
    ledger: list[dict[str, Any]]
    states: list[dict[str, Any]]
    error: BaseException | None
    requests: dict[str, int] = field(default_factory=dict)  # emulator calls made by this run

    def outcomes(self) -> dict[str, str]:
        return {line["key"]: line["outcome"] for line in self.ledger}

    def by_key(self) -> dict[str, dict[str, Any]]:
        return {line["key"]: line for line in self.ledger}

    @property
    def writes(self) -> dict[str, int]:
        return {k: v for k, v in self.requests.items() if k.split()[0] in WRITE_METHODS}


def _requests(emulator: EmulatorProcess) -> dict[str, int]:
    return dict(emulator.stats()["requests"])


def run_target(
    emulator: EmulatorProcess,
    config: dict[str, Any],
    messages: Iterable[dict[str, Any]] | str,
    *,
    expect_error: bool = False,
) -> TargetRun:
    """Run the target in this process on `messages` (dicts, or the text of a .singer file)."""
    text = (
        messages
        if isinstance(messages, str)
        else "".join(json.dumps(message) + "\n" for message in messages)
    )
    ledger_path = Path(config["results_path"]) if config.get("results_path") else None
    before = _requests(emulator)
    stdout = io.StringIO()
    error: BaseException | None = None
    target = None
    try:
        with contextlib.redirect_stdout(stdout):
            target = TargetConstantContact(config=config)
            target.listen(io.StringIO(text))
    except Exception as exc:
        if not expect_error:
            raise
        error = exc
    if expect_error and error is None:
        pytest.fail("the target run was expected to fail")
    after = _requests(emulator)
    requests = {key: after[key] - before.get(key, 0) for key in after}
    lines: list[dict[str, Any]] = []
    if ledger_path is not None and ledger_path.exists() and target is not None:
        run_id = target.run.ledger.run_id
        lines = [
            line
            for line in map(json.loads, ledger_path.read_text().splitlines())
            if line["run_id"] == run_id
        ]
    states = [json.loads(line) for line in stdout.getvalue().splitlines() if line.strip()]
    return TargetRun(
        ledger=lines,
        states=states,
        error=error,
        requests={k: v for k, v in requests.items() if v},
    )


def account_view(emulator: EmulatorProcess) -> dict[str, dict[str, Any]]:
    """Every live contact by lower-case email, with lists, tags and custom fields by name."""
    lists = {item["list_id"]: item["name"] for item in emulator.export("contact_lists")}
    tags = {item["tag_id"]: item["name"] for item in emulator.export("contact_tags")}
    fields = {item["custom_field_id"]: item["name"] for item in emulator.export("custom_fields")}
    view = {}
    for contact in emulator.export("contacts"):
        if contact.get("deleted_at"):
            continue
        email = contact["email_address"]
        view[email["address"].lower()] = {
            "first_name": contact.get("first_name"),
            "last_name": contact.get("last_name"),
            "job_title": contact.get("job_title"),
            "company_name": contact.get("company_name"),
            "birthday_month": contact.get("birthday_month"),
            "birthday_day": contact.get("birthday_day"),
            "anniversary": contact.get("anniversary"),
            "unsubscribed": email.get("permission_to_send") == "unsubscribed",
            "phones": sorted(
                (phone["kind"], phone["phone_number"]) for phone in contact.get("phone_numbers", [])
            ),
            "addresses": sorted(
                (
                    address["kind"],
                    address.get("street"),
                    address.get("city"),
                    address.get("state"),
                    address.get("postal_code"),
                    address.get("country"),
                )
                for address in contact.get("street_addresses", [])
            ),
            "custom_fields": {
                fields[item["custom_field_id"]]: item.get("value")
                for item in contact.get("custom_fields", [])
            },
            "lists": sorted(lists[list_id] for list_id in contact.get("list_memberships", [])),
            "tags": sorted(tags[tag_id] for tag_id in contact.get("taggings", [])),
        }
    return view


def assert_same_accounts(source: EmulatorProcess, target: EmulatorProcess) -> None:
    """B holds every live contact of A, field by field, and no other live contact."""
    expected, actual = account_view(source), account_view(target)
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    assert not missing, f"{len(missing)} contacts missing in B, e.g. {missing[:3]}"
    assert not extra, f"{len(extra)} contacts only in B, e.g. {extra[:3]}"
    different = [email for email in expected if expected[email] != actual[email]]
    if different:
        email = different[0]
        diff = {
            name: (expected[email][name], actual[email][name])
            for name in expected[email]
            if expected[email][name] != actual[email][name]
        }
        pytest.fail(f"{len(different)} contacts differ; {email}: {diff}")
