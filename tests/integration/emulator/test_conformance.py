"""Every operation of the core emulator, with its requests, validated against openapi3.yaml.

Spec deviations (the spec is wrong, the emulator follows the real API) are patched in
tests/support/openapi.py (SPEC_PATCHES) and listed in docs/spec-deviations.md:
- csv query parameters with an enum (`include`, `status`, `sms_status`, `extra_fields`) take
  comma-separated lists, which the spec's single-value enum rejects;
- `list_memberships`/`taggings` items are readOnly in the POST/PUT contact request schemas;
- `GET /contacts?tags=` is a csv of ids, typed as one uuid.
Error statuses the docs give for every endpoint (401, 403, 415, 429, 500, 503, ...) are not
declared on many operations; their bodies have no schema in the spec.
"""

from __future__ import annotations

import json

import pytest
from support.openapi import assert_conforms, validate_exchange

from constantcontact_emulator.testing import EmulatorProcess

ALL = "custom_fields,list_memberships,phone_numbers,street_addresses,taggings,notes"


@pytest.fixture(scope="module")
def exchanges(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    with EmulatorProcess(
        contacts=120,
        campaigns=0,
        rps=0,
        daily_limit=0,
        token_rps=0,
        record_exchanges=True,
        workdir=tmp_path_factory.mktemp("conformance"),
    ) as emu:
        _exercise(emu)
        return emu.exchanges()


def _exercise(emu: EmulatorProcess) -> None:
    lists = [lst["list_id"] for lst in emu.export("contact_lists") if "deleted_at" not in lst]
    tags = [t["tag_id"] for t in emu.export("contact_tags")]
    fields = {f["name"]: f for f in emu.export("custom_fields")}
    contacts = emu.export("contacts")
    deleted = next(c for c in contacts if "deleted_at" in c)
    api = emu.api

    # contacts collection: filters, includes, paging
    first = api("GET", f"/contacts?limit=50&include={ALL}&include_count=true").json()
    api("GET", first["_links"]["next"]["href"])
    api(
        "GET",
        f"/contacts?status=all&updated_after=2020-01-01T00:00:00Z&updated_before=2100-01-01T00:00:00.000Z&include={ALL}",
    )
    api(
        "GET",
        "/contacts?status=deleted,unsubscribed&created_after=2020-01-01T00:00:00Z&created_before=2100-01-01T00:00:00%2B00:00",
    )
    api("GET", "/contacts?optout_after=2020-01-01T00:00:00Z&optout_before=2100-01-01T00:00:00Z")
    api("GET", f"/contacts?lists={lists[0]},{lists[1]}&tags={tags[0]},{tags[1]}&sms_status=all")
    api("GET", f"/contacts?email={contacts[0]['email_address']['address']}")
    api("GET", f"/contacts?segment_id={emu.export('segments')[0]['segment_id']}&limit=10")
    emu.faults(segment_processing_next=1)
    api("GET", f"/contacts?segment_id={emu.export('segments')[0]['segment_id']}")
    api("GET", "/contacts/counts")
    api("GET", "/contacts/counts?include=new_subscriber")

    # contacts: create, read, update, delete, revive, sign_up_form
    level = fields["Membership_Level"]
    created = api(
        "POST",
        "/contacts",
        json={
            "email_address": {
                "address": "conformance@example.com",
                "permission_to_send": "implicit",
            },
            "first_name": "Con",
            "last_name": "Formance",
            "job_title": "Tester",
            "company_name": "Spec Inc.",
            "create_source": "Account",
            "birthday_month": 5,
            "birthday_day": 17,
            "anniversary": "2019-05-17",
            "custom_fields": [
                {
                    "custom_field_id": level["custom_field_id"],
                    "choice_ids": [str(level["choices"][0]["choice_id"])],
                },
                {"custom_field_id": fields["Referral_Code"]["custom_field_id"], "value": "ABC-123"},
            ],
            "phone_numbers": [{"phone_number": "+1-555-555-0199", "kind": "work"}],
            "street_addresses": [
                {
                    "kind": "work",
                    "street": "1 Spec Way",
                    "city": "Waltham",
                    "state": "MA",
                    "postal_code": "02451",
                    "country": "United States",
                }
            ],
            "list_memberships": lists[:2],
            "taggings": tags[:1],
            "notes": [{"content": "Created by a test."}],
        },
    ).json()
    contact_id = created["contact_id"]
    api("GET", f"/contacts/{contact_id}?include={ALL}")
    api("GET", f"/contacts/{contact_id}")
    api(
        "PUT",
        f"/contacts/{contact_id}",
        json={
            "email_address": {
                "address": "conformance@example.com",
                "permission_to_send": "explicit",
            },
            "first_name": "Con",
            "update_source": "Contact",
            "list_memberships": lists[1:3],
            "taggings": tags[:2],
        },
    )
    api(
        "POST",
        "/contacts",
        json={"email_address": {"address": "conformance@example.com"}, "create_source": "Account"},
    )
    api("DELETE", f"/contacts/{contact_id}")
    api("GET", f"/contacts/{contact_id}?include=list_memberships")
    api(
        "PUT",
        f"/contacts/{contact_id}",
        json={
            "email_address": {"address": "conformance@example.com"},
            "update_source": "Account",
            "list_memberships": lists[:1],
        },
    )
    api(
        "POST",
        "/contacts/sign_up_form",
        json={
            "email_address": "signup@example.com",
            "first_name": "Sign",
            "last_name": "Up",
            "job_title": "Reader",
            "company_name": "Forms LLC",
            "phone_number": "555-0142",
            "list_memberships": lists[:1],
            "custom_fields": [
                {"custom_field_id": fields["Referral_Code"]["custom_field_id"], "value": "FORM-1"}
            ],
            "anniversary": "2020-01-02",
            "birthday_month": 1,
            "birthday_day": 2,
            "street_address": {
                "kind": "home",
                "street": "2 Form St",
                "city": "Austin",
                "state": "TX",
                "postal_code": "73301",
                "country": "United States",
            },
        },
    )
    api(
        "POST",
        "/contacts/sign_up_form",
        json={"email_address": deleted["email_address"]["address"], "list_memberships": lists[:1]},
    )
    api("GET", "/contacts/00000000-0000-1000-8000-000000000000")
    api("GET", "/contacts?limit=501")
    api("POST", "/contacts", data=b"{}", headers={"Content-Type": "text/plain"})

    # lists
    api("GET", "/contact_lists?include_count=true&include_membership_count=all&status=all&limit=3")
    api(
        "GET",
        "/contact_lists?name=General%20Interest&status=active&include_membership_count=active",
    )
    new_list = api(
        "POST",
        "/contact_lists",
        json={"name": "Conformance list", "favorite": True, "description": "d"},
    ).json()
    api("GET", f"/contact_lists/{new_list['list_id']}?include_membership_count=all")
    api(
        "PUT",
        f"/contact_lists/{new_list['list_id']}",
        json={"name": "Conformance list 2", "favorite": False},
    )
    api("POST", "/contact_lists", json={"name": "Conformance list 2"})
    api("DELETE", f"/contact_lists/{new_list['list_id']}")

    # tags
    api("GET", "/contact_tags?include_count=true&limit=2")
    tag = api(
        "POST", "/contact_tags", json={"name": "Conformance tag", "tag_source": "Contact"}
    ).json()
    api("GET", f"/contact_tags/{tag['tag_id']}?include_count=true")
    api("PUT", f"/contact_tags/{tag['tag_id']}", json={"name": "Conformance tag 2"})
    api("POST", "/contact_tags", json={"name": "Conformance tag 2"})
    api("DELETE", f"/contact_tags/{tag['tag_id']}")

    # custom fields
    api("GET", "/contact_custom_fields?limit=3")
    field = api(
        "POST",
        "/contact_custom_fields",
        json={
            "label": "Plan tier",
            "type": "multi_select",
            "metadata": {"display_type": "checkbox"},
            "choices": [
                {"choice_label": "Basic", "display_order": 1},
                {"choice_label": "Pro", "display_order": 2},
            ],
        },
    ).json()
    api(
        "POST",
        "/contact_custom_fields",
        json={
            "label": "Balance",
            "type": "currency",
            "metadata": {
                "currency_code": "USD",
                "decimal_places": 2,
                "integer": False,
                "allow_negative": True,
            },
        },
    )
    api("POST", "/contact_custom_fields", json={"label": "Since", "type": "date", "version": 2})
    api("GET", f"/contact_custom_fields/{field['custom_field_id']}")
    api(
        "PUT",
        f"/contact_custom_fields/{field['custom_field_id']}",
        json={
            "label": "Plan tiers",
            "choices": [{"choice_id": field["choices"][0]["choice_id"], "choice_label": "Starter"}],
        },
    )
    api("DELETE", f"/contact_custom_fields/{field['custom_field_id']}")

    # segments
    api("GET", "/segments")
    api("GET", "/segments?sort_by=name&limit=2")
    criteria = json.dumps(
        {
            "version": "1.0.0",
            "criteria": {
                "type": "and",
                "group": [
                    {
                        "source": "contact",
                        "field": "email_domain",
                        "op": "eq",
                        "const_value": "gmail.com",
                    }
                ],
            },
        }
    )
    segment = api(
        "POST", "/segments", json={"name": "Gmail users", "segment_criteria": criteria}
    ).json()
    api("GET", f"/segments/{segment['segment_id']}")
    api(
        "PUT",
        f"/segments/{segment['segment_id']}",
        json={"name": "Gmail", "segment_criteria": criteria},
    )
    api("PATCH", f"/segments/{segment['segment_id']}/name", json={"name": "Gmail accounts"})
    api("DELETE", f"/segments/{segment['segment_id']}")

    # account
    api("GET", "/account/user/privileges")
    api("GET", "/account/summary")
    api("GET", "/account/summary?extra_fields=physical_address,company_logo")
    api(
        "PUT",
        "/account/summary",
        json={"organization_phone": "555-0100", "website": "https://example.com"},
    )
    api("GET", "/account/summary/physical_address")


def test_every_core_operation_is_exercised(exchanges: list[dict]) -> None:
    operations = {(e["method"], e["template"]) for e in exchanges if e["status"] < 400}
    expected = {
        ("GET", "/v3/contacts"),
        ("POST", "/v3/contacts"),
        ("GET", "/v3/contacts/counts"),
        ("POST", "/v3/contacts/sign_up_form"),
        ("GET", "/v3/contacts/{contact_id}"),
        ("PUT", "/v3/contacts/{contact_id}"),
        ("DELETE", "/v3/contacts/{contact_id}"),
        ("GET", "/v3/contact_lists"),
        ("POST", "/v3/contact_lists"),
        ("GET", "/v3/contact_lists/{list_id}"),
        ("PUT", "/v3/contact_lists/{list_id}"),
        ("DELETE", "/v3/contact_lists/{list_id}"),
        ("GET", "/v3/contact_tags"),
        ("POST", "/v3/contact_tags"),
        ("GET", "/v3/contact_tags/{tag_id}"),
        ("PUT", "/v3/contact_tags/{tag_id}"),
        ("DELETE", "/v3/contact_tags/{tag_id}"),
        ("GET", "/v3/contact_custom_fields"),
        ("POST", "/v3/contact_custom_fields"),
        ("GET", "/v3/contact_custom_fields/{custom_field_id}"),
        ("PUT", "/v3/contact_custom_fields/{custom_field_id}"),
        ("DELETE", "/v3/contact_custom_fields/{custom_field_id}"),
        ("GET", "/v3/segments"),
        ("POST", "/v3/segments"),
        ("GET", "/v3/segments/{segment_id}"),
        ("PUT", "/v3/segments/{segment_id}"),
        ("DELETE", "/v3/segments/{segment_id}"),
        ("PATCH", "/v3/segments/{segment_id}/name"),
        ("GET", "/v3/account/user/privileges"),
        ("GET", "/v3/account/summary"),
        ("PUT", "/v3/account/summary"),
        ("GET", "/v3/account/summary/physical_address"),
    }
    assert expected <= operations, sorted(expected - operations)
    assert {e["status"] for e in exchanges} >= {200, 201, 202, 204, 400, 404, 409, 415}


def test_every_request_and_response_conforms(exchanges: list[dict]) -> None:
    # error paths are exercised with invalid requests on purpose: check those responses only
    assert assert_conforms(exchanges, check_failed_requests=False) == len(exchanges)


def test_the_validator_catches_a_wrong_response() -> None:
    """A broken body must fail: the conformance check is not vacuous."""
    wrong = {
        "method": "GET",
        "path": "/v3/contacts",
        "query": "limit=1",
        "request_headers": {},
        "request_body": "",
        "status": 200,
        "response_headers": {"content-type": "application/json"},
        "response_body": json.dumps(
            {
                "contacts": [
                    {
                        "contact_id": "x",
                        "birthday_month": "May",
                        "email_address": {"permission_to_send": "implicit"},
                    }
                ]
            }
        ),
    }
    problems = validate_exchange(wrong)
    assert problems
    assert "response" in problems[0]
    undeclared = {**wrong, "status": 418, "response_body": "{}"}
    assert validate_exchange(undeclared)
    bad_request = {
        **wrong,
        "query": "limit=1&include=emails",
        "response_body": json.dumps({"contacts": []}),
    }
    assert any("request" in p for p in validate_exchange(bad_request))
