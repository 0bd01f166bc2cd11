"""Parsing and validation of query parameters and JSON bodies.

Every failure is a 400 (415 for a non-JSON body) naming the parameter or field, in the API's
array error shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec
from starlette.requests import Request

from constantcontact_emulator import errors, timefmt

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class QueryParams:
    """Query parameters as ordered (name, value) pairs; also what a cursor carries."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.pairs = [(k, v) for k, v in pairs]

    def get(self, name: str) -> str | None:
        for key, value in self.pairs:
            if key == name:
                return value
        return None

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self.pairs if key == name]

    def without(self, *names: str) -> QueryParams:
        return QueryParams((k, v) for k, v in self.pairs if k not in names)

    def __contains__(self, name: object) -> bool:
        return any(key == name for key, _ in self.pairs)


def is_uuid(value: str) -> bool:
    return bool(_UUID.match(value))


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value))


def parse_int(
    name: str, raw: str | None, *, minimum: int, maximum: int | None, default: int
) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise errors.invalid_param(name, raw, "must be an integer") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f">= {minimum}"
        raise errors.invalid_param(name, raw, f"must be {bound}")
    return value


def parse_bool(name: str, raw: str | None, *, default: bool = False) -> bool:
    if raw is None or raw == "":
        return default
    lowered = raw.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise errors.invalid_param(name, raw, "must be true or false")


def parse_datetime(name: str, raw: str | None) -> float | None:
    if raw is None or raw == "":
        return None
    try:
        return timefmt.parse_datetime(raw)
    except ValueError:
        raise errors.invalid_param(name, raw, "must be an ISO-8601 date-time") from None


def parse_enum(name: str, raw: str | None, allowed: Sequence[str]) -> str | None:
    if raw is None or raw == "":
        return None
    if raw not in allowed:
        raise errors.invalid_param(name, raw, f"must be one of {', '.join(allowed)}")
    return raw


def parse_csv_enum(name: str, raw: str | None, allowed: Sequence[str]) -> list[str]:
    """A comma-separated list whose every item is one of `allowed`."""
    items = parse_csv(raw)
    for item in items:
        if item not in allowed:
            raise errors.invalid_param(
                name, raw or "", f"each value must be one of {', '.join(allowed)}"
            )
    return items


def parse_csv(raw: str | None) -> list[str]:
    if not raw:
        return []
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_uuid_csv(name: str, raw: str | None, *, max_items: int) -> list[str]:
    items = parse_csv(raw)
    if len(items) > max_items:
        raise errors.invalid_param(name, raw or "", f"at most {max_items} ids")
    for item in items:
        if not is_uuid(item):
            raise errors.invalid_param(name, raw or "", f"{item!r} is not a valid id")
    return items


# --- JSON bodies -------------------------------------------------------------------------------


async def read_json(request: Request, *, expect: type = dict) -> Any:
    """The request body as JSON. 415 unless the Content-Type is application/json."""
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise errors.ApiError(
            415,
            errors.UNSUPPORTED_MEDIA_TYPE,
            f"Unsupported Media Type {content_type or '(none)'!r}: send application/json.",
        )
    raw = await request.body()
    if not raw.strip():
        raise errors.bad_request("The request body is required.")
    try:
        body = msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise errors.bad_request(f"Malformed JSON in the request body: {exc}") from None
    if not isinstance(body, expect):
        kind = "object" if expect is dict else "array"
        raise errors.bad_request(f"The request body must be a JSON {kind}.")
    return body


class Fields:
    """Typed access to a JSON object; errors name the field by its path, e.g.
    `email_address.address`."""

    def __init__(self, data: Mapping[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix

    def path(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def has(self, name: str) -> bool:
        return name in self.data and self.data[name] is not None

    def _fail(self, name: str, message: str) -> errors.ApiError:
        return errors.bad_request(f"Invalid '{self.path(name)}': {message}.")

    def text(self, name: str, **rules: Any) -> str:
        """A required string (see `string` for the rules)."""
        value = self.string(name, required=True, **rules)
        if value is None:  # string(required=True) raised already; this keeps typing honest
            raise errors.bad_request(f"'{self.path(name)}' is required.")
        return value

    def string(
        self,
        name: str,
        *,
        required: bool = False,
        max_length: int | None = None,
        min_length: int = 0,
        allowed: Sequence[str] | None = None,
    ) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required:
                raise errors.bad_request(f"'{self.path(name)}' is required.")
            return None
        if not isinstance(value, str):
            raise self._fail(name, "must be a string")
        if max_length is not None and len(value) > max_length:
            raise self._fail(name, f"must be at most {max_length} characters")
        if len(value) < min_length:
            raise self._fail(name, f"must be at least {min_length} characters")
        if allowed is not None and value not in allowed:
            raise self._fail(name, f"must be one of {', '.join(allowed)}")
        return value

    def integer(
        self,
        name: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self.data.get(name)
        if value is None:
            if required:
                raise errors.bad_request(f"'{self.path(name)}' is required.")
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(name, "must be an integer")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise self._fail(name, f"must be between {minimum} and {maximum}")
        return value

    def boolean(self, name: str) -> bool | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self._fail(name, "must be true or false")
        return value

    def obj(self, name: str, *, required: bool = False) -> Fields | None:
        value = self.data.get(name)
        if value is None:
            if required:
                raise errors.bad_request(f"'{self.path(name)}' is required.")
            return None
        if not isinstance(value, dict):
            raise self._fail(name, "must be an object")
        return Fields(value, f"{self.path(name)}.")

    def objects(self, name: str, *, max_items: int) -> list[Fields] | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, list):
            raise self._fail(name, "must be an array")
        if len(value) > max_items:
            raise self._fail(name, f"must have at most {max_items} items")
        result = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise self._fail(f"{name}[{index}]", "must be an object")
            result.append(Fields(item, f"{self.path(name)}[{index}]."))
        return result

    def id_list(
        self, name: str, *, max_items: int, min_items: int = 0, required: bool = False
    ) -> list[str] | None:
        value = self.data.get(name)
        if value is None:
            if required:
                raise errors.bad_request(f"'{self.path(name)}' is required.")
            return None
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self._fail(name, "must be an array of ids")
        if len(value) > max_items:
            raise self._fail(name, f"must have at most {max_items} items")
        if len(value) < min_items:
            raise self._fail(name, f"must have at least {min_items} item(s)")
        for item in value:
            if not is_uuid(item):
                raise self._fail(name, f"{item!r} is not a valid id")
        return list(dict.fromkeys(value))
