"""Helpers for the bulk-activity tests (test_activities_*.py): submit, poll, read stored state."""

from __future__ import annotations

import time
from typing import Any

from constantcontact_emulator.testing import EmulatorProcess

TERMINAL = ("completed", "failed", "cancelled", "timed_out")
WAIT_LIMIT_SECONDS = 120.0


def fast(emu: EmulatorProcess) -> None:
    """Fresh seeded data; jobs end at the next request; the default queue limit."""
    emu.reset()
    emu.faults(activity_seconds=0, max_queued_activities=1000)


def submit(emu: EmulatorProcess, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    response = emu.api("POST", f"/activities/{operation}", json=body)
    assert response.status_code == 201, response.text
    activity = response.json()
    assert activity["state"] == "initialized"
    return activity


def wait_for(emu: EmulatorProcess, activity_id: str) -> dict[str, Any]:
    """Poll `GET /activities/{id}` until the activity ends (a generous safety limit, not a
    timing assertion)."""
    deadline = time.monotonic() + WAIT_LIMIT_SECONDS
    while True:
        response = emu.api("GET", f"/activities/{activity_id}")
        assert response.status_code == 200, response.text
        activity = response.json()
        if activity["state"] in TERMINAL:
            return activity
        assert time.monotonic() < deadline, f"activity still {activity['state']}: {activity}"
        time.sleep(0.05)


def run(emu: EmulatorProcess, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    """Submit and poll to the end; the ended activity."""
    return wait_for(emu, submit(emu, operation, body)["activity_id"])


def live_lists(emu: EmulatorProcess) -> list[str]:
    return [lst["list_id"] for lst in emu.export("contact_lists") if "deleted_at" not in lst]


def stored_contacts(emu: EmulatorProcess) -> dict[str, dict[str, Any]]:
    """Every stored contact (deleted included) by contact_id."""
    return {c["contact_id"]: c for c in emu.export("contacts")}


def by_email(emu: EmulatorProcess) -> dict[str, dict[str, Any]]:
    """Stored contacts that have an email, by lower-cased address."""
    return {
        c["email_address"]["address"].lower(): c
        for c in emu.export("contacts")
        if "email_address" in c
    }


def active(contact: dict[str, Any]) -> bool:
    return "deleted_at" not in contact and (
        contact.get("email_address", {}).get("permission_to_send") != "unsubscribed"
    )
