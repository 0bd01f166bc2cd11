"""Change event classification: deletes first, the created/updated tolerance, stable ids."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tap_constantcontact.events import (
    Change,
    build_event,
    classify,
    event_id,
    latest,
    stable_uuid,
)

T0 = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
TOLERANCE = dt.timedelta(seconds=5)


def test_a_delete_wins_over_everything_and_is_dated_at_the_delete() -> None:
    change = Change("c1", created_at=T0, changed_at=T0, deleted_at=T0 + dt.timedelta(days=1))
    assert classify(change, TOLERANCE) == ("DELETED", T0 + dt.timedelta(days=1))


@pytest.mark.parametrize(
    ("gap", "expected"),
    [
        (dt.timedelta(0), "CREATED"),
        (TOLERANCE - dt.timedelta(milliseconds=1), "CREATED"),
        (TOLERANCE, "CREATED"),  # just inside: the boundary belongs to CREATED
        (TOLERANCE + dt.timedelta(milliseconds=1), "UPDATED"),  # just outside
        (dt.timedelta(days=3), "UPDATED"),
    ],
)
def test_the_tolerance_boundary(gap: dt.timedelta, expected: str) -> None:
    event_type, moment = classify(Change("c1", T0, T0 + gap), TOLERANCE) or ("", T0)
    assert event_type == expected
    assert moment == (T0 if expected == "CREATED" else T0 + gap)


def test_without_a_creation_date_every_change_is_an_update() -> None:
    assert classify(Change("c1", None, T0), TOLERANCE) == ("UPDATED", T0)
    assert classify(Change("c1", T0, None), TOLERANCE) == ("CREATED", T0)
    assert classify(Change("c1", None, None), TOLERANCE) is None


def test_an_opt_out_after_creation_is_an_update_at_the_opt_out() -> None:
    opt_out = T0 + dt.timedelta(hours=2)
    change = Change("c1", created_at=T0, changed_at=latest(T0, opt_out))
    assert classify(change, TOLERANCE) == ("UPDATED", opt_out)
    assert latest(None, None) is None


def test_stable_uuid_is_uuid5_and_accepts_any_text() -> None:
    namespace = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert stable_uuid(namespace, "contacts\x1fc1") == str(uuid.uuid5(namespace, "contacts\x1fc1"))
    assert uuid.UUID(stable_uuid(namespace, "lone \ud800 surrogate")).version == 5


def test_event_ids_are_stable_and_distinct() -> None:
    first = event_id("contacts", "c1", "UPDATED", "2024-05-01T12:00:00.000Z")
    assert first == event_id("contacts", "c1", "UPDATED", "2024-05-01T12:00:00.000Z")
    assert uuid.UUID(first).version == 5
    others = {
        event_id("campaigns", "c1", "UPDATED", "2024-05-01T12:00:00.000Z"),
        event_id("contacts", "c2", "UPDATED", "2024-05-01T12:00:00.000Z"),
        event_id("contacts", "c1", "DELETED", "2024-05-01T12:00:00.000Z"),
        event_id("contacts", "c1", "UPDATED", "2024-05-01T12:00:00.001Z"),
    }
    assert first not in others
    assert len(others) == 4


_IDS = st.text(alphabet=st.characters(blacklist_characters="\x1f"), min_size=1)


@given(_IDS, _IDS)
def test_ids_do_not_collide_by_moving_text_between_fields(left: str, right: str) -> None:
    assert event_id(left, right, "UPDATED", "d") != event_id(left + right, "", "UPDATED", "d")


def test_build_event_carries_the_record_and_the_run() -> None:
    record = {"contact_id": "c1", "updated_at": "2024-05-01T12:00:00.000Z"}
    event = build_event(
        "contacts",
        Change("c1", T0, T0),
        record,
        tolerance=TOLERANCE,
        detected_at="2024-05-02T00:00:00.000Z",
    )
    assert event is not None
    assert event["record"] is record
    assert event["event_type"] == "CREATED"
    assert event["event_date"] == "2024-05-01T12:00:00.000Z"
    assert event["detected_at"] == "2024-05-02T00:00:00.000Z"
    assert event["event_id"] == event_id("contacts", "c1", "CREATED", event["event_date"])
    assert (
        build_event(
            "contacts", Change("c1", None, None), record, tolerance=TOLERANCE, detected_at="x"
        )
        is None
    )
