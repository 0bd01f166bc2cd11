"""Contact semantics in contacts.py, used by the routes, the admin actions and bulk activities."""

from __future__ import annotations

import pytest

from constantcontact_emulator import contact_query, contacts, definitions
from constantcontact_emulator.config import EmulatorConfig
from constantcontact_emulator.contacts import ContactChanges
from constantcontact_emulator.errors import ApiError
from constantcontact_emulator.seed import SeedOptions, build_state
from constantcontact_emulator.state import Contact, EmulatorState

ANCHOR = 1_767_225_600.0
NOW = ANCHOR + 3600


@pytest.fixture
def state() -> EmulatorState:
    return build_state(
        EmulatorConfig(contacts=80), SeedOptions(contacts=80, campaigns=0, seed=5, anchor=ANCHOR)
    )


def _live(state: EmulatorState) -> Contact:
    return next(
        c
        for c in state.contacts.values()
        if not c.is_deleted and c.permission in contacts.SUBSCRIBED
    )


def _lists(state: EmulatorState) -> list[str]:
    return [lid for lid, lst in state.lists.items() if lst.deleted_at is None]


def _consistent(state: EmulatorState) -> None:
    for contact in state.contacts.values():
        for list_id in contact.list_memberships:
            assert contact.contact_id in state.lists[list_id].members
        for tag_id in contact.taggings:
            assert contact.contact_id in state.tags[tag_id].members
    for lst in state.lists.values():
        for contact_id in lst.members:
            assert lst.list_id in state.contacts[contact_id].list_memberships
    assert {
        c.email_address.address.lower(): c.contact_id
        for c in state.contacts.values()
        if c.email_address
    } == (state.contacts_by_email)


def test_seeded_state_is_consistent(state: EmulatorState) -> None:
    _consistent(state)
    assert [c.seq for c in state.contacts.values()] == list(range(80))


def test_upsert_creates_then_updates_partially_without_blanking(state: EmulatorState) -> None:
    lists = _lists(state)
    contact, created, blocked = contacts.upsert_contact_by_email(
        state,
        "New.Person@example.com",
        ContactChanges(scalars={"first_name": "New", "job_title": "Analyst"}, list_ids=lists[:1]),
        source="Account",
        now=NOW,
        new_permission="implicit",
        new_opt_in_source="Account",
    )
    assert (created, blocked) == (True, False)
    assert contact.email_address is not None
    assert contact.email_address.permission_to_send == "implicit"
    assert contact.email_address.opt_in_source == "Account"
    again, created, blocked = contacts.upsert_contact_by_email(
        state,
        "new.person@EXAMPLE.com",
        ContactChanges(scalars={"last_name": "Person"}, list_ids=lists[1:2]),
        source="Account",
        now=NOW + 5,
        new_permission="implicit",
        new_opt_in_source="Account",
    )
    assert again is contact
    assert (created, blocked) == (False, False)
    assert (contact.first_name, contact.last_name, contact.job_title) == (
        "New",
        "Person",
        "Analyst",
    )
    assert contact.list_memberships == lists[:2]
    assert contact.updated_at == NOW + 5
    assert contact.email_address.address == "New.Person@example.com"
    _consistent(state)


def test_upsert_never_resubscribes_and_reports_cannot_add(state: EmulatorState) -> None:
    contact = _live(state)
    contacts.unsubscribe(state, contact, now=NOW)
    assert contact.email_address is not None
    _, created, blocked = contacts.upsert_contact_by_email(
        state,
        contact.email_address.address,
        ContactChanges(list_ids=_lists(state)[:1]),
        source="Account",
        now=NOW,
        new_permission="implicit",
        new_opt_in_source="Account",
    )
    assert (created, blocked) == (False, True)
    assert contact.list_memberships == []
    assert contact.permission == "unsubscribed"


def test_upsert_revives_a_deleted_contact(state: EmulatorState) -> None:
    contact = _live(state)
    contacts.soft_delete(state, contact, now=NOW)
    assert contact.email_address is not None
    contacts.upsert_contact_by_email(
        state,
        contact.email_address.address,
        ContactChanges(list_ids=_lists(state)[:1]),
        source="Account",
        now=NOW + 1,
        new_permission="implicit",
        new_opt_in_source="Account",
    )
    assert not contact.is_deleted
    assert contact.list_memberships == _lists(state)[:1]


def test_unsubscribe_leaves_updated_at(state: EmulatorState) -> None:
    contact = _live(state)
    updated = contact.updated_at
    assert contacts.unsubscribe(state, contact, now=NOW, reason="Too many emails.")
    assert contact.updated_at == updated
    assert contact.email_address is not None
    assert (contact.email_address.updated_at, contact.email_address.opt_out_date) == (NOW, NOW)
    assert contact.email_address.opt_out_reason == "Too many emails."
    assert contact.list_memberships == []
    assert contacts.add_to_lists(state, contact, _lists(state)[:1], now=NOW) is False
    assert contacts.unsubscribe(state, contact, now=NOW + 1) is False
    _consistent(state)


def test_soft_delete_and_touch_options(state: EmulatorState) -> None:
    contact = _live(state)
    before = contact.updated_at
    assert contacts.soft_delete(state, contact, now=NOW)
    assert contact.updated_at == NOW
    assert contacts.soft_delete(state, contact, now=NOW + 1) is False
    state.config.delete_touches_updated_at = False
    other = next(c for c in state.contacts.values() if not c.is_deleted and c is not contact)
    kept = other.updated_at
    contacts.soft_delete(state, other, now=NOW)
    assert other.updated_at == kept
    assert before != NOW
    _consistent(state)


def test_membership_touch_is_configurable(state: EmulatorState) -> None:
    contact = _live(state)
    target = next(lid for lid in _lists(state) if lid not in contact.list_memberships)
    state.config.membership_touches_updated_at = False
    kept = contact.updated_at
    contacts.add_to_lists(state, contact, [target], now=NOW)
    assert contact.updated_at == kept
    state.config.membership_touches_updated_at = True
    contacts.remove_from_lists(state, contact, [target], now=NOW)
    assert contact.updated_at == NOW
    _consistent(state)


def test_replace_contact_semantics(state: EmulatorState) -> None:
    contact = _live(state)
    assert contact.email_address is not None
    phones = list(contact.phone_numbers)
    changes = ContactChanges(scalars={"first_name": "Only"}, email=contact.email_address.address)
    contacts.replace_contact(state, contact, changes, update_source="Contact", now=NOW)
    assert contact.first_name == "Only"
    assert contact.last_name is None
    assert contact.job_title is None
    assert contact.phone_numbers == phones
    with pytest.raises(ApiError) as caught:
        contacts.replace_contact(state, contact, ContactChanges(), update_source="Account", now=NOW)
    assert "email_address" in caught.value.message


def test_email_change_conflicts_and_reindexes(state: EmulatorState) -> None:
    first, second = [c for c in state.contacts.values() if not c.is_deleted][:2]
    assert second.email_address is not None
    with pytest.raises(ApiError) as caught:
        contacts.replace_contact(
            state,
            first,
            ContactChanges(email=second.email_address.address.upper()),
            update_source="Account",
            now=NOW,
        )
    assert caught.value.status == 409
    contacts.replace_contact(
        state, first, ContactChanges(email="fresh@example.com"), update_source="Account", now=NOW
    )
    assert contacts.find_by_email(state, "FRESH@example.com") is first
    _consistent(state)


def test_query_cache_follows_changes(state: EmulatorState) -> None:
    everyone = contact_query.ContactFilter()
    before, _ = contact_query.matching(state, everyone)
    contacts.soft_delete(state, before[0], now=NOW)
    after, keys = contact_query.matching(state, everyone)
    assert before[0] not in after
    assert len(after) == len(before) - 1
    assert keys == sorted(keys)


def test_custom_field_values_by_type(state: EmulatorState) -> None:
    fields = {f.name: f for f in state.custom_fields.values()}
    value = definitions.custom_field_value(
        state, fields["Interests"].custom_field_id, "skiing, Music", None, "cf"
    )
    assert value.value == "Skiing,Music"
    assert len(value.choice_ids or []) == 2
    renewal = definitions.custom_field_value(
        state, fields["Renewal_Date"].custom_field_id, "3/7/2027", None, "cf"
    )
    assert renewal.value == "2027-03-07"
    for name, bad in (
        ("Loyalty_Points", "1.5"),
        ("Loyalty_Points", "-3"),
        ("Lifetime_Value", "abc"),
        ("Renewal_Date", "someday"),
        ("Membership_Level", "Diamond"),
    ):
        with pytest.raises(ApiError) as caught:
            definitions.custom_field_value(state, fields[name].custom_field_id, bad, None, "row 3")
        assert "row 3" in caught.value.message
        assert name in caught.value.message
