"""/v3/account: the user's privileges (any valid token) and the account summary."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from constantcontact_emulator.errors import json_response
from constantcontact_emulator.params import Fields, parse_csv_enum, read_json
from constantcontact_emulator.routing import api_route, emulator

SUMMARY_FIELDS = (
    "contact_email",
    "contact_phone",
    "country_code",
    "first_name",
    "last_name",
    "organization_name",
    "organization_phone",
    "state_code",
    "time_zone_id",
    "website",
)


async def privileges(request: Request) -> Response:
    return json_response(emulator(request).state.privileges)


def _summary(account: dict[str, Any], extra: list[str]) -> dict[str, Any]:
    body = {k: v for k, v in account.items() if k not in ("physical_address", "company_logo")}
    for name in extra:
        if account.get(name) is not None:
            body[name] = account[name]
    return body


async def get_summary(request: Request) -> Response:
    extra = parse_csv_enum(
        "extra_fields",
        request.query_params.get("extra_fields"),
        ("physical_address", "company_logo"),
    )
    return json_response(_summary(emulator(request).state.account, extra))


async def put_summary(request: Request) -> Response:
    """A partial update: only the properties sent change; read-only ones are ignored."""
    account = emulator(request).state.account
    body = Fields(await read_json(request))
    for name in SUMMARY_FIELDS:
        value = body.string(name, max_length=80)
        if value is not None:
            account[name] = value
    return json_response(_summary(account, []))


async def get_physical_address(request: Request) -> Response:
    return json_response(emulator(request).state.account.get("physical_address", {}))


routes = [
    api_route("/account/user/privileges", privileges, ["GET"], scope=None),
    api_route("/account/summary", get_summary, ["GET"], scope="account_read"),
    api_route("/account/summary", put_summary, ["PUT"], scope="account_update"),
    api_route(
        "/account/summary/physical_address", get_physical_address, ["GET"], scope="account_read"
    ),
]
