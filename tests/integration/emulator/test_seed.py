"""Seed data: deterministic per seed, realistic, and empty with --contacts 0 --campaigns 0."""

from __future__ import annotations

from constantcontact_emulator.testing import EmulatorProcess

RESOURCES = ("contacts", "contact_lists", "contact_tags", "custom_fields", "segments", "account")
ANCHOR = 1_767_225_600  # 2026-01-01T00:00:00Z


def _snapshot(emu: EmulatorProcess) -> dict[str, object]:
    return {resource: emu.export(resource) for resource in RESOURCES}


def test_same_seed_gives_the_same_account(emulator_factory) -> None:
    first = emulator_factory(contacts=300, campaigns=0, seed=7, seed_anchor=ANCHOR)
    second = emulator_factory(contacts=300, campaigns=0, seed=7, seed_anchor=ANCHOR)
    other = emulator_factory(contacts=300, campaigns=0, seed=8, seed_anchor=ANCHOR)
    assert _snapshot(first) == _snapshot(second)
    assert first.info["client_id"] == second.info["client_id"]
    assert first.info["refresh_token"] == second.info["refresh_token"]
    other_contacts = other.export("contacts")
    assert {c["contact_id"] for c in other_contacts}.isdisjoint(
        {c["contact_id"] for c in first.export("contacts")}
    )


def test_seeded_history_ends_at_the_anchor(emulator_factory) -> None:
    emu = emulator_factory(contacts=200, campaigns=0, seed_anchor=ANCHOR)
    contacts = emu.export("contacts")
    assert max(c["updated_at"] for c in contacts) < "2026-01-01T00:00:00Z"
    assert min(c["created_at"] for c in contacts) >= "2023-12-01T00:00:00Z"


def test_zero_contacts_is_an_empty_account(emulator_factory) -> None:
    emu = emulator_factory(contacts=0, campaigns=0)
    for resource in ("contacts", "contact_lists", "contact_tags", "custom_fields", "segments"):
        assert emu.export(resource) == [], resource
    assert emu.api("GET", "/contacts").json() == {"contacts": []}
    assert emu.api("GET", "/contact_lists").json() == {"lists": []}
    assert emu.export("account")["organization_name"]


def test_seed_shape(emulator: EmulatorProcess) -> None:
    emulator.reset()
    lists = [lst for lst in emulator.export("contact_lists") if "deleted_at" not in lst]
    assert 5 <= len(lists) <= 8
    assert 3 <= len(emulator.export("contact_tags")) <= 6
    segments = emulator.export("segments")
    assert len([s for s in segments if "deleted_at" not in s]) >= 3
    contacts = emulator.export("contacts")
    assert any("sms_channel" in c for c in contacts)
    select_values = [v for c in contacts for v in c["custom_fields"] if "choice_ids" in v]
    assert select_values
