"""Deleted contacts when a delete does not move `updated_at`.

The API does not document whether deleting a contact moves its `updated_at`. When it does,
the `updated` pass (`status=all&updated_after=`) brings every delete. When it does not, only a
`status=deleted` read finds new deletes, and it cannot be filtered by date: `deleted_at` is a
date, compared client-side. That read costs one call per 500 deleted contacts, so with
`contacts_deleted_scan: auto` (the default) the tap runs it only once the data has shown that
deletes leave `updated_at` alone: a deleted contact whose `updated_at` falls on an earlier day
than its `deleted_at`. The finding is kept in the stream's state.

A contact deleted earlier on the window's first day is emitted again by the scan: deletes
are idempotent downstream, and losing one is worse.
"""

from __future__ import annotations

import typing as t

from constantcontact_client.timestamps import normalize_date, normalize_datetime

STATE_KEY = "deletes_move_updated_at"
SCAN_MODES = ("auto", "always", "never")


class DeleteBehaviour:
    """What the data says about deletes and `updated_at`: True, False, or None (unknown)."""

    def __init__(self, known: bool | None = None) -> None:
        self.moves_updated_at = known

    def observe(self, contact: t.Mapping[str, t.Any]) -> None:
        """Learn from one deleted contact (live contacts say nothing)."""
        deleted_at, updated_at = contact.get("deleted_at"), contact.get("updated_at")
        if not deleted_at or not updated_at or self.moves_updated_at is False:
            return
        try:
            deleted_day = normalize_date(deleted_at)
            updated = normalize_datetime(updated_at)
        except (TypeError, ValueError):
            return  # the record builder reports it
        if updated is not None and deleted_day is not None and updated[:10] < deleted_day:
            self.moves_updated_at = False
        elif self.moves_updated_at is None:
            self.moves_updated_at = True

    def needs_scan(self, mode: str) -> bool:
        """Whether this run reads `status=deleted` to find deletes the window misses."""
        if mode == "always":
            return True
        return mode == "auto" and self.moves_updated_at is False


def deleted_since(day: str) -> t.Callable[[t.Mapping[str, t.Any]], bool]:
    """Keep contacts deleted on or after `day` (`YYYY-MM-DD`, UTC)."""

    def keep(contact: t.Mapping[str, t.Any]) -> bool:
        deleted_at = contact.get("deleted_at")
        if not deleted_at:
            return False
        try:
            return (normalize_date(deleted_at) or "") >= day
        except (TypeError, ValueError):
            return True  # the record builder reports it

    return keep
