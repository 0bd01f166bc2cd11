"""`max_requests_per_run`: the run stops cleanly at the cap and the next run has no gap."""

from __future__ import annotations

import typing as t

import pytest
from tap_harness import run_cli, run_tap, tap_config, write_json

from tap_constantcontact.streams import STREAM_TYPES

if t.TYPE_CHECKING:
    from pathlib import Path

    from tap_harness import TapRun

    from constantcontact_emulator.testing import EmulatorProcess


def _keys(run: TapRun) -> dict[str, set[tuple[t.Any, ...]]]:
    """Every stream's emitted primary keys."""
    keys: dict[str, set[tuple[t.Any, ...]]] = {}
    for stream, schema_keys in _primary_keys().items():
        keys[stream] = {tuple(r[k] for k in schema_keys) for r in run.records(stream)}
    return keys


def _primary_keys() -> dict[str, tuple[str, ...]]:
    return {stream_type.name: tuple(stream_type.primary_keys) for stream_type in STREAM_TYPES} | {
        "change_events": ("event_id",)
    }


@pytest.mark.parametrize("fraction", [0.3, 0.9], ids=["early", "late"])
def test_the_budget_cap_stops_cleanly_and_the_next_run_continues_without_gap(
    emulator_factory: t.Callable[..., EmulatorProcess], tmp_path: Path, fraction: float
) -> None:
    emulator = emulator_factory(contacts=700, campaigns=8)
    config = tap_config(emulator, tmp_path, tracking_lookback_days=3650, page_size=100)
    baseline = run_tap(config).final_state
    emulator.actions(create=30, update=40, delete=10, unsubscribe=10)
    emulator.actions(campaign_create=2, campaign_update=2, campaign_delete=1, tracking=60)

    # What an uncapped incremental run emits, and what it costs.
    before = emulator.stats()["quota_used"]
    reference = run_tap(config, state=baseline)
    cost = emulator.stats()["quota_used"] - before
    cap = int(cost * fraction)

    capped_config = write_json(tmp_path / "capped.json", {**config, "max_requests_per_run": cap})
    state_path = write_json(tmp_path / "state.json", baseline)
    capped = run_cli(capped_config, state_path=state_path)
    assert capped.returncode == 0, capped.stderr[-2000:]
    assert "Traceback" not in capped.stderr
    warning = [line for line in capped.stderr.splitlines() if "Run stopped early" in line]
    assert len(warning) == 1
    assert f"max_requests_per_run ({cap}) reached" in warning[0]
    assert "the next run continues from there" in warning[0]

    # Finished streams moved their bookmarks; the others kept the baseline's.
    final = capped.final_state["bookmarks"]
    for stream, state in final.items():
        assert "progress_markers" not in state, stream
        for partition in state.get("partitions", []):
            assert "progress_markers" not in partition, stream
    interrupted = warning[0].split("interrupted: ")[1].split(";")[0]
    interrupted_stream = interrupted.split(" ")[0]
    if "partitions" not in baseline["bookmarks"].get(interrupted_stream, {}):
        assert final[interrupted_stream].get("replication_key_value") == baseline["bookmarks"][
            interrupted_stream
        ].get("replication_key_value")

    resumed = run_tap(config, state=capped.final_state)
    resumed.assert_records_match_schemas()
    expected, got_capped, got_resumed = _keys(reference), _keys(capped), _keys(resumed)
    for stream, keys in expected.items():
        missing = keys - got_capped[stream] - got_resumed[stream]
        assert not missing, f"{stream}: {len(missing)} records lost across the cap"
    assert sum(len(keys) for keys in got_capped.values()) < sum(
        len(keys) for keys in expected.values()
    ), "the cap did stop the run early"
