"""A record that leaves the frozen window mid-run must not make the tap skip another one.

The emulator's default cursor is an offset (`next=51`): when a record read on page 1 is
edited during the run, it leaves the window `[lower, run start)`, every later record moves
back by one, and page 2 starts one record too far. The tap must not lose that record.
"""

from __future__ import annotations

import typing as t
from functools import cached_property
from urllib.parse import parse_qs, urlsplit

from tap_harness import canonical, run_tap, tap_config

from constantcontact_client import ClientSettings, ConstantContactClient
from tap_constantcontact.tap import TapConstantContact

if t.TYPE_CHECKING:
    from pathlib import Path

    import requests

    from constantcontact_emulator.testing import EmulatorProcess

PAGE_SIZE = 50
POLLED_CONTACTS = {
    "name": "polled_contacts",
    "path": "/contacts",
    "records_key": "contacts",
    "id_field": "contact_id",
    "updated_date_field": "updated_at",
    "created_date_field": "created_at",
    "date_filter_param": "updated_after",
    "upper_filter_param": "updated_before",
    "page_size": PAGE_SIZE,
    "params": {"status": "all"},
}


def _tap_deleting_after_the_first_page(
    emulator: EmulatorProcess, deleted: list[str]
) -> type[TapConstantContact]:
    """A tap whose first windowed `polled_contacts` page makes a person delete the first
    contact of that page, before the tap asks for anything else."""

    def on_response(response: requests.Response) -> None:
        query = parse_qs(urlsplit(response.request.url or "").query)
        if (
            deleted
            or urlsplit(response.request.url or "").path != "/v3/contacts"
            or query.get("limit") != [str(PAGE_SIZE)]
            or "updated_before" not in query
        ):
            return
        first = response.json()["contacts"][0]["contact_id"]
        assert emulator.api("DELETE", f"/contacts/{first}").status_code == 204
        deleted.append(first)

    class Tap(TapConstantContact):
        @cached_property
        def client(self) -> ConstantContactClient:
            client = ConstantContactClient(
                ClientSettings.from_config(self.config), logger=self.logger
            )
            adapter = client.session.get_adapter(client.settings.api_url)
            send = adapter.send

            def send_and_act(request: requests.PreparedRequest, **kwargs: t.Any) -> t.Any:
                response = send(request, **kwargs)
                on_response(response)
                return response

            adapter.send = send_and_act  # type: ignore[method-assign]
            return client

    return Tap


def test_a_record_leaving_the_window_mid_run_does_not_hide_another_in_a_poll_resource(
    emulator_factory: t.Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = emulator_factory(contacts=300, campaigns=2, cursor_mode="offset")
    config = tap_config(emulator, tmp_path, poll_resources=[POLLED_CONTACTS])
    deleted: list[str] = []
    first = run_tap(config, tap_class=_tap_deleting_after_the_first_page(emulator, deleted))
    assert len(deleted) == 1, "the page-1 delete happened during the run"

    stored = {c["contact_id"]: c for c in emulator.export("contacts")}
    emitted = first.by_id("polled_contacts", "contact_id")
    unchanged = stored.keys() - set(deleted)
    missing = unchanged - emitted.keys()
    assert not missing, f"{len(missing)} unchanged contacts were never emitted: {sorted(missing)}"
    for contact_id in unchanged:
        record = emitted[contact_id]
        for field in ("updated_at", "created_at", "first_name", "last_name", "email_address"):
            assert canonical(record.get(field)) == canonical(stored[contact_id].get(field)), (
                contact_id,
                field,
            )
    first.assert_records_match_schemas()

    # The contact deleted during the run is read by the next run, as deleted.
    second = run_tap(config, state=first.final_state)
    again = second.by_id("polled_contacts", "contact_id")
    assert set(deleted) <= again.keys()
    assert again[deleted[0]]["deleted_at"] is not None
    assert canonical(again[deleted[0]]["updated_at"]) == canonical(stored[deleted[0]]["updated_at"])
    assert first.bookmark("polled_contacts") <= again[deleted[0]]["updated_at"]
