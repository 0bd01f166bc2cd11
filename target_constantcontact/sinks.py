"""Sinks: contacts, the definitions streams (lists, tags, custom fields), ignored streams.

The SDK's per-record JSON-schema validation and timestamp parsing are switched off: they turn
one bad record into a fatal error and cost most of the target's time (guide §5). The mapping
validates what the write needs, record by record, and fails bad records alone.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from singer_sdk.sinks import BatchSink

from target_constantcontact.mapping import RecordMapper
from target_constantcontact.model import Action, ContactIntent, Outcome, RecordError, RecordResult
from target_constantcontact.settings import DEFINITION_STREAMS

if TYPE_CHECKING:
    from singer_sdk.sinks.core import BaseJSONSchemaValidator

    from target_constantcontact.run import TargetRun
    from target_constantcontact.target import TargetConstantContact


# Python's cyclic GC rescans every live object as a batch of intents grows; the records hold no
# cycles, so the target parks them out of its sight while they wait (this alone was ~40% of the
# planning time for 40,000 contacts) and pauses collection while a batch is planned.
_FREEZE_EVERY = 5_000


@contextmanager
def _gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


class _Sink(BatchSink):
    target: TargetConstantContact

    def __init__(self, target: TargetConstantContact, *args: Any, **kwargs: Any) -> None:
        self.target = target
        super().__init__(target, *args, **kwargs)

    @property
    def run(self) -> TargetRun:
        return self.target.run

    @property
    def include_sdc_metadata_properties(self) -> bool:
        # Keep `_sdc_deleted_at` in records whatever `add_record_metadata` says: it means
        # "delete this contact". The other `_sdc_*` columns are ignored by the mapping.
        return True

    def get_validator(self) -> BaseJSONSchemaValidator | None:
        return None

    def _validate_and_parse(self, record: dict) -> dict:
        # Private SDK hook, overridden on purpose: no schema validation and no timestamp
        # parsing (an unparsable date would stop the run; values are sent as given).
        return record

    def preprocess_record(self, record: dict, context: dict) -> dict:
        # A missing key property is this record's error, not the run's (the SDK would raise).
        for key in self.key_properties:
            record.setdefault(key, None)
        return record


class ContactsSink(_Sink):
    """Contacts, in the tap's schema or as flat warehouse rows."""

    MAX_SIZE_DEFAULT = 10_000

    def setup(self) -> None:
        super().setup()
        settings = self.run.settings
        self.mapper = RecordMapper(
            self.stream_name, settings.action_for(self.stream_name), settings.match_by
        )
        self.deferred: list[ContactIntent] = []
        self._warned_columns: set[str] = set()

    def process_record(self, record: dict, context: dict) -> None:
        seq = self.run.next_seq()
        if seq % _FREEZE_EVERY == 0:
            gc.freeze()
        try:
            context.setdefault("intents", []).append(self.mapper.map(record, seq))
        except RecordError as error:
            context.setdefault("failures", []).append(
                RecordResult(
                    seq=seq,
                    stream=self.stream_name,
                    key=_record_key(record),
                    action=_record_action(record, self.mapper.default_action),
                    outcome=Outcome.FAILED,
                    error_key=error.error_key,
                    message=error.message,
                )
            )

    def process_batch(self, context: dict) -> None:
        self._warn_unknown_columns()
        intents = [*self.deferred, *context.get("intents", [])]
        with _gc_paused():
            self.deferred = self.run.apply_contacts(intents, context.get("failures", []))
        if self.deferred:
            self.logger.info(
                "%d records wait for list, tag or custom field definitions from later streams",
                len(self.deferred),
            )

    def process_deferred(self) -> None:
        """End of input: apply records still waiting for definitions (or fail them)."""
        if self.deferred:
            intents, self.deferred = self.deferred, []
            self.deferred = self.run.apply_contacts(intents, [])

    def _warn_unknown_columns(self) -> None:
        new = self.mapper.unknown_columns - self._warned_columns
        if new:
            self.logger.warning("Columns not written (unknown to the target): %s", sorted(new))
            self._warned_columns |= new


class DefinitionsSink(_Sink):
    """`contact_lists`, `contact_tags`, `custom_fields`: definitions by name, and source ids."""

    MAX_SIZE_DEFAULT = 10_000

    @property
    def kind(self) -> str:
        return DEFINITION_STREAMS[self.stream_name]

    def process_record(self, record: dict, context: dict) -> None:
        # Known at once, so contacts naming these source ids resolve whichever drains first.
        self.run.definitions_source(self.kind, record)
        context.setdefault("records", []).append((self.run.next_seq(), record))

    def process_batch(self, context: dict) -> None:
        self.run.apply_definitions(self.kind, self.stream_name, context.get("records", []))


class IgnoredSink(_Sink):
    """A stream the target does not write, with `unknown_streams: ignore`: its records get a
    `skipped` ledger line each, so the ledger still accounts for every input record."""

    def process_record(self, record: dict, context: dict) -> None:
        key = "/".join(str(record.get(name)) for name in self.key_properties)
        context.setdefault("results", []).append(
            RecordResult(
                seq=self.run.next_seq(),
                stream=self.stream_name,
                key=key,
                action="none",
                outcome=Outcome.SKIPPED,
                message="stream not written by this target (unknown_streams: ignore)",
            )
        )

    def process_batch(self, context: dict) -> None:
        self.run.ledger.write(context.get("results", []))


def _record_key(record: dict) -> str:
    email = record.get("email_address")
    if isinstance(email, dict):
        email = email.get("address")
    value = email or record.get("email") or record.get("contact_id")
    return value if isinstance(value, str) else ""


def _record_action(record: dict, default: Action) -> str:
    if record.get("_sdc_deleted_at"):
        return Action.DELETE.value
    value = record.get("_sdc_action")
    return str(value) if value not in (None, "") else default.value
