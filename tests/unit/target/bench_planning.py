"""Measure planning throughput: N tap-shaped contact records through the real target (SDK
reader, sinks, mapping, resolution, planning) in a dry run against an in-memory account.

    .venv/bin/python -m tests.unit.target.bench_planning 40000

Not a test (no timed assertion); prints records/s.
"""

from __future__ import annotations

import io
import json
import sys
import time
from typing import Any

from target_constantcontact.target import TargetConstantContact

LISTS = [{"list_id": f"list-{i}", "name": f"List {i}"} for i in range(8)]
TAGS = [{"tag_id": f"tag-{i}", "name": f"Tag {i}"} for i in range(5)]
FIELDS = [
    {"custom_field_id": f"cf-{i}", "name": f"field_{i}", "label": f"field {i}", "type": "string"}
    for i in range(6)
]


class _Response:
    def __init__(self, body: Any) -> None:
        self._body = body
        self.status_code = 200
        self.content = b"{}"

    def json(self) -> Any:
        return self._body


class InMemoryClient:
    """Answers the reads of a dry run: definitions, and an empty contact list."""

    def pages(self, path: str, params: Any = None):
        if path.startswith("/contact_lists"):
            yield {"lists": LISTS}
        elif path.startswith("/contact_tags"):
            yield {"tags": TAGS}
        elif path.startswith("/contact_custom_fields"):
            yield {"custom_fields": FIELDS}
        else:
            yield {"contacts": []}

    def request(self, method: str, path: str, params: Any = None, json: Any = None):
        if method != "GET":
            raise AssertionError(f"write in a dry run: {method} {path}")
        return _Response({"contacts": [], "contacts_count": 0})

    def close(self) -> None:
        pass


def record(i: int) -> dict[str, Any]:
    return {
        "contact_id": f"00000000-0000-0000-0000-{i:012d}",
        "email_address": {
            "address": f"person{i}@example.com",
            "permission_to_send": "implicit",
            "created_at": "2024-10-30T18:56:35Z",
            "updated_at": "2024-10-30T18:56:35Z",
            "opt_in_source": "Account",
            "opt_in_date": "2024-10-30T18:56:35Z",
            "confirm_status": "off",
        },
        "first_name": "Debora",
        "last_name": "Lang",
        "job_title": "Musician",
        "company_name": "Acme Corp.",
        "birthday_month": 11,
        "birthday_day": 24,
        "anniversary": "2006-11-15",
        "create_source": "Account",
        "created_at": "2024-10-30T18:56:35Z",
        "updated_at": "2024-10-30T18:56:35Z",
        "custom_fields": [{"custom_field_id": f"cf-{i % 6}", "value": "Skiing"}],
        "cf_field_0": "Skiing" if i % 6 == 0 else None,
        "list_memberships": [f"list-{i % 8}", f"list-{(i + 3) % 8}"],
        "taggings": [f"tag-{i % 5}"],
        "phone_numbers": [{"phone_number_id": "p", "phone_number": "+1 555 0100", "kind": "home"}],
        "street_addresses": [
            {
                "street_address_id": "s",
                "kind": "home",
                "street": "123 Kashmir Valley Road",
                "city": "Chicago",
                "state": "Illinois",
                "postal_code": "60609",
                "country": "United States",
            }
        ],
        "notes": [{"note_id": "n", "created_at": "2024-10-30T18:56:35Z", "content": "A note."}],
        "_sdc_deleted_at": None,
    }


def main(count: int) -> None:
    lines = [
        json.dumps(
            {"type": "SCHEMA", "stream": s, "schema": {"properties": {}}, "key_properties": k}
        )
        for s, k in (
            ("contact_lists", ["list_id"]),
            ("contact_tags", ["tag_id"]),
            ("custom_fields", ["custom_field_id"]),
            ("contacts", ["contact_id"]),
        )
    ]
    lines += [json.dumps({"type": "RECORD", "stream": "contact_lists", "record": r}) for r in LISTS]
    lines += [json.dumps({"type": "RECORD", "stream": "contact_tags", "record": r}) for r in TAGS]
    lines += [
        json.dumps({"type": "RECORD", "stream": "custom_fields", "record": r}) for r in FIELDS
    ]
    lines += [
        json.dumps({"type": "RECORD", "stream": "contacts", "record": record(i)})
        for i in range(count)
    ]
    config = {
        "client_id": "bench",
        "access_token": "bench",
        "dry_run": True,
        "results_path": None,
        "batch_size_rows": int(sys.argv[2]) if len(sys.argv) > 2 else count,
    }
    target = TargetConstantContact(config=config)
    target.run.__dict__["client"] = InMemoryClient()
    data = io.StringIO("\n".join(lines) + "\n")
    started = time.perf_counter()
    target.listen(data)
    elapsed = time.perf_counter() - started
    print(f"{count} contacts planned in {elapsed:.2f} s: {count / elapsed:,.0f} records/s")
    print(target.run.summary())


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 40_000)
