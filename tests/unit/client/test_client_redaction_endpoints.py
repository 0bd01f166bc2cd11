"""Email/secret masking and endpoint templates."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from constantcontact_client.endpoints import endpoint_name, path_template, required_scope
from constantcontact_client.redaction import fingerprint, redact, secret_hash

local_parts = st.text(string.ascii_letters + string.digits + "._+-", min_size=1, max_size=30)
domains = st.from_regex(r"[a-z0-9]{1,12}(\.[a-z0-9]{1,10}){1,3}", fullmatch=True)


@given(local_parts, domains, st.text(string.ascii_letters + " :,;()[]", max_size=40))
def test_every_email_is_masked(local: str, domain: str, around: str) -> None:
    address = f"{local}@{domain}"
    text = f"{around} {address} {around}"
    masked = redact(text)
    assert address not in masked
    assert f"{local[:1]}***@{domain}" in masked
    assert redact(masked) == masked  # idempotent


@given(local_parts, domains)
def test_url_encoded_emails_are_masked(local: str, domain: str) -> None:
    text = f"GET /v3/contacts?email={local}%40{domain}&status=all"
    masked = redact(text)
    assert f"{local}%40{domain}" not in masked
    assert "status=all" in masked


def test_an_email_keeps_its_first_letter_and_domain() -> None:
    assert redact("jane.doe@example.com") == "j***@example.com"
    assert redact("not an email") == "not an email"


def test_token_like_values_are_masked_but_prose_is_not() -> None:
    assert redact("refresh_token: missing; run constantcontact-login") == (
        "refresh_token: missing; run constantcontact-login"
    )
    assert "eyJ0eXAiOiJKV1Q1234" not in redact("Authorization: Bearer eyJ0eXAiOiJKV1Q1234.x.y")
    assert "rt-0001-rotated-9abc" not in redact('{"refresh_token": "rt-0001-rotated-9abc"}')
    assert "S3cr3tS3cr3tS3cr3t" not in redact("client_secret=S3cr3tS3cr3tS3cr3t&x=1")


def test_fingerprints_do_not_reveal_the_secret() -> None:
    secret = "rt-0001-rotated-9"
    assert fingerprint(secret).startswith("sha256:")
    assert secret not in fingerprint(secret)
    assert len(secret_hash(secret)) == 64
    assert fingerprint(None) == "<none>"


API = "https://api.cc.email/v3"
LOCAL = "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{API}/contacts?limit=500&email=a%40b.com", "GET /v3/contacts"),
        (f"{API}/contacts/5f0b8a8e-96f0-11ef-b2a0-fa163eafb85e", "GET /v3/contacts/{id}"),
        (f"{API}/segments/42", "GET /v3/segments/{id}"),
        (
            f"{API}/reports/email_reports/aa-11/tracking/opens",
            "GET /v3/reports/email_reports/{id}/tracking/opens",
        ),
        (
            f"{API}/reports/stats/email_campaigns/a1,b2,c3",
            "GET /v3/reports/stats/email_campaigns/{id}",
        ),
        (f"{LOCAL}/v3/activities/contacts_json_import", "GET /v3/activities/contacts_json_import"),
        (f"{LOCAL}/oauth2/default/v1/token", "GET /oauth2/default/v1/token"),
    ],
)
def test_endpoint_templates(url: str, expected: str) -> None:
    assert endpoint_name("get", url) == expected


@given(st.uuids(), st.integers(min_value=0, max_value=10**9))
def test_ids_never_survive_in_templates(uuid: object, number: int) -> None:
    template = path_template(f"/v3/contacts/{uuid}/x/{number}")
    assert template == "/v3/contacts/{id}/x/{id}"


def test_required_scopes() -> None:
    assert required_scope("GET", "/v3/contacts") == "contact_data"
    assert required_scope("GET", "/v3/contact_lists") == "contact_data"
    assert required_scope("GET", "/v3/contact_custom_fields") == "contact_data"
    assert required_scope("GET", "/v3/segments") == "contact_data"
    assert required_scope("GET", "/v3/emails/activities/x1") == "campaign_data"
    assert required_scope("GET", "/v3/account/user/privileges") is None
    assert required_scope("GET", "https://proxy.example/cc/v3/emails") == "campaign_data"
