"""The executor against an in-memory fake API: activity errors mapped back to records, a
quota stop that leaves exact results, a full activity queue waited out, dry runs."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import msgspec
import pytest

from constantcontact_client.errors import (
    ConflictError,
    QueueFullError,
    QuotaExceededError,
    RetriableError,
    ThrottledError,
)
from constantcontact_client.usage import Usage
from target_constantcontact.account import ContactDirectory
from target_constantcontact.activities import ActivityRunner, ActivityTimeoutError
from target_constantcontact.calls import CallCounter, DryRunWriteError
from target_constantcontact.executor import Executor, ExecutorSettings
from target_constantcontact.model import Action, ContactIntent, Outcome
from target_constantcontact.planner import Planner, PlannerSettings

_ids = itertools.count(1)


class Response:
    def __init__(self, body: Any, status: int = 200) -> None:
        self.status_code = status
        self.content = msgspec.json.encode(body)
        self.request = None


class FakeApi:
    """Just enough of the API: contacts by email, activities that end at the first poll.

    Like the client, it counts every exchange in `usage` and retries retriable errors of
    calls wrapped in `retrying` (`max_retries` times, without waiting); `handle` answers."""

    def __init__(self) -> None:
        self.contacts: dict[str, dict[str, Any]] = {}
        self.activities: dict[str, dict[str, Any]] = {}
        self.sent: list[tuple[str, str]] = []
        self.activity_errors: list[str] = []
        self.fail_on: dict[tuple[str, str], list[Exception]] = {}
        self.polls_until_done = 1
        self.usage = Usage()
        self.max_retries = 3

    @staticmethod
    def next_href(body: Any) -> str | None:
        return None

    def retrying(self, func: Callable[[], Any]) -> Callable[[], Any]:
        def call() -> Any:
            for attempt in itertools.count():
                try:
                    return func()
                except RetriableError:
                    if attempt >= self.max_retries:
                        raise
            return None

        return call

    def pages(self, path: str, params: Any = None):
        yield msgspec.json.decode(self.request("GET", path, params=params).content)

    def request(
        self, method: str, path: str, params: Any = None, json: Any = None, retry: bool = True
    ) -> Response:
        self.sent.append((method, path))
        endpoint = f"{method} {path}"
        try:
            response = self.handle(method, path, params=params, json=json)
        except Exception:
            self.usage.record(endpoint, "error")
            raise
        self.usage.record(endpoint, response.status_code)
        return response

    def handle(self, method: str, path: str, params: Any = None, json: Any = None) -> Response:
        failures = self.fail_on.get((method, path))
        if failures:
            raise failures.pop(0)
        if method == "GET" and path == "/contacts":
            found = [
                c
                for c in self.contacts.values()
                if not params.get("email") or c["email_address"]["address"] == params["email"]
            ]
            return Response({"contacts": found, "contacts_count": len(found)})
        if method == "GET" and path.startswith("/activities/"):
            return Response(self._advance(self.activities[path.rsplit("/", 1)[1]]))
        if method == "GET" and path == "/activities":
            newest = list(reversed(self.activities.values()))[: params["limit"]]
            return Response({"activities": [self._advance(item) for item in newest]})
        if method == "POST" and path.startswith("/activities/"):
            return Response(self._activity(path, json), 201)
        raise AssertionError((method, path))

    def _advance(self, activity: dict[str, Any]) -> dict[str, Any]:
        activity["polls"] += 1
        if activity["polls"] >= self.polls_until_done:
            activity["state"] = "completed"
        return activity

    def _activity(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        activity_id = f"act-{next(_ids)}"
        if path.endswith("contacts_json_import"):
            for row in body["import_data"]:
                if any(row["email"] in error for error in self.activity_errors):
                    continue
                contact_id = f"id-{row['email']}"
                self.contacts[contact_id] = {
                    "contact_id": contact_id,
                    "email_address": {"address": row["email"], "permission_to_send": "implicit"},
                    "first_name": row.get("first_name"),
                    "list_memberships": body["list_ids"],
                }
        activity = {
            "activity_id": activity_id,
            "state": "initialized",
            "activity_errors": list(self.activity_errors),
            "polls": 0,
        }
        self.activities[activity_id] = activity
        return activity


def intents(*emails: str) -> list[ContactIntent]:
    return [
        ContactIntent(
            seq=index,
            stream="contacts",
            action=Action.UPSERT,
            key=email,
            email=email,
            fields={"first_name": "N"},
            list_ids=frozenset({"L1"}),
            tag_ids=frozenset(),
        )
        for index, email in enumerate(emails, 1)
    ]


def execute(api: FakeApi, items: list[ContactIntent], *, dry_run: bool = False, sleeps=None):
    calls = CallCounter(dry_run=dry_run)
    directory = ContactDirectory(api, calls)
    directory.load([item.email for item in items], [])
    plan = Planner(PlannerSettings(bulk_threshold=2), lambda cf: cf).plan(
        items, directory.get, lambda: "staging"
    )
    runner = ActivityRunner(
        api,
        calls,
        poll_interval=1,
        timeout=60,
        sleep=(sleeps.append if sleeps is not None else lambda _: None),
    )
    executor = Executor(api, calls, directory, runner, ExecutorSettings(dry_run=dry_run))
    try:
        executor.run(plan)
    finally:
        results = {work.intent.email: work for work in plan.works}
    return results, calls


def test_activity_errors_fail_only_the_records_they_name() -> None:
    api = FakeApi()
    api.activity_errors = ["Row 2 (b@x.io): invalid email address format"]
    works, calls = execute(api, intents("a@x.io", "b@x.io", "c@x.io"))
    assert {email: work.outcome for email, work in works.items()} == {
        "a@x.io": Outcome.CREATED,
        "b@x.io": Outcome.FAILED,
        "c@x.io": Outcome.CREATED,
    }
    assert works["b@x.io"].error_key == "import_error"
    assert "invalid email" in works["b@x.io"].error
    assert works["a@x.io"].contact_id == "id-a@x.io"  # read back after the import
    assert calls.counts["write.bulk"] == 1
    assert calls.counts["poll"] == 1


def test_quota_spent_while_polling_then_a_rerun_redoes_nothing() -> None:
    api = FakeApi()
    original = api.handle

    def handle(method: str, path: str, params: Any = None, json: Any = None) -> Response:
        if method == "GET" and path.startswith("/activities/"):
            raise QuotaExceededError("daily quota spent; resets at 00:00 UTC")
        return original(method, path, params=params, json=json)

    api.handle = handle  # type: ignore[method-assign]
    items = intents("a@x.io", "b@x.io")
    with pytest.raises(QuotaExceededError):
        execute(api, items)
    # the API applied the import but the target could not confirm it; a rerun compares states
    api.handle = original  # type: ignore[method-assign]
    api.sent.clear()
    works, calls = execute(api, intents("a@x.io", "b@x.io"))
    assert {work.outcome for work in works.values()} == {Outcome.UNCHANGED}
    assert calls.writes == 0


def test_quota_stop_reports_every_record() -> None:
    api = FakeApi()
    items = intents("a@x.io", "b@x.io")
    api.fail_on[("POST", "/activities/contacts_json_import")] = [
        QuotaExceededError("Daily quota exceeded")
    ]
    calls = CallCounter()
    directory = ContactDirectory(api, calls)
    plan = Planner(PlannerSettings(bulk_threshold=2), lambda cf: cf).plan(
        items, directory.get, lambda: "staging"
    )
    runner = ActivityRunner(api, calls, poll_interval=1, timeout=60, sleep=lambda _: None)
    executor = Executor(api, calls, directory, runner, ExecutorSettings())
    with pytest.raises(QuotaExceededError):
        executor.run(plan)
    assert [(w.outcome, w.error_key) for w in plan.works] == [
        (Outcome.FAILED, "quota_exceeded"),
        (Outcome.FAILED, "quota_exceeded"),
    ]
    assert "not applied or not confirmed" in plan.works[0].error


def test_full_activity_queue_is_waited_out() -> None:
    api = FakeApi()
    api.fail_on[("POST", "/activities/contacts_json_import")] = [
        QueueFullError("more than 1,000 activities queued"),
        QueueFullError("more than 1,000 activities queued"),
    ]
    sleeps: list[float] = []
    works, _ = execute(api, intents("a@x.io", "b@x.io"), sleeps=sleeps)
    assert {work.outcome for work in works.values()} == {Outcome.CREATED}
    assert sleeps[:2] == [1.0, 2.0]  # waits grow before each resubmission


def test_polls_back_off_and_time_out() -> None:
    api = FakeApi()
    api.polls_until_done = 10**6
    calls = CallCounter()
    sleeps: list[float] = []
    clock = itertools.count(0, 10)
    runner = ActivityRunner(
        api, calls, poll_interval=2, timeout=100, sleep=sleeps.append, clock=lambda: next(clock)
    )
    activity = runner.submit("import", "/activities/contacts_json_import", {"import_data": []})
    with pytest.raises(ActivityTimeoutError, match="activity_timeout"):
        runner.wait([activity])
    assert sleeps[:4] == [2, 3.0, 4.5, 6.75]


def test_dry_run_sends_no_write() -> None:
    api = FakeApi()
    works, calls = execute(api, intents("a@x.io", "b@x.io"), dry_run=True)
    assert {work.outcome for work in works.values()} == {Outcome.CREATED}
    assert all(method == "GET" for method, _ in api.sent)
    assert calls.writes == 0
    with pytest.raises(DryRunWriteError):
        calls.write(api, "POST", "/contacts", {}, "single")


def test_create_that_gets_a_409_becomes_an_update() -> None:
    """The lookup saw no contact, but the email exists (created meanwhile, or deleted)."""
    api = FakeApi()
    hidden = {
        "contact_id": "id-late@x.io",
        "email_address": {"address": "late@x.io", "permission_to_send": "implicit"},
        "first_name": "Old",
        "deleted_at": "2024-01-01",
        "list_memberships": [],
    }
    put_bodies: list[dict[str, Any]] = []
    original = api.handle

    def handle(method: str, path: str, params: Any = None, json: Any = None) -> Response:
        if method == "POST" and path == "/contacts":
            api.contacts[hidden["contact_id"]] = hidden  # now visible to the lookup
            raise ConflictError("Validation failed: Email already exists for contact x")
        if method == "PUT":
            put_bodies.append(json)
            return Response({**hidden, "deleted_at": None, "first_name": json["first_name"]})
        return original(method, path, params=params, json=json)

    api.handle = handle  # type: ignore[method-assign]
    [item] = intents("late@x.io")
    item.fields = {"first_name": "New"}
    works, calls = execute(api, [item])
    work = works["late@x.io"]
    assert (work.outcome, work.error) == (Outcome.CREATED, "revived a deleted contact")
    assert work.contact_id == "id-late@x.io"
    assert put_bodies[0]["update_source"] == "Account"
    assert put_bodies[0]["first_name"] == "New"
    assert put_bodies[0]["list_memberships"] == ["L1"]
    assert calls.counts["write.single"] == 2


def test_one_list_call_polls_every_activity_in_flight() -> None:
    api = FakeApi()
    api.polls_until_done = 2
    calls = CallCounter()
    runner = ActivityRunner(api, calls, poll_interval=1, timeout=60, sleep=lambda _: None)
    activities = [
        runner.submit("tag_add", "/activities/contacts_taggings_add", {"tag_ids": [str(i)]})
        for i in range(4)
    ]
    runner.wait(activities)
    assert all(activity.succeeded for activity in activities)
    assert calls.counts["poll"] == 2  # two rounds of one list call, not eight polls by id
    assert [path for method, path in api.sent if method == "GET"] == ["/activities"] * 2


def test_always_full_queue_is_resubmitted_by_one_layer_until_the_timeout() -> None:
    """The client's retries are not used for a full queue: each resubmission is one POST."""
    api = FakeApi()
    path = "/activities/contacts_json_import"
    api.fail_on[("POST", path)] = [QueueFullError("queue full") for _ in range(1000)]
    now = [0.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    calls = CallCounter()
    runner = ActivityRunner(
        api, calls, poll_interval=1, timeout=60, sleep=sleep, clock=lambda: now[0]
    )
    with pytest.raises(ActivityTimeoutError, match=r"stayed full for 60 s \(activity_timeout\)"):
        runner.submit("import", path, {"import_data": []})
    assert sleeps == [1.0, 2.0, 4.0, 8.0, 16.0]  # the next wait, 32 s, would end past 60 s
    assert sum(sleeps) <= 60
    assert api.sent.count(("POST", path)) == 6
    assert calls.counts["write.bulk"] == 6


@pytest.mark.parametrize(
    ("first_answer", "outcome"),
    [
        (RetriableError("POST /v3/contacts: HTTP 503 server error"), Outcome.CREATED),
        (ThrottledError("POST /v3/contacts: HTTP 429 throttled"), Outcome.UPDATED),
        (None, Outcome.UPDATED),
    ],
)
def test_a_409_on_a_resent_create_is_our_own_contact(first_answer, outcome) -> None:
    """A 5xx may come after the contact was created: the resend's 409 then means "created".
    A throttled call was refused unread: a 409 after it is someone else's contact."""
    api = FakeApi()
    created = {
        "contact_id": "id-new@x.io",
        "email_address": {"address": "new@x.io", "permission_to_send": "implicit"},
        "first_name": "New",
        "list_memberships": ["L1"],
    }
    original = api.handle
    posts = []

    def handle(method: str, path: str, params: Any = None, json: Any = None) -> Response:
        if method == "POST" and path == "/contacts":
            posts.append(json)
            api.contacts[created["contact_id"]] = created
            if first_answer is not None and len(posts) == 1:
                raise first_answer
            raise ConflictError("Validation failed: Email already exists for contact x")
        if method == "PUT":
            return Response(created)
        return original(method, path, params=params, json=json)

    api.handle = handle  # type: ignore[method-assign]
    [item] = intents("new@x.io")
    item.fields = {"first_name": "New"}
    works, calls = execute(api, [item])
    work = works["new@x.io"]
    assert (work.outcome, work.error_key, work.contact_id) == (outcome, None, "id-new@x.io")
    assert len(posts) == (2 if first_answer is not None else 1)
    # every exchange is counted once, resends included, and only once
    assert sum(calls.counts.values()) == api.usage.calls_total == len(api.sent)
    assert calls.counts["write.single"] == len(posts) + 1  # the POSTs and the PUT


def test_create_action_resent_after_a_5xx_is_not_already_exists() -> None:
    api = FakeApi()
    original = api.handle
    answers = [RetriableError("POST /v3/contacts: HTTP 500 server error"), None]

    def handle(method: str, path: str, params: Any = None, json: Any = None) -> Response:
        if method == "POST" and path == "/contacts":
            api.contacts["id-c@x.io"] = {
                "contact_id": "id-c@x.io",
                "email_address": {"address": "c@x.io", "permission_to_send": "implicit"},
                "first_name": "N",
                "list_memberships": ["L1"],
            }
            error = answers.pop(0)
            raise error or ConflictError("Validation failed: Email already exists")
        if method == "PUT":
            return Response(api.contacts["id-c@x.io"])
        return original(method, path, params=params, json=json)

    api.handle = handle  # type: ignore[method-assign]
    [item] = intents("c@x.io")
    item.action = Action.CREATE
    works, _ = execute(api, [item])
    assert (works["c@x.io"].outcome, works["c@x.io"].error_key) == (Outcome.CREATED, None)
