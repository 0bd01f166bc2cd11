"""Validate API requests and responses against the official spec (openapi-core).

    from support.openapi import assert_conforms, validate_exchange

    problems = validate_exchange(exchange)          # one recorded exchange -> list of problems
    assert_conforms(emu.exchanges())                # every exchange; fails listing the problems
    assert_conforms_response(response)              # a requests.Response (and its request)

Exchanges are the dicts of `GET /_emulator/exchanges` (`--record-exchanges`). The spec's server
is `https://api.cc.email/v3` and its paths are relative to it, so `http://127.0.0.1:PORT/v3/x`
is validated as `https://api.cc.email/v3/x`.

The spec is parsed once per test session (it is 700 KB). Where the spec itself is wrong, it is
patched in memory before validation; each patch is listed in `SPEC_PATCHES` and in
docs/spec-deviations.md. The emulator follows the real API, not the spec's mistakes.
"""

from __future__ import annotations

import copy
import functools
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
import yaml
from openapi_core import Config, OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse

import constantcontact_emulator

SPEC_PATH = Path(constantcontact_emulator.__file__).parent / "spec" / "openapi3.yaml"
SPEC_HOST = "https://api.cc.email"

# Error statuses the API documents for every endpoint (API README §2-§3) although many
# operations in the spec do not list them. An undeclared one of these is not a deviation of the
# emulator; its body shape is checked by the behaviour tests instead.
GENERIC_ERROR_STATUSES = frozenset({400, 401, 403, 404, 405, 415, 429, 500, 503})


def _csv_enum_to_pattern(spec: dict[str, Any]) -> None:
    """Query parameters typed `string` + `format: csv` + `enum` take comma-separated lists
    (`include=custom_fields,notes`), but a JSON-schema enum accepts only one value."""
    for path_item in spec["paths"].values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if schema.get("format") == "csv" and "enum" in schema:
                    values = "|".join(re.escape(str(v)) for v in schema.pop("enum"))
                    schema["pattern"] = f"^({values})(,({values}))*$"


def _writable_membership_ids(spec: dict[str, Any]) -> None:
    """`list_memberships` and `taggings` items are marked readOnly in the POST/PUT request
    schemas, yet those requests are how memberships are set."""
    schemas = spec["components"]["schemas"]
    for name in ("ContactPostRequest", "ContactPutRequest"):
        for prop in ("list_memberships", "taggings"):
            schemas[name]["properties"][prop]["items"].pop("readOnly", None)


def _uuid_csv_params(spec: dict[str, Any]) -> None:
    """`GET /contacts?tags=` is a comma-separated list of up to 50 tag ids, not one uuid."""
    for parameter in spec["paths"]["/contacts"]["get"]["parameters"]:
        if parameter["name"] == "tags":
            parameter["schema"].pop("format", None)


def _bulk_id_list_limits(spec: dict[str, Any]) -> None:
    """Several bulk-activity id arrays say `maxItems: 0` (which refuses any id) where their
    descriptions give the real limits (up to 50 lists or tags, 500 contacts, 100 fields)."""
    schemas = spec["components"]["schemas"]
    remove = schemas["ListActivityRemoveContacts"]["properties"]
    limits = [
        (remove["source"]["properties"]["list_ids"], 50),
        (remove["source"]["properties"]["contact_ids"], 500),
        (remove["source"]["properties"]["tag_ids"], 50),
        (remove["list_ids"], 50),
        (schemas["ListActivityAddContacts"]["properties"]["source"]["properties"]["tag_ids"], 50),
        (schemas["CustomFieldId100"]["properties"]["custom_field_ids"], 100),
    ]
    for array, limit in limits:
        if array.get("maxItems") == 0:
            array["maxItems"] = limit


SPEC_PATCHES: tuple[Callable[[dict[str, Any]], None], ...] = (
    _csv_enum_to_pattern,
    _writable_membership_ids,
    _uuid_csv_params,
    _bulk_id_list_limits,
)


@functools.cache
def spec_dict() -> dict[str, Any]:
    """The parsed spec with SPEC_PATCHES applied (cached; do not mutate)."""
    # the C-accelerated *safe* loader: parsing 700 KB with the pure-Python one takes seconds
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    spec = yaml.load(SPEC_PATH.read_text(), Loader=loader)  # noqa: S506 - a safe loader
    for patch in SPEC_PATCHES:
        patch(spec)
    return spec


@functools.cache
def openapi() -> OpenAPI:
    # openapi-core leaves text/csv bodies (the contact export download) as bytes; the spec
    # types them as a string.
    config = Config(extra_media_type_deserializers={"text/csv": _text})
    return OpenAPI.from_dict(copy.deepcopy(spec_dict()), config=config)


def _text(value: bytes, **parameters: str) -> str:
    return value.decode(parameters.get("charset", "utf-8"))


def _request(
    method: str,
    path: str,
    query: str | Iterable[tuple[str, str]],
    body: bytes,
    content_type: str | None,
) -> MockRequest:
    pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else list(query)
    # pairs, not a dict: some parameters repeat (bounce_code)
    return MockRequest(
        SPEC_HOST,
        method,
        path,
        args=pairs,  # type: ignore[arg-type]
        data=body,
        content_type=content_type or "application/json",
    )


def _declared_statuses(method: str, path: str) -> set[str] | None:
    for template, item in spec_dict()["paths"].items():
        regex = "^/v3" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(regex, path) and method.lower() in item:
            return set(item[method.lower()].get("responses", {}))
    return None


def validate(
    method: str,
    path: str,
    *,
    query: str | Iterable[tuple[str, str]] = "",
    request_body: bytes = b"",
    request_content_type: str | None = None,
    status: int,
    response_body: bytes = b"",
    response_content_type: str | None = "application/json",
    check_request: bool = True,
    check_failed_requests: bool = True,
) -> list[str]:
    """Problems found validating one request/response pair; empty when it conforms.

    `check_failed_requests=False` skips the request check when the API answered 4xx/5xx: for
    tests that send invalid requests on purpose. A client under test should keep it on.
    """
    where = f"{method} {path} -> {status}"
    request = _request(method, path, query, request_body, request_content_type)
    response = MockResponse(
        response_body, status, content_type=response_content_type or "application/json"
    )
    problems: list[str] = []
    with warnings.catch_warnings():
        # openapi-core cannot check OAuth2 security schemes and warns about it.
        warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)
        if check_request and (check_failed_requests or status < 400):
            try:
                openapi().validate_request(request)
            except (PathNotFound, OperationNotFound) as exc:
                return [f"{where}: not an operation of the spec ({exc})"]
            except Exception as exc:
                problems.append(f"{where}: request: {_describe(exc)}")
        declared = _declared_statuses(method, path)
        if declared is None:
            return [*problems, f"{where}: not an operation of the spec"]
        if str(status) not in declared and "default" not in declared:
            if status in GENERIC_ERROR_STATUSES:
                return problems
            return [
                *problems,
                f"{where}: status {status} is not declared (declared: {sorted(declared)})",
            ]
        try:
            openapi().validate_response(request, response)
        except ResponseNotFound as exc:
            problems.append(f"{where}: response: {exc}")
        except Exception as exc:
            problems.append(f"{where}: response: {_describe(exc)}")
    return problems


def validate_exchange(
    exchange: Mapping[str, Any], *, check_request: bool = True, check_failed_requests: bool = True
) -> list[str]:
    """Validate one exchange recorded by the emulator (`GET /_emulator/exchanges`)."""
    return validate(
        exchange["method"],
        exchange["path"],
        query=exchange.get("query", ""),
        request_body=exchange.get("request_body", "").encode(),
        request_content_type=exchange.get("request_headers", {}).get("content-type"),
        status=exchange["status"],
        response_body=exchange.get("response_body", "").encode(),
        response_content_type=exchange.get("response_headers", {}).get("content-type"),
        check_request=check_request,
        check_failed_requests=check_failed_requests,
    )


def validate_response(response: requests.Response, *, check_request: bool = True) -> list[str]:
    """Validate a `requests` response and the request that produced it, mapping the emulator's
    `http://127.0.0.1:PORT/v3/...` onto the spec's server."""
    request = response.request
    url = urlsplit(request.url or "")
    body = request.body or b""
    return validate(
        request.method or "GET",
        url.path,
        query=url.query,
        request_body=body.encode() if isinstance(body, str) else body,
        request_content_type=request.headers.get("Content-Type"),
        status=response.status_code,
        response_body=response.content,
        response_content_type=response.headers.get("Content-Type"),
        check_request=check_request,
    )


def assert_conforms(
    exchanges: Iterable[Mapping[str, Any]],
    *,
    check_request: bool = True,
    check_failed_requests: bool = True,
) -> int:
    """Fail listing every problem; returns how many exchanges were checked."""
    problems: list[str] = []
    count = 0
    for exchange in exchanges:
        count += 1
        problems.extend(
            validate_exchange(
                exchange, check_request=check_request, check_failed_requests=check_failed_requests
            )
        )
    assert not problems, "spec conformance problems:\n" + "\n".join(problems)
    return count


def assert_conforms_response(response: requests.Response, *, check_request: bool = True) -> None:
    problems = validate_response(response, check_request=check_request)
    assert not problems, "spec conformance problems:\n" + "\n".join(problems)


def _describe(exc: Exception) -> str:
    parts = [f"{type(exc).__name__}: {exc}"]
    cause = exc.__cause__
    while cause is not None:
        details = getattr(cause, "schema_errors", None)
        if details:
            parts.extend(str(getattr(e, "message", e))[:300] for e in details)
        else:
            parts.append(str(cause)[:300])
        cause = cause.__cause__
    return " | ".join(parts)
