"""Intents + the account's current state -> the cheapest set of writes, and outcomes.

Each intent gets a route:
- `none`: nothing to write (unchanged, skipped, or failed before any call);
- `import`: the bulk JSON import sets its values (creates or updates), with list additions
  carried by the import's `list_ids` and list removals and tag changes by bulk activities;
- `post` / `put`: one call for this contact: small batches, values to clear (the import cannot
  clear), revivals of deleted contacts, unsubscribes, emails over the import's 50 characters;
- `delete`: bulk `contact_delete` (500 ids a call), or single calls for small batches.

Grouping: `list_ids` of an import (and the lists or tags of a membership activity) apply to
every contact in the request. Contacts are either grouped by their exact set, or sent once per
list/tag; `cheapest_requests` counts both and keeps the plan with fewer calls.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import msgspec

from target_constantcontact.model import (
    ADDRESS_PARTS,
    Action,
    ContactIntent,
    ExistingContact,
    Outcome,
)
from target_constantcontact.payloads import DesiredContact, import_row, one_per_kind

IMPORT_MAX_CONTACTS = 40_000
# The API silently drops what lies past 4 MB; keep a margin for the envelope.
IMPORT_MAX_BYTES = 4 * 1024 * 1024 - 64 * 1024
IMPORT_MAX_EMAIL = 50
MAX_IDS_PER_ACTIVITY = 500
MAX_LISTS_PER_REQUEST = 50
MAX_TAGS_PER_REQUEST = 50

T = TypeVar("T", bound=Hashable)
_encode = msgspec.json.Encoder().encode


class Route(enum.StrEnum):
    NONE = "none"
    IMPORT = "import"
    POST = "post"
    PUT = "put"
    DELETE = "delete"


@dataclass(slots=True, eq=False)
class ContactWork:
    """One contact's planned change and, once executed, its result."""

    intent: ContactIntent
    existing: ExistingContact | None
    route: Route = Route.NONE
    expected: Outcome = Outcome.UNCHANGED
    desired: DesiredContact | None = None
    row: dict[str, Any] | None = None
    row_bytes: int = 0
    lists_add: frozenset[str] = frozenset()
    lists_remove: frozenset[str] = frozenset()
    tags_add: frozenset[str] = frozenset()
    tags_remove: frozenset[str] = frozenset()
    unsubscribe: bool = False
    revive: bool = False
    # lists an import added this contact to only to carry it (removed once it completed)
    carrier: frozenset[str] = frozenset()
    notes: list[str] = field(default_factory=list)
    # results
    outcome: Outcome | None = None
    error_key: str | None = None
    error: str | None = None
    contact_id: str | None = None

    @property
    def is_new(self) -> bool:
        return self.existing is None

    def fail(self, error_key: str, message: str) -> None:
        if self.outcome is not Outcome.FAILED:
            self.outcome, self.error_key, self.error = Outcome.FAILED, error_key, message

    def finish(self, outcome: Outcome | None = None) -> None:
        if self.outcome is None:
            self.outcome = outcome or self.expected


@dataclass(slots=True)
class ImportRequest:
    list_ids: frozenset[str]
    works: list[ContactWork]
    size: int = 0  # bytes of the rows

    def __post_init__(self) -> None:
        self.size = sum(work.row_bytes for work in self.works)


@dataclass(slots=True)
class MembershipRequest:
    kind: str  # "list_remove", "tag_add", "tag_remove"
    target_ids: frozenset[str]
    works: list[ContactWork]


@dataclass(slots=True)
class Plan:
    works: list[ContactWork]
    singles: list[ContactWork] = field(default_factory=list)
    imports: list[ImportRequest] = field(default_factory=list)
    deletes: list[list[ContactWork]] = field(default_factory=list)
    memberships: list[MembershipRequest] = field(default_factory=list)
    staging_list_id: str | None = None

    @property
    def write_requests(self) -> int:
        return (
            len(self.singles)
            + len(self.imports)
            + len(self.deletes)
            + len(self.memberships)
            + (1 if self.staging_list_id else 0)
        )


@dataclass(slots=True)
class PlannerSettings:
    bulk_threshold: int = 5
    add_only_memberships: bool = False
    write_notes: bool = False
    default_list_id: str | None = None


class Planner:
    def __init__(
        self,
        settings: PlannerSettings,
        custom_field_name: Callable[[str], str | None],
    ) -> None:
        self.settings = settings
        self._custom_field_name = custom_field_name

    def plan(
        self,
        intents: Sequence[ContactIntent],
        lookup: Callable[[str], ExistingContact | None],
        staging_list_id: Callable[[], str],
    ) -> Plan:
        works = [self._classify(intent, lookup(intent.match_key)) for intent in intents]
        plan = Plan(works=works)
        writes = [work for work in works if work.route in {Route.IMPORT, Route.POST, Route.PUT}]
        bulk_candidates = [work for work in writes if work.route is Route.IMPORT]
        if len(writes) < self.settings.bulk_threshold:
            for work in bulk_candidates:
                work.route = Route.POST if work.is_new else Route.PUT
            bulk_candidates = []
        plan.singles = [work for work in works if work.route in {Route.POST, Route.PUT}]
        deletes = [work for work in works if work.route is Route.DELETE]
        if len(deletes) < self.settings.bulk_threshold:
            plan.singles.extend(deletes)
        else:
            plan.deletes = [
                deletes[i : i + MAX_IDS_PER_ACTIVITY]
                for i in range(0, len(deletes), MAX_IDS_PER_ACTIVITY)
            ]
        self._plan_imports(plan, bulk_candidates, staging_list_id)
        existing_bulk = [work for work in bulk_candidates if not work.is_new]
        plan.memberships = membership_requests(existing_bulk, new_contacts=False)
        return plan

    # -- one contact -----------------------------------------------------------------------

    def _classify(self, intent: ContactIntent, existing: ExistingContact | None) -> ContactWork:
        work = ContactWork(intent=intent, existing=existing)
        if existing is not None:
            work.contact_id = existing.contact_id
        if intent.action is Action.DELETE:
            return self._classify_delete(work)
        if existing is None or existing.deleted:
            if intent.action is Action.UPDATE:
                where = "is deleted in" if existing else "does not exist in"
                work.fail("not_found", f"the contact {where} the target account")
                return work
            if existing is None and intent.email is None:
                work.fail("not_found", "no contact with this contact_id in the target account")
                return work
            return self._classify_new(work)
        if intent.action is Action.CREATE:
            work.fail("already_exists", "a contact with this email exists in the target account")
            return work
        return self._classify_existing(work)

    @staticmethod
    def _classify_delete(work: ContactWork) -> ContactWork:
        existing = work.existing
        if existing is None:
            work.outcome = Outcome.SKIPPED
            work.error = "not in the target account: nothing to delete"
        elif existing.deleted:
            work.outcome = Outcome.UNCHANGED
            work.error = "already deleted in the target account"
        else:
            work.route, work.expected = Route.DELETE, Outcome.DELETED
        return work

    def _classify_new(self, work: ContactWork) -> ContactWork:
        intent = work.intent
        work.desired = desired = DesiredContact(
            intent, work.existing, add_only_memberships=self.settings.add_only_memberships
        )
        work.expected = Outcome.CREATED
        work.unsubscribe = intent.unsubscribe
        if work.existing is not None:  # deleted: revive through PUT
            work.route, work.revive = Route.PUT, True
            return work
        notes = self.settings.write_notes and bool(desired.notes)
        phones = one_per_kind(desired.phones)
        if (
            intent.unsubscribe
            or notes
            or len(intent.email or "") > IMPORT_MAX_EMAIL
            or phones is None
        ):
            work.route = Route.POST  # the import cannot set these: one call does it all
            return work
        work.route = Route.IMPORT
        work.lists_add = desired.list_ids
        work.tags_add = desired.tag_ids
        work.row = import_row(
            intent.email or "",
            desired.fields,
            phones,
            {k: {p: v for p, v in parts.items() if v} for k, parts in desired.addresses.items()},
            self._custom_field_values(desired.custom_fields),
        )
        return work

    def _custom_field_values(self, values: dict[str, str | None]) -> dict[str, str]:
        result = {}
        for custom_field_id, value in values.items():
            name = self._custom_field_name(custom_field_id)
            if name is not None and value is not None:
                result[name] = value
        return result

    def _classify_existing(self, work: ContactWork) -> ContactWork:
        intent, existing = work.intent, work.existing
        if existing is None:  # pragma: no cover - callers pass an existing contact
            raise ValueError(existing)
        work.desired = desired = DesiredContact(
            intent, existing, add_only_memberships=self.settings.add_only_memberships
        )
        changes = value_changes(intent, existing, desired)
        work.lists_add = desired.list_ids - existing.list_ids
        work.lists_remove = existing.list_ids - desired.list_ids
        work.tags_add = desired.tag_ids - existing.tag_ids
        work.tags_remove = existing.tag_ids - desired.tag_ids
        if existing.unsubscribed and work.lists_add:
            # an opted-out contact is never put back on lists (that would re-opt it in)
            work.error = "unsubscribed in the target: not added to lists"
            work.lists_add = frozenset()
            desired.list_ids = existing.list_ids - work.lists_remove
        needs_put = changes.needs_put
        if intent.unsubscribe and not existing.unsubscribed:
            work.unsubscribe = needs_put = True
        if self.settings.write_notes and desired.notes != existing.notes:
            needs_put = True
        if len(existing.email) > IMPORT_MAX_EMAIL and changes.any_value:
            needs_put = True  # the import takes emails of 50 characters at most
        memberships = work.lists_add or work.lists_remove or work.tags_add or work.tags_remove
        if not (needs_put or changes.any_value or memberships):
            work.outcome = Outcome.UNCHANGED
            return work
        work.expected = Outcome.UPDATED
        if needs_put:
            work.route = Route.PUT
            return work
        work.route = Route.IMPORT
        if changes.any_value or work.lists_add:
            work.row = import_row(
                existing.email,
                changes.fields,
                changes.phones,
                changes.addresses,
                self._custom_field_values(changes.custom_fields),
            )
        return work

    # -- bulk requests ---------------------------------------------------------------------

    def _plan_imports(
        self,
        plan: Plan,
        candidates: list[ContactWork],
        staging_list_id: Callable[[], str],
    ) -> None:
        rows = [work for work in candidates if work.row is not None]
        for work in rows:
            work.row_bytes = len(_encode(work.row)) + 1
        carried: dict[ContactWork, frozenset[str]] = {}
        listless: list[ContactWork] = []
        for work in rows:
            if work.lists_add:
                carried[work] = work.lists_add
            elif work.is_new and self.settings.default_list_id:
                carried[work] = frozenset({self.settings.default_list_id})
            else:
                listless.append(work)
        requests = cheapest_requests(
            carried,
            max_targets=MAX_LISTS_PER_REQUEST,
            max_members=IMPORT_MAX_CONTACTS,
            max_bytes=IMPORT_MAX_BYTES,
            size=lambda work: work.row_bytes,
        )
        plan.imports = [ImportRequest(targets, members) for targets, members in requests]
        carriers: list[ImportRequest] = []  # reuse one carrier: one removal call afterwards
        staged = [work for work in listless if not _ride_along(work, plan.imports, carriers)]
        if staged:
            plan.staging_list_id = staging_list_id()
            chunks = _chunks(staged, IMPORT_MAX_CONTACTS, IMPORT_MAX_BYTES, lambda w: w.row_bytes)
            for chunk in chunks:
                plan.imports.append(ImportRequest(frozenset({plan.staging_list_id}), chunk))


def _ride_along(
    work: ContactWork, requests: list[ImportRequest], carriers: list[ImportRequest]
) -> bool:
    """Put a contact with no list to add into another import (the API needs a list), on lists
    it neither has nor wants: one removal call afterwards, instead of a staging import too."""
    keep = work.desired.list_ids if work.desired else frozenset()
    if work.existing is not None:
        keep = keep | work.existing.list_ids
    candidates = [
        *carriers,
        *sorted(requests, key=lambda item: (len(item.list_ids), len(item.works))),
    ]
    for request in candidates:
        if request.list_ids & keep or len(request.works) >= IMPORT_MAX_CONTACTS:
            continue
        if request.size + work.row_bytes > IMPORT_MAX_BYTES:
            continue
        request.works.append(work)
        request.size += work.row_bytes
        work.carrier = request.list_ids
        if request not in carriers:
            carriers.append(request)
        return True
    return False


def membership_requests(
    works: Iterable[ContactWork], *, new_contacts: bool
) -> list[MembershipRequest]:
    """List removals and tag changes, as few activities as the grouping allows."""
    works = list(works)
    result: list[MembershipRequest] = []
    kinds: list[tuple[str, Callable[[ContactWork], frozenset[str]], int]] = [
        ("tag_add", lambda work: work.tags_add, MAX_TAGS_PER_REQUEST),
    ]
    if not new_contacts:
        kinds += [
            ("tag_remove", lambda work: work.tags_remove, MAX_TAGS_PER_REQUEST),
            ("list_remove", lambda work: work.lists_remove, MAX_LISTS_PER_REQUEST),
        ]
    for kind, targets_of, max_targets in kinds:
        assignments = {work: targets_of(work) for work in works if targets_of(work)}
        for targets, members in cheapest_requests(
            assignments, max_targets=max_targets, max_members=MAX_IDS_PER_ACTIVITY
        ):
            result.append(MembershipRequest(kind, targets, members))
    return result


def carrier_removals(works: Iterable[ContactWork]) -> list[MembershipRequest]:
    """Take contacts off the lists that only carried them through an import."""
    assignments = {work: work.carrier for work in works if work.carrier and work.contact_id}
    return [
        MembershipRequest("list_remove", targets, members)
        for targets, members in cheapest_requests(
            assignments, max_targets=MAX_LISTS_PER_REQUEST, max_members=MAX_IDS_PER_ACTIVITY
        )
    ]


def cheapest_requests(
    assignments: dict[T, frozenset[str]],
    *,
    max_targets: int,
    max_members: int,
    max_bytes: int | None = None,
    size: Callable[[T], int] | None = None,
) -> list[tuple[frozenset[str], list[T]]]:
    """Requests that give every member exactly its targets: by exact set, or one per target.

    Returns whichever needs fewer requests (ties go to grouping by set: fewer rows sent).
    """
    if not assignments:
        return []
    by_set: dict[frozenset[str], list[T]] = defaultdict(list)
    by_target: dict[str, list[T]] = defaultdict(list)
    for member, targets in assignments.items():
        by_set[targets].append(member)
        for target in targets:
            by_target[target].append(member)
    grouped = [
        (targets, chunk)
        for targets, members in by_set.items()
        for chunk in _chunks(members, max_members, max_bytes, size)
    ]
    if all(len(targets) <= 1 for targets in by_set):
        return grouped
    single = [
        (frozenset({target}), chunk)
        for target, members in sorted(by_target.items())
        for chunk in _chunks(members, max_members, max_bytes, size)
    ]
    if any(len(targets) > max_targets for targets, _ in grouped):
        raise ValueError(f"a member has more than {max_targets} targets")
    return single if len(single) < len(grouped) else grouped


def _chunks(
    members: list[T],
    max_members: int,
    max_bytes: int | None = None,
    size: Callable[[T], int] | None = None,
) -> list[list[T]]:
    chunks: list[list[T]] = []
    current: list[T] = []
    current_bytes = 0
    for member in members:
        member_bytes = size(member) if size else 0
        too_big = max_bytes is not None and current_bytes + member_bytes > max_bytes
        if current and (len(current) >= max_members or too_big):
            chunks.append(current)
            current, current_bytes = [], 0
        current.append(member)
        current_bytes += member_bytes
    if current:
        chunks.append(current)
    return chunks


@dataclass(slots=True)
class ValueChanges:
    """Values an existing contact must take; `needs_put` when some must be cleared."""

    fields: dict[str, Any] = field(default_factory=dict)
    phones: dict[str, str] = field(default_factory=dict)
    addresses: dict[str, dict[str, str]] = field(default_factory=dict)
    custom_fields: dict[str, str | None] = field(default_factory=dict)
    needs_put: bool = False

    @property
    def any_value(self) -> bool:
        return bool(self.fields or self.phones or self.addresses or self.custom_fields)


def value_changes(
    intent: ContactIntent, existing: ExistingContact, desired: DesiredContact
) -> ValueChanges:
    changes = ValueChanges()
    for name, wanted in intent.fields.items():
        if existing.fields.get(name) == wanted:
            continue
        if wanted is None:
            changes.needs_put = True
        else:
            changes.fields[name] = wanted
    if intent.email is not None and intent.email.lower() != existing.email.lower():
        changes.needs_put = True  # matched by contact_id: the address itself changes

    if sorted(existing.phones) != sorted(desired.phones):
        current, wanted = one_per_kind(existing.phones), one_per_kind(desired.phones)
        if current is None or wanted is None or set(current) - set(wanted):
            changes.needs_put = True  # a phone to remove, or several of a kind
        else:
            changes.phones = {k: v for k, v in wanted.items() if current.get(k) != v}

    _address_changes(existing, desired, changes)
    _custom_field_changes(existing, desired, changes)
    return changes


def _address_changes(
    existing: ExistingContact, desired: DesiredContact, changes: ValueChanges
) -> None:
    for kind in set(existing.addresses) | set(desired.addresses):
        current = existing.addresses.get(kind) or {}
        wanted_parts = desired.addresses.get(kind) or {}
        differing = [
            part
            for part in ADDRESS_PARTS
            if (current.get(part) or None) != (wanted_parts.get(part) or None)
        ]
        if any(not wanted_parts.get(part) for part in differing):
            changes.needs_put = True  # a part to clear
        elif differing:
            # the whole address of this kind: an import replaces it as one
            changes.addresses[kind] = {p: v for p, v in wanted_parts.items() if v}


def _custom_field_changes(
    existing: ExistingContact, desired: DesiredContact, changes: ValueChanges
) -> None:
    for custom_field_id in set(existing.custom_fields) | set(desired.custom_fields):
        current_value = existing.custom_fields.get(custom_field_id)
        wanted_value = desired.custom_fields.get(custom_field_id)
        if current_value == wanted_value:
            continue
        if wanted_value is None:
            changes.needs_put = True
        else:
            changes.custom_fields[custom_field_id] = wanted_value
