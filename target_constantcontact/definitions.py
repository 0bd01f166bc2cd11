"""Lists, tags and custom fields of the target account, by name; created when missing.

Contact records name lists, tags and custom fields three ways: by name, by target id, or by
source id (records of the tap's `contacts` stream). The `contact_lists`, `contact_tags` and
`custom_fields` streams feed the source-id -> name maps, so a tap -> target run copies an
account, and they create or update those definitions in the target.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from constantcontact_client.errors import ConflictError, PayloadError
from constantcontact_client.names import matching_names
from target_constantcontact.calls import ResentConflictError
from target_constantcontact.mapping import MAX_CUSTOM_FIELDS
from target_constantcontact.model import ContactIntent, RecordError, Ref

if TYPE_CHECKING:
    from target_constantcontact.calls import CallCounter

logger = logging.getLogger(__name__)

LIST = "list"
TAG = "tag"
CUSTOM_FIELD = "custom_field"

_DRY_RUN_PREFIX = "dry-run:"


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    path: str
    records_key: str
    id_key: str
    name_key: str
    page_size: int
    error_word: str  # "list", "tag", "custom field"
    stream: str  # the tap stream that carries these definitions


KINDS = {
    # /contact_lists: the schema allows 1000 a page, its description says 500 (the tap's choice)
    LIST: Kind(LIST, "/contact_lists", "lists", "list_id", "name", 500, "list", "contact_lists"),
    TAG: Kind(TAG, "/contact_tags", "tags", "tag_id", "name", 500, "tag", "contact_tags"),
    CUSTOM_FIELD: Kind(
        CUSTOM_FIELD,
        "/contact_custom_fields",
        "custom_fields",
        "custom_field_id",
        "name",
        100,
        "custom field",
        "custom_fields",
    ),
}


def custom_field_name(label: str) -> str:
    """The API derives a custom field's `name` from its label, blanks replaced by underscores."""
    return "_".join(label.split())


class AmbiguousNameError(Exception):
    """A name with no exact match and several that differ from it only in case."""

    def __init__(self, kind: Kind, name: str, matches: list[str]) -> None:
        self.kind = kind
        self.name = name
        self.matches = matches
        super().__init__(
            f"{kind.error_word} {name!r} matches {len(matches)} {kind.error_word}s of the target "
            f"account that differ only in case ({', '.join(map(repr, matches))}); use the exact "
            "name"
        )


@dataclass(slots=True)
class _Catalog:
    """One kind's definitions in the target account."""

    kind: Kind
    by_name: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    created: set[str] = field(default_factory=set)  # names created during this run

    def add(self, item: dict[str, Any]) -> None:
        self.by_name[item[self.kind.name_key]] = item
        self.by_id[item[self.kind.id_key]] = item

    def find(self, name: str) -> dict[str, Any] | None:
        """The exact name, else the one name equal to it ignoring case (`matching_names`);
        None when there is none. Raises `AmbiguousNameError` when several names match."""
        matches = matching_names(name, self.by_name)
        if len(matches) > 1:
            raise AmbiguousNameError(self.kind, name, matches)
        return self.by_name[matches[0]] if matches else None


class Definitions:
    """The target account's lists, tags and custom fields, and the source -> target maps."""

    def __init__(
        self,
        client: Any,
        *,
        create_missing: bool,
        dry_run: bool,
        calls: CallCounter,
    ) -> None:
        self._client = client
        self.create_missing = create_missing
        self.dry_run = dry_run
        self._calls = calls
        self._catalogs: dict[str, _Catalog] | None = None
        self._lock = threading.RLock()
        # source id -> the source definition record (from the definition streams)
        self.source: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in KINDS}
        # resolutions memoized per run, dropped whenever a definition is added or changed
        self._resolved: dict[tuple[str, str, str], str] = {}
        self._cleared_by_replace: list[tuple[str, str]] | None = None

    def _changed(self) -> None:
        self._resolved.clear()
        self._cleared_by_replace = None

    # -- source definitions ------------------------------------------------------------------

    def add_source(self, kind: str, record: dict[str, Any]) -> None:
        source_id = record.get(KINDS[kind].id_key)
        if isinstance(source_id, str) and source_id:
            self.source[kind][source_id] = record
            self._changed()

    def source_name(self, kind: str, source_id: str) -> str | None:
        record = self.source[kind].get(source_id)
        if record is None:
            return None
        if kind == CUSTOM_FIELD:
            return record.get("name") or custom_field_name(record.get("label") or "") or None
        return record.get("name")

    # -- target definitions ------------------------------------------------------------------

    @property
    def catalogs(self) -> dict[str, _Catalog]:
        catalogs = self._catalogs
        if catalogs is not None:
            return catalogs
        with self._lock:
            if self._catalogs is None:
                self._catalogs = {name: self._load(kind) for name, kind in KINDS.items()}
                self._changed()
            return self._catalogs

    def _load(self, kind: Kind) -> _Catalog:
        catalog = _Catalog(kind)
        params: dict[str, Any] = {"limit": kind.page_size}
        for item in self._calls.paginate(self._client, kind.path, params, kind.records_key):
            if not item.get("deleted_at"):
                catalog.add(item)
        logger.info("Target account has %d %ss", len(catalog.by_id), kind.error_word)
        return catalog

    def _reload(self, kind: str) -> _Catalog:
        """Read one kind's definitions again (the others stay as they are)."""
        catalog = self._load(KINDS[kind])
        catalog.created = self.catalogs[kind].created
        self.catalogs[kind] = catalog
        self._changed()
        return catalog

    def find(self, kind: str, name: str) -> dict[str, Any] | None:
        """See `_Catalog.find`: raises `AmbiguousNameError` for a name that matches several."""
        return self.catalogs[kind].find(name)

    def _find_unambiguous(self, kind: str, name: str) -> dict[str, Any] | None:
        try:
            return self.find(kind, name)
        except AmbiguousNameError:
            return None

    def name_of(self, kind: str, target_id: str) -> str | None:
        item = self.catalogs[kind].by_id.get(target_id)
        return item[KINDS[kind].name_key] if item else None

    def was_created(self, kind: str, name: str) -> bool:
        return name in self.catalogs[kind].created

    def create(self, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        """Create one definition (or pretend to, in a dry run); returns the stored item."""
        spec = KINDS[kind]
        catalog = self.catalogs[kind]
        name = body["name"] if kind != CUSTOM_FIELD else custom_field_name(body["label"])
        with self._lock:
            if self.dry_run:
                item = {spec.id_key: f"{_DRY_RUN_PREFIX}{kind}:{name}", spec.name_key: name, **body}
            else:
                try:
                    item = self._calls.write(self._client, "POST", spec.path, body, "definition")
                except ConflictError as exc:
                    # created meanwhile (by someone else, or by our own first attempt when
                    # this answers a resend), or a deleted one holds the name
                    reloaded = self._reload(kind)
                    existing = self._find_unambiguous(kind, name)
                    if existing is None:
                        raise
                    if isinstance(exc, ResentConflictError):
                        reloaded.created.add(existing[spec.name_key])
                    return existing
                item.setdefault(spec.name_key, name)
            catalog.add(item)
            catalog.created.add(item[spec.name_key])
            self._changed()
            logger.info("Created %s %r", spec.error_word, item[spec.name_key])
            return item

    def update(self, kind: str, target_id: str, body: dict[str, Any]) -> dict[str, Any]:
        spec = KINDS[kind]
        with self._lock:
            if self.dry_run:
                item = {**self.catalogs[kind].by_id[target_id], **body}
            else:
                item = self._calls.write(
                    self._client, "PUT", f"{spec.path}/{target_id}", body, "definition"
                )
            self.catalogs[kind].add(item)
            self._changed()
            return item

    # -- resolving contact records -------------------------------------------------------------

    def prepare(self, intents: list[ContactIntent]) -> None:
        """Create the definitions the intents need and may create (one call each)."""
        wanted: dict[str, dict[str, dict[str, Any]]] = {kind: {} for kind in KINDS}
        for intent in intents:
            for kind, refs in (
                (LIST, intent.list_refs or ()),
                (TAG, intent.tag_refs or ()),
                (CUSTOM_FIELD, (intent.custom_field_refs or {}).keys()),
            ):
                for ref, value in refs:
                    body = self._creation_body(kind, ref, value)
                    if body is not None:
                        wanted[kind][body.get("name") or body.get("label")] = body
        for kind, bodies in wanted.items():
            for name, body in bodies.items():
                try:
                    if self.find(kind, name if kind != CUSTOM_FIELD else custom_field_name(name)):
                        continue
                except AmbiguousNameError:
                    continue  # not created: resolving the records reports the ambiguity
                try:
                    self.create(kind, body)
                except PayloadError as exc:
                    logger.warning("Could not create %s: %s", KINDS[kind].error_word, exc)

    def _creation_body(self, kind: str, ref: str, value: str) -> dict[str, Any] | None:
        if ref == Ref.SOURCE_ID:
            record = self.source[kind].get(value)
            if record is None or record.get("deleted_at"):
                return None
            return creation_body(kind, record)
        if ref == Ref.NAME and self.create_missing:
            if kind == CUSTOM_FIELD:
                return {"label": value, "type": "string"}
            return {"name": value}
        return None

    def resolve(self, intent: ContactIntent) -> None:
        """Fill the intent's target ids; raise `RecordError` naming the unknown reference."""
        if intent.list_refs is not None:
            intent.list_ids = frozenset(
                self._resolve_ref(LIST, ref, value, "list_memberships")
                for ref, value in intent.list_refs
            )
        if intent.tag_refs is not None:
            intent.tag_ids = frozenset(
                self._resolve_ref(TAG, ref, value, "taggings") for ref, value in intent.tag_refs
            )
        if intent.custom_field_refs is not None:
            self._resolve_custom_fields(intent)

    def _resolve_ref(self, kind: str, ref: str, value: str, field_name: str) -> str:
        key = (kind, ref, value)
        resolved = self._resolved.get(key)
        if resolved is None:
            resolved = self._resolved[key] = self._resolve_ref_uncached(
                kind, ref, value, field_name
            )
        return resolved

    def _resolve_ref_uncached(self, kind: str, ref: str, value: str, field_name: str) -> str:
        spec = KINDS[kind]
        catalog = self.catalogs[kind]
        if ref == Ref.ID:
            if value in catalog.by_id:
                return value
            raise RecordError(
                f"unknown_{kind}_id",
                f"{field_name}: {spec.error_word} id {value} does not exist in the target account",
                field_name,
            )
        if ref == Ref.SOURCE_ID:
            name = self.source_name(kind, value)
            if name is None:
                if value in catalog.by_id:  # same account: the source id is a target id
                    return value
                raise RecordError(
                    f"unknown_{kind}_id",
                    f"{field_name}: source {spec.error_word} id {value} is unknown: send the "
                    f"{spec.stream} stream too, or name the {spec.error_word}",
                    field_name,
                )
            if self.source[kind][value].get("deleted_at"):
                raise RecordError(
                    f"deleted_{kind}",
                    f"{field_name}: source {spec.error_word} {name!r} is deleted in the source "
                    "account",
                    field_name,
                )
        else:
            name = value
        try:
            item = catalog.find(name)
        except AmbiguousNameError as exc:
            raise RecordError(f"ambiguous_{kind}", f"{field_name}: {exc}", field_name) from None
        if item is None:
            raise RecordError(
                f"unknown_{kind}",
                f"{field_name}: {spec.error_word} {name!r} does not exist in the target account "
                "(set create_missing_definitions to create it)",
                field_name,
            )
        return item[spec.id_key]

    def _resolve_custom_fields(self, intent: ContactIntent) -> None:
        refs = intent.custom_field_refs or {}
        values: dict[str, str | None] = {}
        by_name = any(ref == Ref.NAME for ref, _ in refs)
        # names first, then source ids: the tap's raw array wins over its typed cf_ columns
        for (ref, value_key), value in sorted(
            refs.items(), key=lambda item: item[0][0] != Ref.NAME
        ):
            if ref == Ref.NAME:
                try:
                    custom_field_id = self._resolve_ref(
                        CUSTOM_FIELD, Ref.NAME, value_key, f"cf_{value_key}"
                    )
                except RecordError:
                    if value is None:
                        continue  # nothing to clear in a field the account does not have
                    raise
            elif (
                ref == Ref.SOURCE_ID
                and intent.custom_fields_replace
                and by_name
                and value_key not in self.source[CUSTOM_FIELD]
                and value_key not in self.catalogs[CUSTOM_FIELD].by_id
            ):
                continue  # unknown source id: the cf_ columns carry this value by name
            else:
                custom_field_id = self._resolve_ref(CUSTOM_FIELD, ref, value_key, "custom_fields")
            values[custom_field_id] = value
        if intent.custom_fields_replace:
            # the tap's array lists every value the contact has: known fields it lacks are empty
            for source_id, custom_field_id in self._replace_universe():
                if (Ref.SOURCE_ID, source_id) not in refs:
                    values.setdefault(custom_field_id, None)
        kept = sum(1 for value in values.values() if value is not None)
        if kept > MAX_CUSTOM_FIELDS:
            raise RecordError(
                "too_many_custom_fields",
                f"custom_fields: the record sets {kept} custom fields; the limit is "
                f"{MAX_CUSTOM_FIELDS}",
                "custom_fields",
            )
        intent.custom_fields = values

    def _replace_universe(self) -> list[tuple[str, str]]:
        """(source id, target id) of every source custom field the target has."""
        if self._cleared_by_replace is None:
            universe = []
            for source_id in self.source[CUSTOM_FIELD]:
                name = self.source_name(CUSTOM_FIELD, source_id)
                item = self._find_unambiguous(CUSTOM_FIELD, name) if name else None
                if item is not None:
                    universe.append((source_id, item["custom_field_id"]))
            self._cleared_by_replace = universe
        return self._cleared_by_replace


def creation_body(kind: str, record: dict[str, Any]) -> dict[str, Any]:
    """The POST body that creates a definition like the source `record`."""
    if kind == LIST:
        body: dict[str, Any] = {"name": record["name"]}
        if record.get("description") is not None:
            body["description"] = record["description"]
        if record.get("favorite") is not None:
            body["favorite"] = bool(record["favorite"])
        return body
    if kind == TAG:
        body = {"name": record["name"]}
        if isinstance(record.get("tag_source"), str):
            body["tag_source"] = record["tag_source"]
        return body
    label = record.get("label") or record.get("name")
    body = {"label": label, "type": record.get("type") or "string"}
    metadata = record.get("metadata")
    if isinstance(metadata, dict) and any(value is not None for value in metadata.values()):
        body["metadata"] = {key: value for key, value in metadata.items() if value is not None}
    if isinstance(record.get("version"), int):
        body["version"] = record["version"]
    choices = [
        {"choice_label": choice["choice_label"], "display_order": choice.get("display_order")}
        for choice in record.get("choices") or []
        if isinstance(choice, dict) and choice.get("choice_label")
    ]
    if choices:
        body["choices"] = [
            {key: value for key, value in choice.items() if value is not None} for choice in choices
        ]
    return body
