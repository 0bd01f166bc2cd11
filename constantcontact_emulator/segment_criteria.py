"""Segment criteria: validation and evaluation of the JSON the API stores as a string.

The real criteria language is larger than what the spec shows. The emulator evaluates the
sources `list_membership`, `tags` and `contact` (a set of contact fields with common operators),
nested in `and`/`or` groups. A `tracking` condition needs campaign data and matches no contact
(documented in docs/spec-deviations.md).

Example: {"version":"1.0.0","criteria":{"type":"and","group":[
  {"source":"list_membership","field":"list_membership","op":"contains-any","const_value":["<list_id>"]},
  {"source":"contact","field":"city","op":"eq","const_value":"Boston"}]}}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from constantcontact_emulator import errors, timefmt
from constantcontact_emulator.state import Contact

Predicate = Callable[[Contact], bool]

SOURCES = ("list_membership", "tags", "contact", "tracking")
CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "job_title",
    "company_name",
    "email_address",
    "email_domain",
    "permission_to_send",
    "city",
    "state",
    "country",
    "postal_code",
    "created_at",
    "updated_at",
    "birthday_month",
)
OPERATORS = (
    "eq",
    "ne",
    "contains",
    "not-contains",
    "starts-with",
    "ends-with",
    "contains-any",
    "contains-none",
    "after",
    "before",
    "gt",
    "lt",
    "exists",
)


def parse(criteria_text: str) -> dict[str, Any]:
    """Validate `segment_criteria` (a JSON string); 400 naming the problem."""
    try:
        document = msgspec.json.decode(criteria_text.encode())
    except msgspec.DecodeError:
        raise errors.bad_request("Invalid 'segment_criteria': not valid JSON.") from None
    if not isinstance(document, dict) or not isinstance(document.get("criteria"), dict):
        raise errors.bad_request("Invalid 'segment_criteria': a 'criteria' object is required.")
    _check_node(document["criteria"], "criteria")
    return document


def _check_node(node: Any, where: str) -> None:
    if not isinstance(node, dict):
        raise errors.bad_request(f"Invalid 'segment_criteria': {where} must be an object.")
    if "group" in node:
        if node.get("type") not in ("and", "or"):
            raise errors.bad_request(f"Invalid 'segment_criteria': {where}.type must be and or or.")
        group = node["group"]
        if not isinstance(group, list) or not group:
            raise errors.bad_request(
                f"Invalid 'segment_criteria': {where}.group must be a non-empty array."
            )
        for index, child in enumerate(group):
            _check_node(child, f"{where}.group[{index}]")
        return
    source = node.get("source")
    if source not in SOURCES:
        raise errors.bad_request(
            f"Invalid 'segment_criteria': {where}.source must be one of {', '.join(SOURCES)}."
        )
    if source == "contact" and node.get("field") not in CONTACT_FIELDS:
        raise errors.bad_request(
            f"Invalid 'segment_criteria': {where}.field {node.get('field')!r} is not a supported "
            "contact field."
        )
    if source != "tracking" and node.get("op") not in OPERATORS:
        raise errors.bad_request(
            f"Invalid 'segment_criteria': {where}.op {node.get('op')!r} is not supported."
        )


def compile_predicate(document: dict[str, Any]) -> Predicate:
    return _compile(document["criteria"])


def _compile(node: dict[str, Any]) -> Predicate:
    if "group" in node:
        children = [_compile(child) for child in node["group"]]
        if node["type"] == "and":
            return lambda c: all(p(c) for p in children)
        return lambda c: any(p(c) for p in children)
    return _compile_condition(node["source"], node.get("op"), node.get("const_value"), node)


def _compile_condition(source: str, op: str | None, value: Any, node: dict[str, Any]) -> Predicate:
    if source in ("list_membership", "tags"):
        ids = set(_as_list(value))
        attribute = "list_memberships" if source == "list_membership" else "taggings"
        if op == "contains-none":
            return lambda c: not ids.intersection(getattr(c, attribute))
        return lambda c: bool(ids.intersection(getattr(c, attribute)))
    if source == "contact":
        return _compare(_field_getter(node["field"]), op or "eq", value)
    return lambda c: False  # tracking: needs campaign data


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return []


def _field_getter(name: str) -> Callable[[Contact], Any]:
    if name == "email_address":
        return lambda c: c.email_address.address if c.email_address else None
    if name == "email_domain":
        return lambda c: c.email_address.address.rsplit("@", 1)[-1] if c.email_address else None
    if name == "permission_to_send":
        return lambda c: c.permission
    if name in ("city", "state", "country", "postal_code"):
        return lambda c: getattr(c.street_addresses[0], name) if c.street_addresses else None
    return lambda c: getattr(c, name)


def _compare(getter: Callable[[Contact], Any], op: str, value: Any) -> Predicate:
    if op == "exists":
        return lambda c: getter(c) not in (None, "")
    if op in ("after", "before"):
        try:
            bound = timefmt.parse_datetime(str(value))
        except ValueError:
            raise errors.bad_request(
                f"Invalid 'segment_criteria': {value!r} is not a date."
            ) from None
        if op == "after":
            return lambda c: (getter(c) or 0) > bound
        return lambda c: getter(c) is not None and getter(c) < bound
    if op in ("contains-any", "contains-none"):
        wanted = {v.lower() for v in _as_list(value)}
        if op == "contains-any":
            return lambda c: str(getter(c) or "").lower() in wanted
        return lambda c: str(getter(c) or "").lower() not in wanted
    text = str(value if value is not None else "").lower()

    def as_text(c: Contact) -> str:
        return str(getter(c) if getter(c) is not None else "").lower()

    comparisons: dict[str, Predicate] = {
        "eq": lambda c: as_text(c) == text,
        "ne": lambda c: as_text(c) != text,
        "contains": lambda c: text in as_text(c),
        "not-contains": lambda c: text not in as_text(c),
        "starts-with": lambda c: as_text(c).startswith(text),
        "ends-with": lambda c: as_text(c).endswith(text),
        "gt": lambda c: _number(getter(c)) > _number(value),
        "lt": lambda c: _number(getter(c)) < _number(value),
    }
    return comparisons[op]


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")
