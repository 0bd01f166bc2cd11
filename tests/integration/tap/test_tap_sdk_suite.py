"""The SDK's standard tap tests, against a live emulator.

`get_tap_test_class` builds its tests when the module is imported (it discovers the streams,
and the contacts schema needs the account's custom fields), so the emulator starts here and
stops when the module's tests are done.
"""

from __future__ import annotations

import atexit
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tap_harness import ALL_SCOPES

from constantcontact_emulator.testing import EmulatorProcess
from tap_constantcontact.tap import TapConstantContact

_WORKDIR = tempfile.TemporaryDirectory(prefix="tap-sdk-suite-")
_EMULATOR = EmulatorProcess(
    contacts=300, campaigns=8, rps=0, daily_limit=0, token_rps=0, workdir=_WORKDIR.name
).start()
atexit.register(_WORKDIR.cleanup)
atexit.register(_EMULATOR.stop)

CONFIG = {
    **_EMULATOR.config,
    "refresh_token": _EMULATOR.mint_refresh_token(ALL_SCOPES),
    "token_store_path": str(Path(_WORKDIR.name) / "tokens.json"),
    "requests_per_second": 50,
    # The seeded campaigns were sent over the past year or two.
    "tracking_lookback_days": 3650,
    # The seed has no custom-code emails, so no activity carries html_content.
    "campaign_activities_include": [
        "physical_address_in_footer",
        "permalink_url",
        "document_properties",
    ],
    "poll_resources": [
        {
            "name": "polled_lists",
            "path": "/contact_lists",
            "records_key": "lists",
            "id_field": "list_id",
            "updated_date_field": "updated_at",
            "created_date_field": "created_at",
            "deleted_date_field": "deleted_at",
            "params": {"status": "all", "include_membership_count": "all"},
        }
    ],
}

_TestTapConstantContact = get_tap_test_class(
    tap_class=TapConstantContact,
    config=CONFIG,
    # A full sync: a capped one would stop the unsorted contacts stream before it can
    # finalize its bookmark, which the final-state test rightly rejects.
    suite_config=SuiteConfig(max_records_limit=None),
)


class TestTapConstantContact(_TestTapConstantContact):  # type: ignore[misc, valid-type]
    """The SDK's suite: discovery, schemas, records, keys and final state."""

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _stop_emulator(cls) -> Iterator[None]:
        yield
        _EMULATOR.stop()
