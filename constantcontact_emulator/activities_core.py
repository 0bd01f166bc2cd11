"""Activities the core itself starts (list and tag DELETE answer 202 with an activity body).

The bulk-activities extension owns /v3/activities; it may set `state.activity_recorder` (in its
`on_state` hook) to store these in its own model. Without it they are stored as API-shaped dicts
in `state.bulk_activities`.
"""

from __future__ import annotations

from typing import Any

from constantcontact_emulator.state import EmulatorState
from constantcontact_emulator.timefmt import iso_millis


def record_completed_activity(
    state: EmulatorState, kind: str, *, items: int, now: float, errors: list[Any] | None = None
) -> dict[str, Any]:
    """An activity that is already complete (the core applies these changes at once)."""
    if state.activity_recorder is not None:
        return state.activity_recorder(state, kind, {"items": items, "now": now})
    activity_id = state.new_id()
    body = {
        "activity_id": activity_id,
        "state": "completed",
        "created_at": iso_millis(now),
        "updated_at": iso_millis(now),
        "started_at": iso_millis(now),
        "completed_at": iso_millis(now),
        "percent_done": 100,
        "activity_errors": errors or [],
        "status": {"items_total_count": items, "items_completed_count": items},
        "_links": {"self": {"href": f"/v3/activities/{activity_id}"}},
    }
    state.bulk_activities[activity_id] = {"type": kind, **body}
    return body
