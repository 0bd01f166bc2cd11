"""Learning whether deletes move `updated_at`, and keeping recent deletes."""

from __future__ import annotations

from tap_constantcontact.deletes import DeleteBehaviour, deleted_since


def test_a_delete_on_a_later_day_than_updated_at_proves_updated_at_did_not_move() -> None:
    behaviour = DeleteBehaviour()
    behaviour.observe({"deleted_at": "2026-11-20", "updated_at": "2026-11-20T08:00:00Z"})
    assert behaviour.moves_updated_at is True
    assert not behaviour.needs_scan("auto")
    behaviour.observe({"deleted_at": "2026-11-21", "updated_at": "2026-10-01T08:00:00Z"})
    assert behaviour.moves_updated_at is False
    assert behaviour.needs_scan("auto")
    behaviour.observe({"deleted_at": "2026-11-22", "updated_at": "2026-11-22T08:00:00Z"})
    assert behaviour.moves_updated_at is False, "once disproved, it stays disproved"


def test_live_contacts_and_unknown_state_teach_nothing() -> None:
    behaviour = DeleteBehaviour(None)
    behaviour.observe({"updated_at": "2026-10-01T08:00:00Z"})
    assert behaviour.moves_updated_at is None
    assert not behaviour.needs_scan("auto")
    assert behaviour.needs_scan("always")
    assert not DeleteBehaviour(False).needs_scan("never")


def test_deleted_since_compares_days() -> None:
    keep = deleted_since("2026-11-22")
    assert keep({"deleted_at": "2026-11-22"})
    assert keep({"deleted_at": "2026-11-23"})
    assert not keep({"deleted_at": "2026-11-21"})
    assert not keep({"updated_at": "2026-11-23T00:00:00Z"})
