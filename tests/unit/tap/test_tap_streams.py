"""Stream-level behaviour that needs no API: normalization, errors, request parameters."""

from __future__ import annotations

import pytest

from tap_constantcontact.deletes import DeleteBehaviour
from tap_constantcontact.responses import InvalidResponseError
from tap_constantcontact.tap import TapConstantContact


@pytest.fixture
def tap(tmp_path) -> TapConstantContact:
    config = {
        "client_id": "app",
        "client_secret": "secret",
        "refresh_token": "refresh",
        "api_url": "http://127.0.0.1:9/v3",
        "token_store_path": str(tmp_path / "store.json"),
        "custom_field_columns": False,
    }
    return TapConstantContact(config=config, setup_mapper=False)


def test_lists_are_normalized_and_flag_deletes(tap: TapConstantContact) -> None:
    stream = tap.streams["contact_lists"]
    record = stream.normalize_record(
        {
            "list_id": "l1",
            "name": "A",
            "created_at": "2016-03-03T10:56:29-05:00",
            "deleted_at": "2024-01-01T00:00:00.5Z",
        }
    )
    assert record["created_at"] == "2016-03-03T15:56:29.000Z"
    assert record["deleted_at"] == record["_sdc_deleted_at"] == "2024-01-01T00:00:00.500Z"
    live = stream.normalize_record({"list_id": "l2", "name": "B"})
    assert live["_sdc_deleted_at"] is None


def test_a_bad_timestamp_names_the_stream_record_and_field(tap: TapConstantContact) -> None:
    stream = tap.streams["segments"]
    with pytest.raises(InvalidResponseError, match=r"segments segment_id=7: edited_at 'soon'"):
        stream.normalize_record({"segment_id": 7, "name": "x", "edited_at": "soon"})


def test_contacts_requests_carry_the_window_filters_and_includes(tap: TapConstantContact) -> None:
    stream = tap.streams["contacts"]
    window = stream.window(None)
    passes = stream.passes(window, DeleteBehaviour())
    assert [p.name for p in passes] == ["updated"], "a full sync needs one pass"
    stream._pass = passes[0]
    params = stream.get_url_params(None, None)
    assert params["status"] == "all"
    assert params["limit"] == 500
    assert params["include_count"] == "true"
    assert (
        params["include"]
        == "custom_fields,list_memberships,phone_numbers,street_addresses,taggings,notes"
    )
    assert "updated_after" not in params
    assert params["updated_before"] == stream.get_replication_key_signpost()
