"""De-duplication of records within one run.

One run reads a contact several times when it is in more than one pass (updated and
opted out in the window) or when a pass is re-read after its result set moved. Each id is
emitted once per run.
"""

from __future__ import annotations

from collections.abc import Hashable


class SeenIds:
    """The ids already emitted in this run."""

    __slots__ = ("_ids",)

    def __init__(self) -> None:
        self._ids: set[Hashable] = set()

    def first_time(self, record_id: Hashable) -> bool:
        """Record `record_id`; True if it was not seen before in this run."""
        if record_id in self._ids:
            return False
        self._ids.add(record_id)
        return True

    def __contains__(self, record_id: Hashable) -> bool:
        return record_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)
