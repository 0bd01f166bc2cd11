"""The extension hooks the campaigns/reports and bulk modules plug into, driven in-process."""

from __future__ import annotations

import asyncio
import json
import sys
import types
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response

from constantcontact_emulator.app import create_app
from constantcontact_emulator.config import EmulatorConfig
from constantcontact_emulator.errors import json_response
from constantcontact_emulator.extensions import (
    ENV_VAR,
    EXTENSION_MODULES,
    Extension,
    configured_modules,
    load_extensions,
)
from constantcontact_emulator.routing import api_route, emulator
from constantcontact_emulator.state import EmulatorState


def _call(
    app: Any, method: str, path: str, *, token: str | None = None, body: Any = None
) -> tuple[int, Any]:
    raw = json.dumps(body).encode() if body is not None else b""
    headers = [(b"content-type", b"application/json")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    path_only, _, query = path.partition("?")
    scope = {
        "type": "http",
        "method": method,
        "path": path_only,
        "raw_path": path_only.encode(),
        "query_string": query.encode(),
        "headers": headers,
        "http_version": "1.1",
        "scheme": "http",
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1234),
        "root_path": "",
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": raw, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, json.loads(payload) if payload else None


async def _list_things(request: Request) -> Response:
    state: EmulatorState = emulator(request).state
    return json_response(
        {"things": state.extension_data["things"], "ticks": state.extension_data["ticks"]}
    )


def _seed(state: EmulatorState, options: Any) -> None:
    state.extension_data["things"] = [f"thing-{i}" for i in range(options.campaigns)]


def _on_state(state: EmulatorState) -> None:
    state.extension_data["ticks"] = 0

    def tick(s: EmulatorState, now: float) -> None:
        s.extension_data["ticks"] += 1

    state.tickers.append(tick)


def _add_things(state: EmulatorState, n: int, now: float) -> dict[str, list[Any]]:
    new = [f"new-{i}" for i in range(n)]
    state.extension_data["things"].extend(new)
    return {"things_created": new}


EXTENSION = Extension(
    name="things",
    routes=[api_route("/things", _list_things, ["GET"], scope="campaign_data")],
    seed=_seed,
    on_state=_on_state,
    actions={"thing_create": _add_things},
    exporters={"things": lambda state: state.extension_data["things"]},
)


@pytest.fixture
def app():
    return create_app(
        EmulatorConfig(contacts=5, campaigns=3, rps=0, daily_limit=0), extensions=[EXTENSION]
    )


def test_extension_routes_seed_and_tickers(app: Any) -> None:
    token = app.emulator.oauth._issue(
        app.emulator.client_id, ("campaign_data",), 4e9, refresh=None
    )["access_token"]
    status, body = _call(app, "GET", "/v3/things", token=token)
    assert status == 200
    assert body["things"] == ["thing-0", "thing-1", "thing-2"]
    assert body["ticks"] == 1
    assert app.emulator.stats_body()["requests"] == {"GET /v3/things": 1}


def test_extension_routes_get_the_scope_check(app: Any) -> None:
    token = app.emulator.oauth._issue(app.emulator.client_id, ("contact_data",), 4e9, refresh=None)[
        "access_token"
    ]
    status, body = _call(app, "GET", "/v3/things", token=token)
    assert status == 403
    assert "campaign_data" in body[0]["error_message"]


def test_extension_actions_exports_and_reset(app: Any) -> None:
    status, body = _call(app, "POST", "/_emulator/actions", body={"thing_create": 2, "create": 1})
    assert status == 200
    assert body["things_created"] == ["new-0", "new-1"]
    assert len(body["created"]) == 1
    assert _call(app, "GET", "/_emulator/export/things")[1][-1] == "new-1"
    _call(app, "POST", "/_emulator/reset", body={"campaigns": 1})
    assert _call(app, "GET", "/_emulator/export/things")[1] == ["thing-0"]
    # the new state got its hooks again: one ticker, counting from zero
    assert len(app.emulator.state.tickers) == 1
    assert app.emulator.state.extension_data["ticks"] == 1  # the export request above ticked


def test_missing_extension_modules_are_skipped(tmp_path, monkeypatch) -> None:
    module = types.ModuleType("cc_fake_extension")
    module.EXTENSION = EXTENSION  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cc_fake_extension", module)
    assert load_extensions(["cc_fake_extension", "cc_missing_extension_module"]) == [EXTENSION]
    broken = tmp_path / "cc_broken_extension.py"
    broken.write_text("import cc_no_such_dependency_module\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError):
        load_extensions(["cc_broken_extension"])


def test_extension_modules_can_be_chosen_by_environment(monkeypatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert configured_modules() == EXTENSION_MODULES
    monkeypatch.setenv(ENV_VAR, "")
    assert configured_modules() == []
    assert load_extensions() == []
    monkeypatch.setenv(ENV_VAR, " a.b , c ")
    assert configured_modules() == ["a.b", "c"]
