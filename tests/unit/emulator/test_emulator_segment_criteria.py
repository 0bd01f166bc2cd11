"""Segment criteria: validation messages and evaluation."""

from __future__ import annotations

import json

import pytest

from constantcontact_emulator import segment_criteria
from constantcontact_emulator.errors import ApiError
from constantcontact_emulator.state import Contact, EmailAddress, StreetAddress


def _contact(**kwargs) -> Contact:
    contact = Contact(
        contact_id="c",
        seq=0,
        email_address=EmailAddress("ann@gmail.com", "explicit", 0.0, 0.0),
        first_name="Ann",
        last_name="Lee",
        job_title=None,
        company_name=None,
        birthday_month=None,
        birthday_day=None,
        anniversary=None,
        create_source="Account",
        update_source="Account",
        created_at=1_700_000_000.0,
        updated_at=1_700_000_000.0,
    )
    for key, value in kwargs.items():
        setattr(contact, key, value)
    return contact


def _criteria(*group: dict, kind: str = "and") -> str:
    return json.dumps({"version": "1.0.0", "criteria": {"type": kind, "group": list(group)}})


def _matches(text: str, contact: Contact) -> bool:
    return segment_criteria.compile_predicate(segment_criteria.parse(text))(contact)


def test_lists_tags_and_fields() -> None:
    contact = _contact(
        list_memberships=["l1"],
        taggings=["t1"],
        street_addresses=[StreetAddress("a", "home", None, "Boston", "MA", None, None, 0, 0)],
    )
    assert _matches(
        _criteria({"source": "list_membership", "op": "contains-any", "const_value": ["l2", "l1"]}),
        contact,
    )
    assert not _matches(
        _criteria({"source": "tags", "op": "contains-none", "const_value": "t1"}), contact
    )
    assert _matches(
        _criteria({"source": "contact", "field": "city", "op": "eq", "const_value": "boston"}),
        contact,
    )
    assert _matches(
        _criteria(
            {"source": "contact", "field": "email_domain", "op": "eq", "const_value": "gmail.com"},
            {
                "source": "contact",
                "field": "created_at",
                "op": "after",
                "const_value": "2023-01-01",
            },
        ),
        contact,
    )
    assert _matches(
        _criteria(
            {"source": "contact", "field": "job_title", "op": "exists"},
            {"source": "contact", "field": "first_name", "op": "starts-with", "const_value": "an"},
            kind="or",
        ),
        contact,
    )
    assert not _matches(
        _criteria({"source": "tracking", "field": "not_opened", "const_value": "last-n-campaigns"}),
        contact,
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("{", "not valid JSON"),
        ('{"version": "1.0.0"}', "'criteria'"),
        (_criteria(), "non-empty"),
        (_criteria({"source": "planet"}), "source"),
        (_criteria({"source": "contact", "field": "shoe_size", "op": "eq"}), "shoe_size"),
        (_criteria({"source": "tags", "op": "resembles"}), "resembles"),
    ],
)
def test_invalid_criteria_are_named(text: str, fragment: str) -> None:
    with pytest.raises(ApiError) as caught:
        segment_criteria.parse(text)
    assert caught.value.status == 400
    assert fragment in caught.value.message
