"""Helpers for the target's integration tests: run the real target against a live emulator and
read back what the emulator stores."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from constantcontact_emulator.compare import compare_accounts
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
    summary: str = ""  # the target's summary line
    usage_total: int = 0  # the client's count of the run's API calls

    def outcomes(self) -> dict[str, str]:
        return {line["key"]: line["outcome"] for line in self.ledger}

    def by_key(self) -> dict[str, dict[str, Any]]:
        return {line["key"]: line for line in self.ledger}

    @property
    def writes(self) -> dict[str, int]:
        return {k: v for k, v in self.requests.items() if k.split()[0] in WRITE_METHODS}


def _requests(emulator: EmulatorProcess) -> dict[str, int]:
    return dict(emulator.stats()["requests"])


class _Lines:
    """Input lines; `hooks[i]` runs just before line i is read (after earlier batches drained)."""

    def __init__(self, text: str, hooks: Mapping[int, Callable[[], None]]) -> None:
        self._lines = text.splitlines(keepends=True)
        self._hooks = hooks

    def __iter__(self) -> Iterator[str]:
        for index, line in enumerate(self._lines):
            if index in self._hooks:
                self._hooks[index]()
            yield line


def run_target(
    emulator: EmulatorProcess,
    config: dict[str, Any],
    messages: Iterable[dict[str, Any]] | str,
    *,
    expect_error: bool = False,
    hooks: Mapping[int, Callable[[], None]] | None = None,
) -> TargetRun:
    """Run the target in this process on `messages` (dicts, or the text of a .singer file).

    `hooks` maps a message index to a function run before the target reads that message."""
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
            target.listen(_Lines(text, hooks) if hooks else io.StringIO(text))  # type: ignore[arg-type]
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
    run = target.run if target is not None else None
    return TargetRun(
        ledger=lines,
        states=states,
        error=error,
        requests={k: v for k, v in requests.items() if v},
        summary=run.summary() if run is not None else "",
        usage_total=run.client.usage.calls_total if run and "client" in run.__dict__ else 0,
    )


def assert_same_accounts(source: EmulatorProcess, target: EmulatorProcess) -> None:
    """B holds every live contact of A, field by field, and no other live contact."""
    diff = compare_accounts(source.export, target.export)
    if diff:
        pytest.fail(diff.summary())
