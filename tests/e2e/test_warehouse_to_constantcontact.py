"""Reverse ETL: `meltano run tap-postgres target-constantcontact` from a warehouse table into an
empty Constant Contact account (emulator B, real limits), then again after the table changed.

The table holds flat rows as a warehouse model would. What tap-postgres 0.10 emits for each
column type, and what the target makes of it:

| column | Postgres type | tap-postgres emits | target-constantcontact |
|---|---|---|---|
| `email_address` | text, primary key | string | the match key |
| `first_name`, `last_name`, `company_name` | text | string or null | the fields; null clears |
| `anniversary` | date | `"YYYY-MM-DD"` (format date) | the anniversary |
| `list_names` | text[] | array of strings | lists by name, created when missing |
| `tag_names` | text | `"a,b"` | the comma-separated form of the same |
| `cf_favorite_color` | text | string | custom field `favorite_color` |
| `cf_loyalty_points` | integer | integer | custom field `loyalty_points`, `"120"` |
| `_sdc_action` | text | string or null | `delete` deletes; null means upsert |
| `synced_at` | timestamptz | ISO-8601 with `+00:00` | not a contact field: ignored, name logged |

tap-postgres reads the table whole (FULL_TABLE), so every run sends every row, and the ledger
(`results_path`) gets one line per row per run.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from psycopg import sql

from constantcontact_emulator.compare import account_view
from constantcontact_emulator.testing import EmulatorProcess

from .database import Database
from .meltano_project import MeltanoProject, settings_env

pytestmark = pytest.mark.e2e

PIPELINE = ("tap-postgres", "target-constantcontact")
STREAM = "crm-customers"  # tap-postgres names streams <schema>-<table>
LISTS = ("Customers", "Newsletter", "VIP")
TAGS = ("Churn Risk", "Upsell")
COLUMNS = (
    "email_address",
    "first_name",
    "last_name",
    "company_name",
    "anniversary",
    "list_names",
    "tag_names",
    "cf_favorite_color",
    "cf_loyalty_points",
    "_sdc_action",
)


def customer(number: int) -> dict[str, Any]:
    return {
        "email_address": f"customer{number:03d}@example.com",
        "first_name": f"First{number}",
        "last_name": f"Last{number}" if number % 7 else None,
        "company_name": f"Company {number % 5}",
        "anniversary": f"20{number % 20:02d}-0{number % 9 + 1}-1{number % 10}",
        # every third customer is on no list: the import carries them on a list they leave
        "list_names": [] if number % 3 == 0 else sorted({LISTS[number % 3], LISTS[number % 2]}),
        "tag_names": ",".join(TAGS[: number % 3]) or None,
        "cf_favorite_color": ("red", "green", "blue", None)[number % 4],
        "cf_loyalty_points": number * 10 if number % 2 else None,
        "_sdc_action": None,
    }


def create_table(database: Database, rows: list[dict[str, Any]]) -> None:
    database.execute("CREATE SCHEMA crm")
    database.execute(
        "CREATE TABLE crm.customers ("
        " email_address text PRIMARY KEY, first_name text, last_name text, company_name text,"
        " anniversary date, list_names text[], tag_names text, cf_favorite_color text,"
        " cf_loyalty_points integer, _sdc_action text, synced_at timestamptz DEFAULT now())"
    )
    for row in rows:
        upsert_row(database, row)


def upsert_row(database: Database, row: dict[str, Any]) -> None:
    columns = [sql.Identifier(column) for column in COLUMNS]
    statement = sql.SQL(
        "INSERT INTO crm.customers ({columns}) VALUES ({values}) ON CONFLICT (email_address) "
        "DO UPDATE SET ({columns}, synced_at) = ({excluded}, now())"
    ).format(
        columns=sql.SQL(", ").join(columns),
        values=sql.SQL(", ").join(sql.Placeholder() * len(COLUMNS)),
        excluded=sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(c) for c in columns),
    )
    database.execute(statement, *(row[column] for column in COLUMNS))


def expected_view(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What B should hold for the table: `compare.account_view`'s shape, deleted rows absent."""
    view = {}
    for row in rows:
        if row["_sdc_action"] == "delete":
            continue
        custom_fields = {
            "favorite_color": row["cf_favorite_color"],
            "loyalty_points": None
            if row["cf_loyalty_points"] is None
            else str(row["cf_loyalty_points"]),
        }
        view[row["email_address"]] = {
            "first_name": row["first_name"],
            "last_name": row["last_name"],
            "job_title": None,
            "company_name": row["company_name"],
            "birthday_month": None,
            "birthday_day": None,
            "anniversary": row["anniversary"],
            "unsubscribed": False,
            "phones": [],
            "addresses": [],
            "custom_fields": {name: value for name, value in custom_fields.items() if value},
            "lists": sorted(row["list_names"]),
            "tags": sorted(filter(None, (row["tag_names"] or "").split(","))),
        }
    return view


def assert_account_matches(target: EmulatorProcess, rows: list[dict[str, Any]]) -> None:
    expected, actual = expected_view(rows), account_view(target.export)
    assert actual.keys() == expected.keys()
    different = {
        email: {
            name: (value, actual[email][name])
            for name, value in fields.items()
            if actual[email][name] != value
        }
        for email, fields in expected.items()
        if actual[email] != fields
    }
    assert not different, f"{len(different)} contacts differ (expected, actual): {different}"


def ledger_runs(path: Path) -> list[list[dict[str, Any]]]:
    """The ledger's lines grouped by run, in run order."""
    runs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for line in path.read_text().splitlines():
        entry = json.loads(line)
        runs[entry["run_id"]].append(entry)
    return list(runs.values())


def test_warehouse_rows_create_update_and_delete_contacts(
    emulator_factory, meltano_project: MeltanoProject, database: Database, tmp_path
) -> None:
    target: EmulatorProcess = emulator_factory(contacts=0, campaigns=0, rps=4, daily_limit=10000)
    rows = [customer(number) for number in range(1, 41)]
    create_table(database, rows)
    results = tmp_path / "results.jsonl"
    env = {
        **settings_env(
            "TAP_POSTGRES", {"sqlalchemy_url": database.tap_url, "filter_schemas": ["crm"]}
        ),
        "TAP_POSTGRES__SELECT": json.dumps([f"{STREAM}.*"]),
        **settings_env(
            "TARGET_CONSTANTCONTACT",
            {
                **target.config,
                "token_store_path": str(tmp_path / "target-token.json"),
                "results_path": str(results),
                "contact_streams": [STREAM],
                "create_missing_definitions": True,
                # activity_poll_interval stays at its default: Meltano 4.4.1 crashes on a
                # `kind: decimal` setting given by environment variable (Decimal is not JSON
                # serializable).
            },
        ),
    }
    suffix = uuid.uuid4().hex[:8]

    # 1. the table into the empty account
    meltano_project.run(*PIPELINE, env=env, state_id_suffix=suffix)
    assert_account_matches(target, rows)
    (first,) = ledger_runs(results)
    assert sorted(line["key"] for line in first) == sorted(row["email_address"] for row in rows)
    assert Counter(line["outcome"] for line in first) == {"created": len(rows)}

    # 2. the model changes: edits, deletes, new customers; untouched rows stay unchanged
    edited = rows[0:6]
    for row in edited:
        row["company_name"] = "Acme Renamed"
        row["cf_favorite_color"] = "purple"
        row["list_names"] = ["VIP"]
    # values cleared in the warehouse are cleared in the account
    edited[0]["cf_loyalty_points"] = None
    edited[1]["last_name"] = None
    deleted = rows[10:15]
    for row in deleted:
        row["_sdc_action"] = "delete"
    added = [customer(number) for number in range(41, 44)]
    rows += added
    for row in [*edited, *deleted, *added]:
        upsert_row(database, row)
    meltano_project.run(*PIPELINE, env=env, state_id_suffix=suffix)
    assert_account_matches(target, rows)
    second = ledger_runs(results)[1]
    assert sorted(line["key"] for line in second) == sorted(row["email_address"] for row in rows)
    outcomes = {line["key"]: line["outcome"] for line in second}
    expected_outcomes = dict.fromkeys((row["email_address"] for row in rows), "unchanged")
    expected_outcomes |= dict.fromkeys((row["email_address"] for row in edited), "updated")
    expected_outcomes |= dict.fromkeys((row["email_address"] for row in deleted), "deleted")
    expected_outcomes |= dict.fromkeys((row["email_address"] for row in added), "created")
    assert outcomes == expected_outcomes

    stats = target.stats()
    assert stats["throttled"] == 0
    assert stats["by_status"].get("429", 0) == 0
    print(f"API calls for two reverse-ETL runs: {stats['quota_used']} ({stats['requests']})")
