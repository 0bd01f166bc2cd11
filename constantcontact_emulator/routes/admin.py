"""The admin API under /_emulator/ (docs/CONTRACTS.md): not authenticated, limited or counted."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import msgspec
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from constantcontact_emulator import actions, errors, serialize, timefmt
from constantcontact_emulator.config import ALL_SCOPES
from constantcontact_emulator.errors import json_response
from constantcontact_emulator.extensions import merged_actions
from constantcontact_emulator.oauth import KNOWN_SCOPES
from constantcontact_emulator.routing import emulator
from constantcontact_emulator.runtime import Emulator
from constantcontact_emulator.state import EmulatorState


async def _body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        raise errors.bad_request("The admin request body must be JSON.") from None
    if not isinstance(body, dict):
        raise errors.bad_request("The admin request body must be a JSON object.")
    return body


async def post_actions(request: Request) -> Response:
    emu: Emulator = emulator(request)
    body = await _body(request)
    extension_actions = merged_actions(emu.extensions)
    known = (*actions.CORE_KINDS, *extension_actions)
    for kind, count in body.items():
        if kind not in known:
            raise errors.bad_request(f"Unknown action kind {kind!r}; known: {', '.join(known)}.")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise errors.bad_request(f"Action {kind!r} needs a non-negative integer count.")
    now = time.time()
    result = actions.apply(
        emu.state, {k: v for k, v in body.items() if k in actions.CORE_KINDS}, now
    )
    for kind, handler in extension_actions.items():
        if body.get(kind):
            result.update(handler(emu.state, body[kind], now))
    return json_response(result)


async def get_stats(request: Request) -> Response:
    return json_response(emulator(request).stats_body())


async def post_reset(request: Request) -> Response:
    emu: Emulator = emulator(request)
    body = await _body(request)
    counts = {}
    for name in ("contacts", "campaigns", "seed"):
        value = body.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise errors.bad_request(f"Reset '{name}' must be a non-negative integer.")
        counts[name] = value
    emu.reset(**counts)
    return json_response({"reset": True, "contacts": len(emu.state.contacts)})


async def faults(request: Request) -> Response:
    """GET: current faults. POST: change them (faults.FaultSettings), plus the run-time settings
    in `_SETTINGS` and the one-shot `clear` and `expire_access_tokens`."""
    emu: Emulator = emulator(request)
    if request.method == "POST":
        body = await _body(request)
        now = time.time()
        if body.pop("clear", False):
            emu.faults.clear()
        if body.pop("expire_access_tokens", False):
            emu.oauth.expire_access_tokens(now)
        for name, apply in _SETTINGS.items():
            if name in body:
                apply(emu, body.pop(name), now)
        emu.faults.update(body)
    return json_response(_faults_body(emu))


def _choice(name: str, allowed: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in allowed:
            raise errors.bad_request(f"'{name}' must be one of {', '.join(allowed)}.")
        return value

    return check


def _number(name: str) -> Callable[[Any], float]:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise errors.bad_request(f"'{name}' must be a non-negative number.")
        return value

    return check


def _set_quota_used(emu: Emulator, value: Any, now: float) -> None:
    emu.quota.set_used_today(emu.client_id, int(_number("quota_used")(value)), now)


_SETTINGS: dict[str, Callable[[Emulator, Any, float], None]] = {
    "access_token_ttl": lambda emu, v, now: setattr(
        emu.oauth, "access_token_ttl", int(_number("access_token_ttl")(v))
    ),
    "refresh_token_mode": lambda emu, v, now: setattr(
        emu.oauth,
        "refresh_token_mode",
        _choice("refresh_token_mode", ("rotating", "long_lived"))(v),
    ),
    "rps": lambda emu, v, now: setattr(emu.limiter, "rps", _number("rps")(v)),
    "daily_limit": lambda emu, v, now: setattr(emu.quota, "limit", int(_number("daily_limit")(v))),
    "quota_used": _set_quota_used,
    "max_queued_activities": lambda emu, v, now: setattr(
        emu.config, "max_queued_activities", int(_number("max_queued_activities")(v))
    ),
    "activity_seconds": lambda emu, v, now: setattr(
        emu.config, "activity_seconds", float(_number("activity_seconds")(v))
    ),
    "cursor_mode": lambda emu, v, now: setattr(
        emu.config, "cursor_mode", _choice("cursor_mode", ("offset", "keyset"))(v)
    ),
}


def _faults_body(emu: Emulator) -> dict[str, Any]:
    return {
        **emu.faults.as_dict(),
        "access_token_ttl": emu.oauth.access_token_ttl,
        "refresh_token_mode": emu.oauth.refresh_token_mode,
        "rps": emu.limiter.rps,
        "daily_limit": emu.quota.limit,
        "quota_used": emu.quota.used_today(),
        "max_queued_activities": emu.config.max_queued_activities,
        "activity_seconds": emu.config.activity_seconds,
        "cursor_mode": emu.config.cursor_mode,
    }


async def export(request: Request) -> Response:
    emu: Emulator = emulator(request)
    resource = request.path_params["resource"]
    exporters = core_exporters()
    for extension in emu.extensions:
        exporters.update(extension.exporters)
    if resource not in exporters:
        raise errors.ApiError(
            404, errors.NOT_FOUND, f"Unknown export {resource!r}; known: {', '.join(exporters)}."
        )
    return json_response(exporters[resource](emu.state))


def core_exporters() -> dict[str, Any]:
    def export_contacts(state: EmulatorState) -> list[dict[str, Any]]:
        return [serialize.contact(c, serialize.ALL_INCLUDES) for c in state.contacts.values()]

    def export_lists(state: EmulatorState) -> list[dict[str, Any]]:
        return [serialize.contact_list(lst, len(lst.members)) for lst in state.lists.values()]

    def export_tags(state: EmulatorState) -> list[dict[str, Any]]:
        return [serialize.tag(t, len(t.members)) for t in state.tags.values()]

    def export_segments(state: EmulatorState) -> list[dict[str, Any]]:
        out = []
        for segment in state.segments.values():
            body = serialize.segment(segment, detail=True)
            if segment.deleted_at is not None:
                body["deleted_at"] = timefmt.iso_seconds(segment.deleted_at)
            out.append(body)
        return out

    return {
        "contacts": export_contacts,
        "contact_lists": export_lists,
        "contact_tags": export_tags,
        "custom_fields": lambda state: [
            serialize.custom_field(f) for f in state.custom_fields.values()
        ],
        "segments": export_segments,
        "account": lambda state: state.account,
    }


async def exchanges(request: Request) -> Response:
    emu: Emulator = emulator(request)
    if request.method == "DELETE":
        emu.exchanges.clear()
        return Response(status_code=204)
    return json_response(emu.exchanges)


async def mint_token(request: Request) -> Response:
    """A refresh token for a new grant with the given scopes (default: all)."""
    emu: Emulator = emulator(request)
    body = await _body(request)
    raw = body.get("scopes", " ".join(ALL_SCOPES))
    scopes = (
        tuple(raw.split())
        if isinstance(raw, str)
        else tuple(raw)
        if isinstance(raw, list)
        else None
    )
    if scopes is None or any(s not in KNOWN_SCOPES for s in scopes):
        raise errors.bad_request(
            f"'scopes' must be a space-separated string of {', '.join(KNOWN_SCOPES)}."
        )
    token = emu.oauth.mint_refresh_token(scopes, time.time())
    return json_response(
        {
            "client_id": emu.client_id,
            "client_secret": emu.oauth.seeded_client.client_secret,
            "refresh_token": token,
            "scope": " ".join(scopes),
        }
    )


async def save(request: Request) -> Response:
    emu: Emulator = emulator(request)
    if emu.config.state_file is None:
        raise errors.bad_request("Start the emulator with --state-file to save its state.")
    emu.save()
    return json_response({"saved": str(emu.config.state_file)})


async def health(request: Request) -> Response:
    return json_response({"status": "ok"})


routes = [
    Route("/_emulator/actions", post_actions, methods=["POST"]),
    Route("/_emulator/stats", get_stats, methods=["GET"]),
    Route("/_emulator/reset", post_reset, methods=["POST"]),
    Route("/_emulator/faults", faults, methods=["GET", "POST"]),
    Route("/_emulator/export/{resource}", export, methods=["GET"]),
    Route("/_emulator/exchanges", exchanges, methods=["GET", "DELETE"]),
    Route("/_emulator/tokens", mint_token, methods=["POST"]),
    Route("/_emulator/save", save, methods=["POST"]),
    Route("/_emulator/health", health, methods=["GET"]),
]
