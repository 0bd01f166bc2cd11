"""Planning: routes, outcomes and the cheapest grouping of bulk requests."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from target_constantcontact.model import (
    Action,
    ContactIntent,
    ExistingContact,
    Outcome,
    normalize_anniversary,
)
from target_constantcontact.payloads import put_body
from target_constantcontact.planner import (
    IMPORT_MAX_BYTES,
    Planner,
    PlannerSettings,
    Route,
    cheapest_requests,
)

_seq = itertools.count(1)


def intent(email: str, action: Action = Action.UPSERT, **kwargs) -> ContactIntent:
    item = ContactIntent(seq=next(_seq), stream="contacts", action=action, key=email, email=email)
    for name, value in kwargs.items():
        setattr(item, name, value)
    return item


def existing(email: str, **kwargs) -> ExistingContact:
    resource = {
        "contact_id": f"id-{email}",
        "email_address": {"address": email, "permission_to_send": "implicit"},
        "first_name": "Old",
        "list_memberships": [],
        "taggings": [],
    }
    resource.update(kwargs)
    return ExistingContact.from_api(resource)


def plan(intents, account=(), **settings):
    by_email = {contact.email.lower(): contact for contact in account}
    planner = Planner(
        PlannerSettings(**{"bulk_threshold": 1, **settings}),
        custom_field_name=lambda custom_field_id: f"name_{custom_field_id}",
    )
    return planner.plan(intents, by_email.get, lambda: "staging")


def test_new_contacts_are_imported_grouped_by_list_set() -> None:
    intents = [
        intent("a@x.io", list_ids=frozenset({"L1"}), fields={"first_name": "A"}),
        intent("b@x.io", list_ids=frozenset({"L1"})),
        intent("c@x.io", list_ids=frozenset({"L2"})),
        intent("d@x.io", list_ids=None),
    ]
    result = plan(intents)
    assert [work.route for work in result.works] == [Route.IMPORT] * 4
    assert {work.expected for work in result.works} == {Outcome.CREATED}
    groups = {
        request.list_ids: [w.intent.email for w in request.works] for request in result.imports
    }
    # d has no list: it rides along with the smallest import, taken off L2 afterwards
    assert groups == {
        frozenset({"L1"}): ["a@x.io", "b@x.io"],
        frozenset({"L2"}): ["c@x.io", "d@x.io"],
    }
    assert result.works[3].carrier == {"L2"}
    assert result.staging_list_id is None
    assert result.imports[0].works[0].row == {"email": "a@x.io", "first_name": "A"}


def test_staging_list_carries_contacts_when_no_import_has_a_list() -> None:
    current = existing("b@x.io", list_memberships=["L1"])
    result = plan([intent("a@x.io"), intent("b@x.io", fields={"first_name": "B"})], [current])
    assert [request.list_ids for request in result.imports] == [frozenset({"staging"})]
    assert [work.intent.email for work in result.imports[0].works] == ["a@x.io", "b@x.io"]
    assert result.staging_list_id == "staging"


def test_contacts_never_ride_on_lists_they_have() -> None:
    current = existing("b@x.io", list_memberships=["L1"])
    result = plan(
        [
            intent("a@x.io", list_ids=frozenset({"L1"})),
            intent("b@x.io", fields={"first_name": "B"}),
        ],
        [current],
    )
    assert {request.list_ids for request in result.imports} == {
        frozenset({"L1"}),
        frozenset({"staging"}),
    }


def test_default_list_carries_new_contacts_without_lists() -> None:
    result = plan([intent("d@x.io")], default_list_id="DEF")
    assert [request.list_ids for request in result.imports] == [frozenset({"DEF"})]
    assert result.staging_list_id is None


def test_per_list_imports_win_when_sets_are_many() -> None:
    lists = ["L1", "L2", "L3"]
    combos = [frozenset(c) for n in (1, 2, 3) for c in itertools.combinations(lists, n)]
    intents = [intent(f"{i}@x.io", list_ids=combo) for i, combo in enumerate(combos)]
    result = plan(intents)
    assert len(result.imports) == 3  # one per list, not one per set (7)
    assert {request.list_ids for request in result.imports} == {frozenset({x}) for x in lists}


def test_unchanged_contact_costs_nothing() -> None:
    current = existing("a@x.io", list_memberships=["L1"])
    result = plan(
        [intent("A@x.io", fields={"first_name": "Old"}, list_ids=frozenset({"L1"}))], [current]
    )
    work = result.works[0]
    assert work.outcome is Outcome.UNCHANGED
    assert result.write_requests == 0


def test_changed_value_goes_through_the_import_with_only_what_changed() -> None:
    current = existing("a@x.io", last_name="Same")
    result = plan([intent("a@x.io", fields={"first_name": "New", "last_name": "Same"})], [current])
    work = result.works[0]
    assert (work.route, work.expected) == (Route.IMPORT, Outcome.UPDATED)
    assert work.row == {"email": "a@x.io", "first_name": "New"}


def test_clearing_a_value_needs_a_put() -> None:
    current = existing("a@x.io", job_title="Boss")
    work = plan([intent("a@x.io", fields={"job_title": None})], [current]).works[0]
    assert work.route is Route.PUT
    assert work.desired.fields["job_title"] is None
    assert work.desired.fields["first_name"] == "Old"  # not sent: kept in the merged PUT


def test_list_and_tag_changes_of_existing_contacts_are_activities() -> None:
    current = existing("a@x.io", list_memberships=["L1", "L2"], taggings=["T1"])
    result = plan(
        [intent("a@x.io", list_ids=frozenset({"L2", "L3"}), tag_ids=frozenset({"T2"}))], [current]
    )
    work = result.works[0]
    assert work.route is Route.IMPORT
    assert work.lists_add == {"L3"}
    assert work.lists_remove == {"L1"}
    assert work.tags_add == {"T2"}
    assert work.tags_remove == {"T1"}
    assert [request.list_ids for request in result.imports] == [frozenset({"L3"})]
    kinds = {(m.kind, m.target_ids) for m in result.memberships}
    assert kinds == {
        ("tag_add", frozenset({"T2"})),
        ("tag_remove", frozenset({"T1"})),
        ("list_remove", frozenset({"L1"})),
    }


def test_add_mode_never_removes() -> None:
    current = existing("a@x.io", list_memberships=["L1"])
    work = plan(
        [intent("a@x.io", list_ids=frozenset({"L2"}))], [current], add_only_memberships=True
    ).works[0]
    assert work.lists_add == {"L2"}
    assert not work.lists_remove


def test_unsubscribed_contact_is_never_put_back_on_lists() -> None:
    current = existing(
        "a@x.io", email_address={"address": "a@x.io", "permission_to_send": "unsubscribed"}
    )
    work = plan([intent("a@x.io", list_ids=frozenset({"L1"}))], [current]).works[0]
    assert work.outcome is Outcome.UNCHANGED
    assert "not added to lists" in work.error


def test_unsubscribe_is_a_put() -> None:
    work = plan([intent("a@x.io", unsubscribe=True)], [existing("a@x.io")]).works[0]
    assert work.route is Route.PUT
    assert work.unsubscribe


def test_new_unsubscribed_contact_is_posted() -> None:
    work = plan([intent("a@x.io", unsubscribe=True)]).works[0]
    assert work.route is Route.POST
    assert work.expected is Outcome.CREATED


def test_actions() -> None:
    deleted = existing("gone@x.io", deleted_at="2024-01-01")
    account = [existing("here@x.io"), deleted]
    works = plan(
        [
            intent("here@x.io", Action.CREATE),
            intent("nobody@x.io", Action.UPDATE),
            intent("gone@x.io", Action.UPDATE),
            intent("gone@x.io", Action.CREATE, fields={"first_name": "Back"}),
            intent("nobody2@x.io", Action.DELETE),
            intent("here@x.io", Action.DELETE),
        ],
        account,
    ).works
    assert (works[0].outcome, works[0].error_key) == (Outcome.FAILED, "already_exists")
    assert (works[1].outcome, works[1].error_key) == (Outcome.FAILED, "not_found")
    assert (works[2].outcome, works[2].error_key) == (Outcome.FAILED, "not_found")
    assert (works[3].route, works[3].revive, works[3].expected) == (
        Route.PUT,
        True,
        Outcome.CREATED,
    )
    assert works[4].outcome is Outcome.SKIPPED
    assert (works[5].route, works[5].expected) == (Route.DELETE, Outcome.DELETED)


def test_deleting_a_deleted_contact_is_unchanged() -> None:
    work = plan(
        [intent("g@x.io", Action.DELETE)], [existing("g@x.io", deleted_at="2024-01-01")]
    ).works[0]
    assert work.outcome is Outcome.UNCHANGED


def test_small_batches_use_single_calls() -> None:
    result = plan(
        [intent("a@x.io"), intent("b@x.io")],
        [existing("b@x.io", first_name=None)],
        bulk_threshold=5,
    )
    assert [work.route for work in result.works] == [
        Route.POST,
        Route.NONE,
    ]
    assert result.imports == []
    assert len(result.singles) == 1


def test_deletes_go_in_chunks_of_500() -> None:
    account = [existing(f"{i}@x.io") for i in range(1200)]
    result = plan([intent(f"{i}@x.io", Action.DELETE) for i in range(1200)], account)
    assert [len(chunk) for chunk in result.deletes] == [500, 500, 200]


def test_imports_stay_under_four_megabytes() -> None:
    big = "x" * 40
    intents = [
        intent(
            f"{i}@x.io",
            list_ids=frozenset({"L"}),
            fields=dict.fromkeys(("first_name", "last_name", "job_title", "company_name"), big),
        )
        for i in range(30_000)
    ]
    result = plan(intents)
    assert len(result.imports) >= 2
    for request in result.imports:
        size = sum(work.row_bytes for work in request.works)
        assert size <= IMPORT_MAX_BYTES
    assert sum(len(request.works) for request in result.imports) == 30_000


def test_anniversary_formats_compare_equal() -> None:
    assert (
        normalize_anniversary("11/15/2006") == normalize_anniversary("2006-11-15") == "2006-11-15"
    )
    assert normalize_anniversary("2006/1/5") == "2006-01-05"


def test_an_anniversary_stored_in_another_form_is_unchanged() -> None:
    # the mapping sends YYYY-MM-DD; the account's value is normalized when it is read
    current = existing("a@x.io", anniversary="11/15/2006")
    assert current.fields["anniversary"] == "2006-11-15"
    work = plan([intent("a@x.io", fields={"anniversary": "2006-11-15"})], [current]).works[0]
    assert work.outcome is Outcome.UNCHANGED
    assert normalize_anniversary("13/01/2006") is None
    assert normalize_anniversary("2006-1-32") is None


def phones(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"kind": kind, "phone_number": number} for kind, number in pairs]


def test_a_put_keeps_every_phone_the_record_does_not_touch() -> None:
    current = existing(
        "a@x.io",
        job_title="Boss",
        phone_numbers=phones(("mobile", "555-0001"), ("mobile", "555-0002"), ("home", "555-0003")),
    )
    work = plan([intent("a@x.io", fields={"job_title": None})], [current]).works[0]
    assert work.route is Route.PUT
    body = put_body(
        current, work.desired, email=None, unsubscribe=False, opt_out_reason=None, write_notes=False
    )
    assert body["phone_numbers"] == phones(
        ("mobile", "555-0001"), ("mobile", "555-0002"), ("home", "555-0003")
    )


def test_a_phone_by_kind_replaces_the_first_of_its_kind() -> None:
    current = existing(
        "a@x.io", phone_numbers=phones(("mobile", "555-0001"), ("mobile", "555-0002"))
    )
    work = plan([intent("a@x.io", phones={"mobile": "555-0009"})], [current]).works[0]
    # the import sets one phone per kind: with two mobiles, a PUT carries both
    assert work.route is Route.PUT
    assert work.desired.phones == [("mobile", "555-0009"), ("mobile", "555-0002")]
    cleared = plan([intent("a@x.io", phones={"mobile": None})], [current]).works[0]
    assert (cleared.route, cleared.desired.phones) == (Route.PUT, [])
    same = plan([intent("a@x.io", phones={"mobile": "555-0001"})], [current]).works[0]
    assert same.outcome is Outcome.UNCHANGED


def test_new_contact_with_two_phones_of_a_kind_is_posted() -> None:
    two = intent(
        "two@x.io",
        phones={"mobile": "555-0001"},
        phones_replace=True,
        extra_phones=(("mobile", "555-0002"),),
    )
    one = intent("one@x.io", phones={"mobile": "555-0001", "home": "555-0003"})
    routes = {
        work.intent.email: (work.route, work.desired.phones) for work in plan([two, one]).works
    }
    assert routes == {
        "two@x.io": (Route.POST, [("mobile", "555-0001"), ("mobile", "555-0002")]),
        "one@x.io": (Route.IMPORT, [("mobile", "555-0001"), ("home", "555-0003")]),
    }


@given(
    st.dictionaries(
        st.integers(0, 300),
        st.frozensets(st.sampled_from([f"L{i}" for i in range(8)]), min_size=1, max_size=4),
        max_size=120,
    ),
    st.integers(1, 40),
)
def test_cheapest_requests_give_every_member_exactly_its_targets(assignments, max_members) -> None:
    requests = cheapest_requests(assignments, max_targets=50, max_members=max_members)
    received: dict[int, set[str]] = {member: set() for member in assignments}
    for targets, members in requests:
        assert len(members) <= max_members
        for member in members:
            assert targets <= assignments[member]
            received[member] |= targets
    assert received == {member: set(targets) for member, targets in assignments.items()}
    by_set = set(assignments.values())
    assert len(requests) <= sum(
        -(-sum(1 for t in assignments.values() if t == s) // max_members) for s in by_set
    )


def test_what_the_import_cannot_do_goes_through_single_calls() -> None:
    long_email = "a" * 46 + "@x.io"  # 51: over the import's 50 characters
    result = plan(
        [
            intent(long_email, fields={"first_name": "Long"}),
            intent("notes@x.io", notes=["Met at the fair"]),
            intent("plain@x.io", notes=["Ignored without write_notes"]),
        ],
        [existing(long_email.upper())],
    )
    routes = {work.intent.email: work.route for work in result.works}
    assert routes == {long_email: Route.PUT, "notes@x.io": Route.IMPORT, "plain@x.io": Route.IMPORT}
    with_notes = plan([intent("notes@x.io", notes=["Met at the fair"])], write_notes=True)
    assert with_notes.works[0].route is Route.POST
