"""Run the tap against a live emulator and compare what it emitted with the emulator's state."""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import io
import json
import re
import subprocess
import sys
import typing as t
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema

from tap_constantcontact.tap import TapConstantContact

if t.TYPE_CHECKING:
    from constantcontact_emulator.testing import EmulatorProcess

_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


ALL_SCOPES = "contact_data campaign_data account_read account_update offline_access"


def tap_config(emulator: EmulatorProcess, tmp_path: Path, **overrides: t.Any) -> dict[str, t.Any]:
    """The emulator's config with its own refresh token (refresh tokens rotate, so tests
    sharing an emulator must not share one) and a private token store; fast pacing."""
    return {
        **emulator.config,
        "refresh_token": emulator.mint_refresh_token(ALL_SCOPES),
        "token_store_path": str(tmp_path / "tokens" / "store.json"),
        "requests_per_second": 50,
        **overrides,
    }


@dataclass
class TapRun:
    """The Singer messages of one run."""

    messages: list[dict[str, t.Any]]
    stderr: str = ""
    returncode: int = 0
    schemas: dict[str, dict[str, t.Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for message in self.messages:
            if message["type"] == "SCHEMA":
                self.schemas[message["stream"]] = message["schema"]

    def records(self, stream: str) -> list[dict[str, t.Any]]:
        return [
            m["record"] for m in self.messages if m["type"] == "RECORD" and m["stream"] == stream
        ]

    def by_id(self, stream: str, key: str) -> dict[t.Any, dict[str, t.Any]]:
        records = self.records(stream)
        ids = Counter(record[key] for record in records)
        duplicates = [record_id for record_id, count in ids.items() if count > 1]
        assert not duplicates, f"{stream}: emitted more than once: {duplicates[:5]}"
        return {record[key]: record for record in records}

    @property
    def states(self) -> list[dict[str, t.Any]]:
        return [m["value"] for m in self.messages if m["type"] == "STATE"]

    @property
    def final_state(self) -> dict[str, t.Any]:
        return self.states[-1]

    def bookmark(self, stream: str = "contacts") -> str | None:
        return self.final_state["bookmarks"].get(stream, {}).get("replication_key_value")

    def assert_records_match_schemas(self) -> None:
        """Every record is valid against its stream's SCHEMA message, formats included."""
        for stream, schema in self.schemas.items():
            validator = jsonschema.Draft202012Validator(
                schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
            )
            for record in self.records(stream):
                errors = sorted(validator.iter_errors(record), key=lambda e: list(e.path))
                assert not errors, f"{stream}: {errors[0].message} at {list(errors[0].path)}"


def _parse_lines(text: str) -> list[dict[str, t.Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def run_tap(
    config: dict[str, t.Any],
    *,
    state: dict[str, t.Any] | None = None,
    catalog: dict[str, t.Any] | None = None,
    tap_class: type[TapConstantContact] = TapConstantContact,
) -> TapRun:
    """Run the tap in this process, capturing its stdout (`state` is not modified)."""
    state = copy.deepcopy(state) if state is not None else None
    tap = tap_class(config=config, state=state, catalog=catalog)
    buffer = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with contextlib.redirect_stdout(buffer):
        tap.sync_all()
    buffer.seek(0)
    return TapRun(_parse_lines(buffer.read()))


def run_cli(
    config_path: Path,
    *args: str,
    state_path: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> TapRun:
    """Run the `tap-constantcontact` command line in a subprocess."""
    command = [sys.executable, "-m", "tap_constantcontact", "--config", str(config_path), *args]
    if state_path is not None:
        command += ["--state", str(state_path)]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    messages = _parse_lines(done.stdout) if "--discover" not in args else []
    return TapRun(messages, stderr=done.stderr, returncode=done.returncode)


def write_json(path: Path, value: t.Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value))
    return path


# The oracle: what the tap should emit for a contact, computed from the emulator's export. -----


def canonical(value: t.Any) -> t.Any:
    """Timestamps as aware datetimes (any format), so records compare by meaning."""
    if isinstance(value, dict):
        return {key: canonical(item) for key, item in value.items()}
    if isinstance(value, list):
        return [canonical(item) for item in value]
    if isinstance(value, str) and _TIMESTAMP.match(value):
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return value


LOOKBACK = dt.timedelta(minutes=10)


def lookback_overlap(records: list[dict[str, t.Any]], bookmark: str) -> set[str]:
    """Contacts of a run that the next run reads again: changed (or opted out) within the
    default lookback before the run's bookmark."""
    lower = canonical(bookmark) - LOOKBACK
    overlap = set()
    for record in records:
        moments = [
            record.get("updated_at"),
            (record.get("email_address") or {}).get("opt_out_date"),
        ]
        if any(canonical(moment) >= lower for moment in moments if moment):
            overlap.add(record["contact_id"])
    return overlap


def _cf_value(definition: dict[str, t.Any], item: dict[str, t.Any]) -> t.Any:
    kind = definition["type"]
    labels = {str(c["choice_id"]): c["choice_label"] for c in definition.get("choices") or []}
    if kind == "multi_select":
        return [labels[str(choice)] for choice in item.get("choice_ids") or []] or None
    if kind == "single_select":
        choices = item.get("choice_ids") or []
        return labels[str(choices[0])] if choices else item.get("value")
    value = item.get("value")
    if kind in {"number", "currency"}:
        number = float(value)
        return int(number) if (definition.get("metadata") or {}).get("integer") else number
    if kind == "date":
        if _DATE.match(value):
            return value
        month, day, year = value.split("/")
        return f"{year}-{int(month):02d}-{int(day):02d}"
    return value


def expected_contact(
    contact: dict[str, t.Any], definitions: list[dict[str, t.Any]]
) -> dict[str, t.Any]:
    """The tap's record for one exported contact: the same fields plus the derived columns.

    The export holds every sub-resource; the tap asks for the default `include=` set, which
    leaves out `sms_channel`.
    """
    expected = {key: value for key, value in contact.items() if key != "sms_channel"}
    deleted_at = contact.get("deleted_at")
    expected["deleted_at"] = deleted_at
    if deleted_at:
        updated = contact["updated_at"]
        expected["_sdc_deleted_at"] = (
            updated if updated[:10] == deleted_at else f"{deleted_at}T00:00:00Z"
        )
    else:
        expected["_sdc_deleted_at"] = None
    by_id = {d["custom_field_id"]: d for d in definitions}
    for item in contact.get("custom_fields") or []:
        definition = by_id[item["custom_field_id"]]
        expected[f"cf_{definition['name']}"] = _cf_value(definition, item)
    return expected


def assert_contact_matches(
    record: dict[str, t.Any], contact: dict[str, t.Any], definitions: list[dict[str, t.Any]]
) -> None:
    """Field by field: the emitted record equals the emulator's stored contact."""
    expected = canonical(expected_contact(contact, definitions))
    actual = canonical(record)
    assert actual == expected, _diff(actual, expected)


def _diff(actual: dict[str, t.Any], expected: dict[str, t.Any]) -> str:
    missing = "<missing>"
    lines = [
        f"  {key}: emitted {actual.get(key, missing)!r} != stored {expected.get(key, missing)!r}"
        for key in sorted(set(actual) | set(expected))
        if actual.get(key, missing) != expected.get(key, missing)
    ]
    return f"contact {actual.get('contact_id')} differs:\n" + "\n".join(lines)
