"""`meltano run tap-constantcontact target-postgres` into a real PostgreSQL, twice.

Emulator A runs with the real limits (4 requests/s, 10,000/day). After the first run every
table equals A's stored state record by record; after UI-like changes on A the second run
brings the tables level again, writes only the changed contacts (plus the lookback overlap),
and `change_events` classifies each change.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from psycopg import sql

from constantcontact_emulator.testing import EmulatorProcess

from .database import Database
from .meltano_project import MeltanoProject, settings_env
from .warehouse import SCHEMA, assert_warehouse_matches, day, moment

pytestmark = pytest.mark.e2e

PIPELINE = ("tap-constantcontact", "target-postgres")
CHANGES = {"create": 5, "update": 7, "delete": 3, "unsubscribe": 4}
LOOKBACK = dt.timedelta(minutes=10)
CREATED_TOLERANCE = dt.timedelta(seconds=5)  # the tap's created_check_tolerance_seconds


def last_batch(database: Database, table: str) -> dt.datetime:
    """When target-postgres last wrote to `table`."""
    query = sql.SQL("SELECT max(_sdc_batched_at) AS at FROM {}")
    return database.rows(query.format(sql.Identifier(SCHEMA, table)))[0]["at"]


def lookback_overlap(contacts: list[dict[str, Any]], lower: dt.datetime) -> set[str]:
    """Contacts the next window reads again: changed or opted out at or after `lower`."""
    overlap = set()
    for contact in contacts:
        times = (contact["updated_at"], contact["email_address"].get("opt_out_date"))
        if any(value and moment(value) >= lower for value in times):
            overlap.add(contact["contact_id"])
    return overlap


def expected_event(contact: dict[str, Any]) -> tuple[str, dt.datetime | dt.date]:
    """The event a changed contact should produce: DELETED (dated by its deletion day),
    CREATED when created and last changed within the tolerance, else UPDATED."""
    if contact.get("deleted_at"):
        return "DELETED", day(contact["deleted_at"])
    created = moment(contact["created_at"])
    changed = max(
        moment(value)
        for value in (contact["updated_at"], contact["email_address"].get("opt_out_date"))
        if value
    )
    if changed - created <= CREATED_TOLERANCE:
        return "CREATED", created
    return "UPDATED", changed


def test_tap_to_postgres_twice_with_changes_between(
    emulator_factory, meltano_project: MeltanoProject, database: Database, tmp_path
) -> None:
    source: EmulatorProcess = emulator_factory(
        contacts=1200, campaigns=3, seed=1, rps=4, daily_limit=10000
    )
    env = {
        **settings_env(
            "TAP_CONSTANTCONTACT",
            {
                **source.config,
                "token_store_path": str(tmp_path / "tap-token.json"),
                "lookback_minutes": LOOKBACK.seconds // 60,
            },
        ),
        **settings_env("TARGET_POSTGRES", {"sqlalchemy_url": database.url}),
    }
    suffix = uuid.uuid4().hex[:8]

    # 1. the initial sync
    meltano_project.run(*PIPELINE, env=env, state_id_suffix=suffix)
    assert_warehouse_matches(source.export, database)
    state = meltano_project.state(f"dev:{PIPELINE[0]}-to-{PIPELINE[1]}:{suffix}")
    bookmark = moment(state["singer_state"]["bookmarks"]["contacts"]["replication_key_value"])
    contacts_before = source.export("contacts")
    assert bookmark == max(moment(contact["updated_at"]) for contact in contacts_before)
    first_contacts_batch = last_batch(database, "contacts")
    first_events_batch = last_batch(database, "change_events")
    events_before = database.rows(
        "SELECT count(*) AS n FROM constantcontact.change_events WHERE object_type = 'contacts'"
    )[0]["n"]
    assert events_before == len(contacts_before)  # one event per contact on the first run

    # 2. a person changes the account, and the pipeline runs again
    changes = source.actions(**CHANGES)
    assert {kind: len(ids) for kind, ids in changes.items()} == {
        "created": 5,
        "updated": 7,
        "deleted": 3,
        "unsubscribed": 4,
    }
    changed = {contact_id for ids in changes.values() for contact_id in ids}
    meltano_project.run(*PIPELINE, env=env, state_id_suffix=suffix)
    assert_warehouse_matches(source.export, database)

    contacts = {row["contact_id"]: row for row in source.export("contacts")}
    rows = {row["contact_id"]: row for row in database.table(SCHEMA, "contacts")}
    for contact_id in changes["deleted"]:
        assert rows[contact_id]["_sdc_deleted_at"] is not None, contact_id
    for contact_id in set(changes["unsubscribed"]) - set(changes["deleted"]):
        assert rows[contact_id]["email_address"]["permission_to_send"] == "unsubscribed"

    # the second run wrote the changed contacts, and otherwise only the lookback overlap
    written = {
        contact_id
        for contact_id, row in rows.items()
        if row["_sdc_batched_at"] > first_contacts_batch
    }
    overlap = lookback_overlap(contacts_before, bookmark - LOOKBACK)
    assert changed <= written, f"changed contacts not written: {changed - written}"
    assert written - changed <= overlap, (
        f"written beyond the overlap: {written - changed - overlap}"
    )
    print(
        f"second run: {len(changed)} changed contacts, {len(written)} rows written, "
        f"lookback overlap {len(overlap)}"
    )

    # change_events: one new event per changed contact, classified; the overlap adds none
    new_events = database.rows(
        "SELECT object_id, event_type, event_date, record->>'contact_id' AS record_id "
        "FROM constantcontact.change_events WHERE object_type = 'contacts' "
        "AND _sdc_batched_at > %s",
        first_events_batch,
    )
    events_after = database.rows(
        "SELECT count(*) AS n FROM constantcontact.change_events WHERE object_type = 'contacts'"
    )[0]["n"]
    assert events_after == events_before + len(changed)
    by_contact: dict[str, list[dict[str, Any]]] = {}
    for event in new_events:
        assert event["record_id"] == event["object_id"]
        by_contact.setdefault(event["object_id"], []).append(event)
    assert set(by_contact) <= changed | overlap
    for contact_id in changed:
        kind, when = expected_event(contacts[contact_id])
        events = [event for event in by_contact.get(contact_id, []) if event["event_type"] == kind]
        assert len(events) == 1, (contact_id, kind, by_contact.get(contact_id))
        event_date = moment(events[0]["event_date"])
        if kind == "DELETED":
            assert event_date.date() == when
        else:
            assert event_date == when
    kinds = sorted(expected_event(contacts[contact_id])[0] for contact_id in changed)
    print(f"change events of the second run: {kinds}")

    # the pipeline stayed within the API's limits: no 429 at all
    stats = source.stats()
    assert stats["throttled"] == 0
    assert stats["by_status"].get("429", 0) == 0
    print(f"API calls for two runs: {stats['quota_used']} ({stats['requests']})")
