"""ConstantContactClient: URLs, paging, retries, usage and the session's headers."""

from __future__ import annotations

import logging
import socket
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from cc_fakeapi import FakeServer, Recorded, Reply

from constantcontact_client import (
    ClientSettings,
    ConflictError,
    ConstantContactClient,
    ConstantContactError,
    NotFoundError,
    QueueFullError,
    QuotaExceededError,
    RetriableError,
    RunBudgetExceededError,
    ThrottledError,
)

THROTTLED = Reply(429, {"error_key": "throttled", "error_message": "Too Many Requests"})
QUOTA = Reply(429, {"error_key": "quota_exceeded", "error_message": "Limit Exceeded"})


@pytest.fixture
def client(config: dict[str, Any]) -> Any:
    with ConstantContactClient(config) as client:
        yield client


def test_url_for(tmp_path: Path) -> None:
    def url_for(api_url: str, href: str) -> str:
        settings = ClientSettings.from_config(
            {
                "client_id": "x",
                "refresh_token": "rt",
                "api_url": api_url,
                "token_store_path": str(tmp_path / "t.json"),
            }
        )
        return ConstantContactClient(settings).url_for(href)

    api = "https://api.cc.email/v3"
    assert url_for(api, "/v3/contacts?cursor=bGltaXQ9MSZuZXh0PTI=") == (
        "https://api.cc.email/v3/contacts?cursor=bGltaXQ9MSZuZXh0PTI="
    )
    assert url_for(api, "/contacts") == "https://api.cc.email/v3/contacts"
    assert url_for(api, "contact_lists") == "https://api.cc.email/v3/contact_lists"
    assert url_for(api, "https://elsewhere.example/x") == "https://elsewhere.example/x"
    assert url_for("http://127.0.0.1:9/v3", "/v3/emails?limit=50&next=2") == (
        "http://127.0.0.1:9/v3/emails?limit=50&next=2"
    )
    assert url_for("http://127.0.0.1:9", "/v3/contacts?cursor=x") == (
        "http://127.0.0.1:9/v3/contacts?cursor=x"
    )
    assert url_for("http://127.0.0.1:9", "contacts") == "http://127.0.0.1:9/contacts"
    # A proxy prefix in api_url is kept when joining `/v3` links.
    assert url_for("https://proxy.example/cc/v3", "/v3/contacts?cursor=x") == (
        "https://proxy.example/cc/v3/contacts?cursor=x"
    )


def test_next_href_shapes() -> None:
    next_href = ConstantContactClient.next_href
    assert next_href({"_links": {"next": {"href": "/v3/x?cursor=1"}}}) == "/v3/x?cursor=1"
    assert next_href({"_links": {"next": {"next": {"href": "/v3/x?cursor=2"}}}}) == (
        "/v3/x?cursor=2"
    )
    assert next_href({"_links": {}}) is None
    assert next_href({"contacts": []}) is None
    assert next_href([]) is None


def test_paginate_follows_next_links_verbatim(fake: FakeServer, client: Any) -> None:
    def contacts(req: Recorded) -> Reply:
        cursor = req.query.get("cursor", [None])[0]
        if cursor is None:
            return Reply(
                200,
                {
                    "contacts": [{"contact_id": "a"}, {"contact_id": "b"}],
                    "_links": {"next": {"href": "/v3/contacts?cursor=c2"}},
                },
            )
        if cursor == "c2":
            return Reply(
                200,
                {
                    "contacts": [{"contact_id": "c"}],
                    "_links": {"next": {"href": "/v3/contacts?cursor=c3"}},
                },
            )
        return Reply(200, {"contacts": [{"contact_id": "d"}], "_links": {}})

    fake.add("GET", "/v3/contacts", contacts)
    records = list(
        client.paginate("/contacts", params={"limit": 500, "status": "all"}, records_key="contacts")
    )
    assert [r["contact_id"] for r in records] == ["a", "b", "c", "d"]
    queries = [r.query for r in fake.api_requests()]
    assert queries == [
        {"limit": ["500"], "status": ["all"]},
        {"cursor": ["c2"]},  # no params re-added to next links
        {"cursor": ["c3"]},
    ]
    assert client.usage.calls_by_endpoint == {"GET /v3/contacts": 3}


def test_paginate_infers_the_records_array(fake: FakeServer, client: Any) -> None:
    fake.add("GET", "/v3/contact_tags", Reply(200, {"tags": [{"tag_id": "t1"}], "_links": {}}))
    assert list(client.paginate("/contact_tags")) == [{"tag_id": "t1"}]
    fake.add("GET", "/v3/weird", Reply(200, {"a": [], "b": []}))
    with pytest.raises(ConstantContactError, match="pass records_key"):
        list(client.paginate("/weird"))


def test_pagination_loop_is_detected(fake: FakeServer, client: Any) -> None:
    same = {"next": {"href": "/v3/contacts?cursor=same"}}
    fake.add("GET", "/v3/contacts", Reply(200, {"contacts": [{"contact_id": "a"}], "_links": same}))
    with pytest.raises(ConstantContactError, match="pagination loop"):
        list(client.paginate("/contacts", records_key="contacts"))
    assert len(fake.api_requests()) == 2  # the first page, then the link once; not again


def test_throttled_is_retried_after_about_a_second(
    fake: FakeServer, client: Any, no_sleep: list[float]
) -> None:
    fake.add("GET", "/v3/contacts", THROTTLED, THROTTLED, Reply(200, {"contacts": []}))
    assert client.request("GET", "/contacts").status_code == 200
    assert len(no_sleep) == 2
    assert all(1.0 <= wait <= 1.25 for wait in no_sleep)
    assert client.usage.calls_by_status == {"429": 2, "200": 1}
    assert client.usage.retries == 2


def test_retry_after_header_wins(fake: FakeServer, client: Any, no_sleep: list[float]) -> None:
    throttled = Reply(429, {"error_key": "throttled"}, headers={"Retry-After": "7"})
    fake.add("GET", "/v3/contacts", throttled, Reply(200, {}))
    client.request("GET", "/contacts")
    assert no_sleep == [7.0]


def test_server_errors_back_off_exponentially_up_to_max_retries(
    fake: FakeServer, client: Any, no_sleep: list[float]
) -> None:
    fake.add("GET", "/v3/contacts", Reply(503, "Service Unavailable"))
    with pytest.raises(RetriableError) as info:
        client.request("GET", "/contacts", params={"email": "jane@example.com"})
    assert len(fake.api_requests()) == 4  # max_retries=3 in the config fixture
    assert len(no_sleep) == 3
    assert no_sleep[0] < no_sleep[1] < no_sleep[2]
    assert str(info.value).startswith("GET /v3/contacts: HTTP 503")
    assert "jane" not in str(info.value)


def test_queue_full_waits_longer(fake: FakeServer, client: Any, no_sleep: list[float]) -> None:
    full = Reply(429, [{"error_key": "too_many_activities", "error_message": "queue full"}])
    fake.add("POST", "/v3/activities/contact_delete", full, full, Reply(201, {"activity_id": "a"}))
    response = client.request("POST", "/activities/contact_delete", json={"contact_ids": ["c1"]})
    assert response.json() == {"activity_id": "a"}
    assert no_sleep == [15.0, 30.0]


def test_queue_full_after_retries_is_raised(
    fake: FakeServer, client: Any, no_sleep: list[float]
) -> None:
    full = Reply(429, [{"error_key": "too_many_activities", "error_message": "queue full"}])
    fake.add("POST", "/v3/activities/contact_delete", full)
    with pytest.raises(QueueFullError):
        client.request("POST", "/activities/contact_delete", json={"contact_ids": ["c1"]})


def test_fatal_errors_are_not_retried(fake: FakeServer, client: Any, no_sleep: list[float]) -> None:
    fake.add("GET", "/v3/contacts/abc-123", Reply(404, [{"error_key": "contacts.api.not_found"}]))
    fake.add("POST", "/v3/contacts", Reply(409, [{"error_key": "contacts.api.conflict"}]))
    fake.add("GET", "/v3/contact_lists", QUOTA)
    with pytest.raises(NotFoundError) as info:
        client.request("GET", "/contacts/abc-123")
    assert info.value.endpoint == "GET /v3/contacts/{id}"
    with pytest.raises(ConflictError):
        client.request("POST", "/contacts", json={})
    with pytest.raises(QuotaExceededError, match="00:00 UTC"):
        client.request("GET", "/contact_lists")
    assert no_sleep == []
    assert len(fake.api_requests()) == 3


def test_retry_false_sends_once(fake: FakeServer, client: Any, no_sleep: list[float]) -> None:
    fake.add("POST", "/v3/contacts", Reply(500, ""))
    with pytest.raises(RetriableError):
        client.request("POST", "/contacts", json={}, retry=False)
    assert len(fake.api_requests()) == 1


def test_retrying_decorates_any_callable(client: Any, no_sleep: list[float]) -> None:
    outcomes: list[Exception | None] = [ThrottledError("x"), RetriableError("y"), None]

    @client.retrying
    def flaky() -> str:
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return "done"

    assert flaky() == "done"
    assert len(no_sleep) == 2


def test_connection_errors_become_retriable_errors_without_query_values(
    config: dict[str, Any], no_sleep: list[float]
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = config | {"api_url": f"http://127.0.0.1:{port}/v3", "access_token": "at-1"}
    with ConstantContactClient(dead) as client, pytest.raises(RetriableError) as info:
        client.request("GET", "/contacts", params={"email": "jane@example.com"})
    message = str(info.value)
    assert message.startswith("GET /v3/contacts: connection failed (ConnectionError)")
    assert "jane" not in message
    assert "email=" not in message
    assert client.usage.calls_by_status == {"connection_error": 4}


def test_run_cap_stops_before_sending(fake: FakeServer, config: dict[str, Any]) -> None:
    fake.add("GET", "/v3/contacts", Reply(200, {}))
    with ConstantContactClient(config | {"max_requests_per_run": 2}) as client:
        client.request("GET", "/contacts")
        client.request("GET", "/contacts")
        with pytest.raises(RunBudgetExceededError):
            client.request("GET", "/contacts")
        assert client.limiter.run_remaining() == 0
        assert "run budget left: 0" in client.usage.summary()
    assert len(fake.api_requests()) == 2


def test_headers_user_agent_and_json(fake: FakeServer, config: dict[str, Any]) -> None:
    fake.add("POST", "/v3/contact_lists", Reply(201, {"list_id": "l1"}))
    with ConstantContactClient(config | {"user_agent": "acme-sync/1.0"}) as client:
        client.request("POST", "/contact_lists", json={"name": "VIP"})
    [req] = fake.api_requests()
    assert req.headers["user-agent"] == "acme-sync/1.0"
    assert req.headers["content-type"] == "application/json"
    assert req.bearer is not None


def test_session_works_under_the_sdk_calling_pattern(fake: FakeServer, client: Any) -> None:
    """singer-sdk prepares with `session.auth = authenticator`, calls it, then `send`s."""
    fake.add("GET", "/v3/contacts", Reply(200, {"contacts": []}))
    session = client.session
    session.auth = client.token_manager
    request = requests.Request(
        "GET", client.url_for("/contacts"), headers={"User-Agent": "singer-sdk/0.54.9"}
    )
    prepared = session.prepare_request(request)
    prepared = client.token_manager(prepared)
    response = session.send(prepared, timeout=300, allow_redirects=True)
    client.check_response(response)
    assert len(prepared.hooks["response"]) == 1  # the 401 hook is registered once
    [req] = fake.api_requests()
    assert req.headers["user-agent"] == client.settings.user_agent
    assert client.usage.calls_total == 1


def test_request_timeout_wins_over_the_timeout_the_sdk_passes(
    fake: FakeServer, config: dict[str, Any]
) -> None:
    """singer-sdk always sends with `timeout=300`; the setting must still apply."""

    def slow(_: Recorded) -> Reply:
        time.sleep(1.5)
        return Reply(200, {"contacts": []})

    fake.add("GET", "/v3/contacts", slow)
    with ConstantContactClient(config | {"request_timeout": 0.3}) as client:
        prepared = client.session.prepare_request(
            requests.Request("GET", client.url_for("/contacts"))
        )
        with pytest.raises(RetriableError, match="timed out"):
            client.session.send(prepared, timeout=300)


def test_summary_is_logged_on_close(
    fake: FakeServer, config: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake.add("GET", "/v3/contacts", Reply(200, {}))
    logger = logging.getLogger("test-client-summary")
    with ConstantContactClient(config, logger=logger) as client:
        client.request("GET", "/contacts")
        summary = client.usage.summary()
    assert summary.startswith("Constant Contact API calls: 1 (GET /v3/contacts x1)")
    assert "token refreshes: 1" in summary
    assert "daily budget left:" in summary
    assert summary in caplog.text
