"""contact_delete, list memberships, taggings and the definition deletes against a live
emulator, compared with the stored state record by record."""

from __future__ import annotations

from typing import Any

import pytest
from activities_harness import active, by_email, fast, live_lists, run, stored_contacts

from constantcontact_emulator.testing import EmulatorProcess

UNKNOWN = "00000000-0000-1000-8000-000000000000"


@pytest.fixture(autouse=True)
def fresh(emulator: EmulatorProcess) -> None:
    fast(emulator)


def _actives(emu: EmulatorProcess, n: int) -> list[dict[str, Any]]:
    return [c for c in emu.export("contacts") if active(c)][:n]


def _members(emu: EmulatorProcess, list_id: str) -> set[str]:
    return {c["contact_id"] for c in emu.export("contacts") if list_id in c["list_memberships"]}


def _all_ids(emu: EmulatorProcess, path: str) -> set[str]:
    """Contact ids of every page of a GET /contacts query."""
    ids: set[str] = set()
    page = emu.api("GET", path).json()
    ids.update(c["contact_id"] for c in page["contacts"])
    while "next" in page.get("_links", {}):
        page = emu.api("GET", page["_links"]["next"]["href"]).json()
        ids.update(c["contact_id"] for c in page["contacts"])
    return ids


def _tag_ids(emu: EmulatorProcess) -> list[str]:
    return [t["tag_id"] for t in emu.export("contact_tags")]


def _unchanged_except(
    before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]], changed: set[str]
) -> None:
    assert set(after) == set(before)
    assert [cid for cid in before if cid not in changed and after[cid] != before[cid]] == []


def test_contact_delete_by_ids_is_a_soft_delete(emulator: EmulatorProcess) -> None:
    before = stored_contacts(emulator)
    victims = [c for c in before.values() if active(c) and c["list_memberships"]][:3]
    ids = [c["contact_id"] for c in victims]
    activity = run(emulator, "contact_delete", {"contact_ids": [*ids, UNKNOWN]})
    assert activity["state"] == "completed"
    assert activity["status"] == {"items_total_count": 4, "items_completed_count": 4}
    assert activity["activity_errors"] == [f"Contact {UNKNOWN} was not found"]
    after = stored_contacts(emulator)
    _unchanged_except(before, after, set(ids))
    for victim in victims:
        stored = after[victim["contact_id"]]
        assert "deleted_at" in stored
        assert stored["list_memberships"] == []
        assert (
            stored["email_address"]["permission_to_send"]
            == victim["email_address"]["permission_to_send"]
        )
    again = emulator.api(
        "POST",
        "/contacts",
        json={
            "email_address": {"address": victims[0]["email_address"]["address"]},
            "create_source": "Account",
        },
    )
    assert again.status_code == 409


def test_contact_delete_by_list_deletes_every_member(emulator: EmulatorProcess) -> None:
    before = stored_contacts(emulator)
    list_id = live_lists(emulator)[0]
    members = _members(emulator, list_id)
    assert members
    activity = run(emulator, "contact_delete", {"list_ids": [list_id]})
    assert activity["status"] == {
        "items_total_count": len(members),
        "items_completed_count": len(members),
        "list_count": 1,
    }
    after = stored_contacts(emulator)
    _unchanged_except(before, after, members)
    assert all("deleted_at" in after[cid] for cid in members)
    listed = emulator.api("GET", f"/contacts?lists={list_id}").json()["contacts"]
    assert listed == []


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({}, "either 'contact_ids'"),
        ({"contact_ids": ["CONTACT"], "list_ids": ["LIST"]}, "not both"),
        ({"contact_ids": ["x"] * 501}, "at most 500"),
        ({"list_ids": [UNKNOWN]}, "does not exist"),
        ({"contact_ids": ["not-an-id"]}, "not a valid id"),
    ],
)
def test_contact_delete_request_errors(
    emulator: EmulatorProcess, body: dict[str, Any], named: str
) -> None:
    contact_id = _actives(emulator, 1)[0]["contact_id"]
    list_id = live_lists(emulator)[0]
    body = {
        k: [contact_id if v == "CONTACT" else list_id if v == "LIST" else v for v in values]
        for k, values in body.items()
    }
    response = emulator.api("POST", "/activities/contact_delete", json=body)
    assert response.status_code == 400
    assert named in response.json()[0]["error_message"]


def test_add_list_memberships_from_contact_ids(emulator: EmulatorProcess) -> None:
    before = stored_contacts(emulator)
    target = live_lists(emulator)[-1]
    fresh_ones = [c for c in before.values() if active(c) and target not in c["list_memberships"]]
    chosen = fresh_ones[:3]
    deleted = next(
        c
        for c in before.values()
        if "deleted_at" in c and c["email_address"]["permission_to_send"] != "unsubscribed"
    )
    unsubscribed = next(
        c
        for c in before.values()
        if "deleted_at" not in c and c["email_address"]["permission_to_send"] == "unsubscribed"
    )
    ids = [c["contact_id"] for c in [*chosen, deleted, unsubscribed]]
    activity = run(
        emulator,
        "add_list_memberships",
        {"source": {"contact_ids": [*ids, UNKNOWN]}, "list_ids": [target]},
    )
    assert activity["status"] == {
        "items_total_count": 6,
        "items_completed_count": 6,
        "list_count": 1,
    }
    address = unsubscribed["email_address"]["address"]
    assert activity["activity_errors"] == [
        f"Contact {UNKNOWN} was not found",
        f"Contact {unsubscribed['contact_id']} ({address}): unsubscribed contacts cannot be "
        "added to lists",
    ]
    after = stored_contacts(emulator)
    _unchanged_except(before, after, {c["contact_id"] for c in [*chosen, deleted]})
    for contact in chosen:
        assert after[contact["contact_id"]]["list_memberships"] == [
            *contact["list_memberships"],
            target,
        ]
    revived = after[deleted["contact_id"]]
    assert "deleted_at" not in revived
    assert revived["list_memberships"] == [target]


def test_add_list_memberships_from_lists_with_exclude(emulator: EmulatorProcess) -> None:
    lists = live_lists(emulator)
    source, target = lists[0], lists[-1]
    members = _members(emulator, source)
    already = _members(emulator, target)
    excluded = sorted(members - already)[:2]
    assert len(excluded) == 2
    before = stored_contacts(emulator)
    run(
        emulator,
        "add_list_memberships",
        {
            "source": {"list_ids": [source]},
            "list_ids": [target],
            "exclude": {"contact_ids": excluded},
        },
    )
    assert _members(emulator, target) == already | (members - set(excluded))
    _unchanged_except(before, stored_contacts(emulator), members - already - set(excluded))


def test_add_all_active_contacts_tags_and_segment_sources(emulator: EmulatorProcess) -> None:
    target = emulator.api("POST", "/contact_lists", json={"name": "Everyone"}).json()["list_id"]
    before = stored_contacts(emulator)
    activity = run(
        emulator,
        "add_list_memberships",
        {"source": {"all_active_contacts": True}, "list_ids": [target]},
    )
    expected = {cid for cid, c in before.items() if active(c)}
    assert activity["status"]["items_total_count"] == len(expected)
    assert _members(emulator, target) == expected

    tag = _tag_ids(emulator)[0]
    tagged = {cid for cid, c in before.items() if tag in c["taggings"] and "deleted_at" not in c}
    by_tag = emulator.api("POST", "/contact_lists", json={"name": "Tagged"}).json()["list_id"]
    run(emulator, "add_list_memberships", {"source": {"tag_ids": [tag]}, "list_ids": [by_tag]})
    unsubscribed = {
        cid
        for cid, c in before.items()
        if c["email_address"]["permission_to_send"] == "unsubscribed"
    }
    assert _members(emulator, by_tag) == tagged - unsubscribed

    segment_id = next(s["segment_id"] for s in emulator.export("segments") if "deleted_at" not in s)
    in_segment = _all_ids(emulator, f"/contacts?segment_id={segment_id}&limit=500")
    assert in_segment
    by_segment = emulator.api("POST", "/contact_lists", json={"name": "Segmented"}).json()[
        "list_id"
    ]
    run(
        emulator,
        "add_list_memberships",
        {"source": {"segment_id": segment_id}, "list_ids": [by_segment]},
    )
    assert _members(emulator, by_segment) == in_segment - unsubscribed


def test_a_contact_is_never_in_more_than_50_lists(emulator: EmulatorProcess) -> None:
    made = [
        emulator.api("POST", "/contact_lists", json={"name": f"L{i}"}).json()["list_id"]
        for i in range(52)
    ]
    contact = _actives(emulator, 1)[0]
    already = contact["list_memberships"]
    room = 50 - len(already)
    activity = run(
        emulator,
        "add_list_memberships",
        {"source": {"contact_ids": [contact["contact_id"]]}, "list_ids": made[:room]},
    )
    assert activity["activity_errors"] == []
    activity = run(
        emulator,
        "add_list_memberships",
        {"source": {"contact_ids": [contact["contact_id"]]}, "list_ids": made[room:]},
    )
    address = contact["email_address"]["address"]
    assert activity["activity_errors"] == [
        f"Contact {contact['contact_id']} ({address}): a contact can be in at most 50 lists; "
        f"not added to {', '.join(made[room:])}"
    ]
    assert stored_contacts(emulator)[contact["contact_id"]]["list_memberships"] == [
        *already,
        *made[:room],
    ]


def test_remove_list_memberships(emulator: EmulatorProcess) -> None:
    before = stored_contacts(emulator)
    lists = live_lists(emulator)
    target = lists[0]
    members = sorted(_members(emulator, target))
    chosen = members[:3]
    activity = run(
        emulator,
        "remove_list_memberships",
        {"source": {"contact_ids": chosen}, "list_ids": [target]},
    )
    assert activity["status"] == {
        "items_total_count": 3,
        "items_completed_count": 3,
        "list_count": 1,
    }
    after = stored_contacts(emulator)
    _unchanged_except(before, after, set(chosen))
    for cid in chosen:
        assert after[cid]["list_memberships"] == [
            lid for lid in before[cid]["list_memberships"] if lid != target
        ]
    # removing every member of one list from another
    second = lists[1]
    run(
        emulator,
        "remove_list_memberships",
        {"source": {"list_ids": [second]}, "list_ids": [target]},
    )
    assert not _members(emulator, second) & _members(emulator, target)


def test_taggings_add_and_remove(emulator: EmulatorProcess) -> None:
    tags = _tag_ids(emulator)
    before = stored_contacts(emulator)
    chosen = [c for c in before.values() if active(c) and tags[0] not in c["taggings"]][:4]
    ids = [c["contact_id"] for c in chosen]
    added = run(
        emulator,
        "contacts_taggings_add",
        {"source": {"contact_ids": ids}, "tag_ids": [tags[0]]},
    )
    assert added["status"] == {"items_total_count": 4, "items_completed_count": 4}
    after = stored_contacts(emulator)
    _unchanged_except(before, after, set(ids))
    for contact in chosen:
        assert after[contact["contact_id"]]["taggings"] == [*contact["taggings"], tags[0]]
    tag = next(t for t in emulator.export("contact_tags") if t["tag_id"] == tags[0])
    assert set(ids) <= _all_ids(emulator, f"/contacts?tags={tags[0]}&limit=500")
    assert tag["contacts_count"] >= 4

    removed = run(
        emulator,
        "contacts_taggings_remove",
        {"source": {"contact_ids": ids[:2]}, "tag_ids": [tags[0]]},
    )
    assert removed["state"] == "completed"
    final = stored_contacts(emulator)
    assert [final[cid]["taggings"] for cid in ids[:2]] == [
        before[cid]["taggings"] for cid in ids[:2]
    ]
    assert all(tags[0] in final[cid]["taggings"] for cid in ids[2:])


def test_taggings_from_a_list_and_new_subscribers(emulator: EmulatorProcess) -> None:
    list_id = live_lists(emulator)[0]
    members = _members(emulator, list_id)
    tag = emulator.api("POST", "/contact_tags", json={"name": "From list"}).json()["tag_id"]
    run(emulator, "contacts_taggings_add", {"source": {"list_ids": [list_id]}, "tag_ids": [tag]})
    tagged = {c["contact_id"] for c in emulator.export("contacts") if tag in c["taggings"]}
    assert tagged == members

    created = emulator.api(
        "POST",
        "/contacts/sign_up_form",
        json={"email_address": "fresh.subscriber@example.com", "list_memberships": [list_id]},
    ).json()
    newbie = emulator.api("POST", "/contact_tags", json={"name": "Newbies"}).json()["tag_id"]
    run(
        emulator, "contacts_taggings_add", {"source": {"new_subscriber": True}, "tag_ids": [newbie]}
    )
    newbies = {c["contact_id"] for c in emulator.export("contacts") if newbie in c["taggings"]}
    assert created["contact_id"] in newbies
    counts = emulator.api("GET", "/contacts/counts?include=new_subscriber").json()
    assert len(newbies) == counts["new_subscriber"]


def test_a_contact_never_has_more_than_50_tags(emulator: EmulatorProcess) -> None:
    made = [
        emulator.api("POST", "/contact_tags", json={"name": f"T{i}"}).json()["tag_id"]
        for i in range(51)
    ]
    contact = next(c for c in emulator.export("contacts") if active(c) and c["taggings"])
    room = 50 - len(contact["taggings"])
    assert room < 50
    activity = run(
        emulator,
        "contacts_taggings_add",
        {"source": {"contact_ids": [contact["contact_id"]]}, "tag_ids": made[:50]},
    )
    assert activity["activity_errors"] == [
        f"Contact {contact['contact_id']} ({contact['email_address']['address']}): a contact can "
        f"have at most 50 tags; not tagged {', '.join(made[room:50])}"
    ]
    stored = stored_contacts(emulator)[contact["contact_id"]]
    assert stored["taggings"] == [*contact["taggings"], *made[:room]]


@pytest.mark.parametrize(
    ("operation", "body", "named"),
    [
        ("add_list_memberships", {"list_ids": ["LIST"]}, "'source' is required"),
        (
            "add_list_memberships",
            {"source": {"contact_ids": ["CONTACT"]}},
            "'list_ids' is required",
        ),
        ("add_list_memberships", {"source": {}, "list_ids": ["LIST"]}, "exactly one"),
        (
            "add_list_memberships",
            {
                "source": {"contact_ids": ["CONTACT"], "all_active_contacts": True},
                "list_ids": ["LIST"],
            },
            "exactly one",
        ),
        (
            "add_list_memberships",
            {"source": {"all_active_contacts": False}, "list_ids": ["LIST"]},
            "exactly one",
        ),
        (
            "add_list_memberships",
            {"source": {"contact_ids": ["CONTACT"]}, "list_ids": [UNKNOWN]},
            "does not exist",
        ),
        (
            "add_list_memberships",
            {"source": {"list_ids": [UNKNOWN]}, "list_ids": ["LIST"]},
            "source.list_ids",
        ),
        (
            "add_list_memberships",
            {"source": {"segment_id": 9999}, "list_ids": ["LIST"]},
            "source.segment_id",
        ),
        (
            "add_list_memberships",
            {"source": {"engagement_level": "extreme"}, "list_ids": ["LIST"]},
            "engagement_level",
        ),
        (
            "add_list_memberships",
            {"source": {"new_subscriber": True}, "list_ids": ["LIST"]},
            "source.new_subscriber",
        ),
        (
            "add_list_memberships",
            {
                "source": {"contact_ids": ["CONTACT"]},
                "list_ids": ["LIST"],
                "exclude": {"contact_ids": ["CONTACT"]},
            },
            "'exclude' only works",
        ),
        (
            "add_list_memberships",
            {"source": {"contact_ids": ["x"] * 501}, "list_ids": ["LIST"]},
            "at most 500",
        ),
        (
            "remove_list_memberships",
            {"source": {"segment_id": 1}, "list_ids": ["LIST"]},
            "source.segment_id",
        ),
        (
            "contacts_taggings_add",
            {"source": {"contact_ids": ["CONTACT"]}, "tag_ids": [UNKNOWN]},
            "does not exist",
        ),
        (
            "contacts_taggings_add",
            {"source": {"contact_ids": ["CONTACT"]}},
            "'tag_ids' is required",
        ),
        (
            "contacts_taggings_remove",
            {"source": {"engagement_level": "high"}, "tag_ids": ["TAG"]},
            "engagement_level",
        ),
        ("list_delete", {"list_ids": ["x"] * 101}, "at most 100"),
        ("list_delete", {}, "'list_ids' is required"),
        ("contacts_tags_delete", {"tag_ids": []}, "at least 1"),
        ("custom_fields_delete", {"custom_field_ids": ["nope"]}, "not a valid id"),
    ],
)
def test_membership_and_definition_request_errors(
    emulator: EmulatorProcess, operation: str, body: dict[str, Any], named: str
) -> None:
    contact_id = _actives(emulator, 1)[0]["contact_id"]
    replace = {"CONTACT": contact_id, "LIST": live_lists(emulator)[0], "TAG": _tag_ids(emulator)[0]}

    def swap(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return replace.get(value, value) if isinstance(value, str) else value

    before = len(emulator.export("activities"))
    response = emulator.api("POST", f"/activities/{operation}", json=swap(body))
    assert response.status_code == 400, response.text
    assert named in response.json()[0]["error_message"]
    assert len(emulator.export("activities")) == before


def test_list_delete(emulator: EmulatorProcess) -> None:
    lists = live_lists(emulator)[:2]
    members = _members(emulator, lists[0]) | _members(emulator, lists[1])
    activity = run(emulator, "list_delete", {"list_ids": [*lists, UNKNOWN]})
    assert activity["status"]["list_count"] == 2
    assert activity["activity_errors"] == [f"List {UNKNOWN} was not found"]
    stored = {lst["list_id"]: lst for lst in emulator.export("contact_lists")}
    assert all("deleted_at" in stored[lid] for lid in lists)
    after = stored_contacts(emulator)
    assert all(not set(lists) & set(after[cid]["list_memberships"]) for cid in members)
    visible = emulator.api("GET", "/contact_lists?limit=1000").json()["lists"]
    assert not {lst["list_id"] for lst in visible} & set(lists)


def test_contacts_tags_delete(emulator: EmulatorProcess) -> None:
    tags = _tag_ids(emulator)
    tagged = {c["contact_id"] for c in emulator.export("contacts") if tags[0] in c["taggings"]}
    assert tagged
    activity = run(emulator, "contacts_tags_delete", {"tag_ids": [tags[0], UNKNOWN]})
    assert activity["status"] == {"items_total_count": 2, "items_completed_count": 2}
    assert activity["activity_errors"] == [f"Tag {UNKNOWN} was not found"]
    assert tags[0] not in _tag_ids(emulator)
    assert all(tags[0] not in c["taggings"] for c in emulator.export("contacts"))


def test_custom_fields_delete(emulator: EmulatorProcess) -> None:
    fields = {f["name"]: f["custom_field_id"] for f in emulator.export("custom_fields")}
    gone = fields["Referral_Code"]
    holders = {
        c["contact_id"]
        for c in emulator.export("contacts")
        if any(v["custom_field_id"] == gone for v in c["custom_fields"])
    }
    assert holders
    activity = run(emulator, "custom_fields_delete", {"custom_field_ids": [gone]})
    assert activity["state"] == "completed"
    assert activity["activity_errors"] == []
    assert gone not in {f["custom_field_id"] for f in emulator.export("custom_fields")}
    assert all(
        gone not in {v["custom_field_id"] for v in c["custom_fields"]}
        for c in emulator.export("contacts")
    )
    # the import no longer knows the field by name
    later = run(
        emulator,
        "contacts_json_import",
        {
            "import_data": [{"email": "ref@example.com", "cf:Referral_Code": "X"}],
            "list_ids": live_lists(emulator)[:1],
        },
    )
    assert later["activity_errors"] == [
        "Row 1 (ref@example.com): custom field 'Referral_Code' does not exist (cf:Referral_Code)"
    ]
    assert "ref@example.com" not in by_email(emulator)


def test_engagement_level_source_reads_the_campaign_tracking(emulator: EmulatorProcess) -> None:
    scores: dict[str, int] = {}
    for row in emulator.export("tracking"):
        points = {"em_opens": 1, "em_clicks": 2}.get(row["tracking_activity_type"], 0)
        scores[row["contact_id"]] = scores.get(row["contact_id"], 0) + points
    level = {
        cid: "high" if s >= 6 else "medium" if s >= 3 else "low" if s >= 1 else "none"
        for cid, s in scores.items()
    }
    before = stored_contacts(emulator)
    expected = {
        cid for cid, lv in level.items() if lv == "medium" and "deleted_at" not in before[cid]
    }
    assert expected, "the seeded campaigns should give some contacts a medium engagement"
    target = emulator.api("POST", "/contact_lists", json={"name": "Medium"}).json()["list_id"]
    activity = run(
        emulator,
        "add_list_memberships",
        {"source": {"engagement_level": "medium"}, "list_ids": [target]},
    )
    subscribed = {
        cid
        for cid in expected
        if before[cid]["email_address"]["permission_to_send"] != "unsubscribed"
    }
    assert _members(emulator, target) == subscribed
    assert activity["status"]["items_total_count"] == len(expected)
