"""The SDK's standard target tests.

Their `.singer` inputs are generic streams (`test_array_data`, `TestCamelcase`, ...), none of
them contacts, so the target runs with `unknown_streams: ignore`: the tests prove that every
input is read without a crash and that protocol errors still raise. The API URL points at a
closed port, so any call would fail the test.

Left out, on purpose: `record_missing_key_property` expects the run to die on a record without
its key; this target fails that record alone (`missing_key` in the ledger) and goes on, as a
bad record must never kill the batch (see tests/integration/target/test_bad_input.py).
"""

from __future__ import annotations

from singer_sdk.testing import get_target_test_class
from singer_sdk.testing.suites import SingerTestSuite, target_tests
from singer_sdk.testing.target_tests import TargetRecordMissingKeyProperty

from target_constantcontact.target import TargetConstantContact

CONFIG = {
    "client_id": "standard-tests",
    "access_token": "not-used",
    "api_url": "http://127.0.0.1:9/v3",
    "token_url": "http://127.0.0.1:9/oauth2/default/v1/token",
    "unknown_streams": "ignore",
    "results_path": None,
}

TestTargetConstantContact = get_target_test_class(
    TargetConstantContact,
    config=CONFIG,
    include_target_tests=False,
    custom_suites=[
        SingerTestSuite(
            kind="target",
            tests=[
                test for test in target_tests.tests if test is not TargetRecordMissingKeyProperty
            ],
        )
    ],
)
