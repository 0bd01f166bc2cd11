"""One target run: the shared client, definitions, account state and ledger, and the pipeline
a batch of contact records goes through (map -> resolve -> read state -> plan -> execute).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Mapping
from functools import cached_property
from typing import Any

from constantcontact_client import ClientSettings, ConstantContactClient
from constantcontact_client.errors import ConfigError, PayloadError
from target_constantcontact.account import ContactDirectory
from target_constantcontact.activities import ActivityRunner
from target_constantcontact.calls import CallCounter
from target_constantcontact.definitions import (
    CUSTOM_FIELD,
    KINDS,
    LIST,
    AmbiguousNameError,
    Definitions,
    creation_body,
    custom_field_name,
)
from target_constantcontact.executor import Executor, ExecutorSettings
from target_constantcontact.ledger import Ledger
from target_constantcontact.model import (
    Action,
    ContactIntent,
    Outcome,
    RecordError,
    RecordResult,
)
from target_constantcontact.planner import ContactWork, Planner, PlannerSettings
from target_constantcontact.settings import TargetSettings

logger = logging.getLogger(__name__)

DEFERRABLE = frozenset({"unknown_list_id", "unknown_tag_id", "unknown_custom_field_id"})


class TargetRun:
    def __init__(self, config: Mapping[str, Any], settings: TargetSettings) -> None:
        self._config = config
        self.settings = settings
        self.calls = CallCounter(dry_run=settings.dry_run)
        self.ledger = Ledger(settings.results_path, dry_run=settings.dry_run)
        self._seq = itertools.count(1)
        self.end_of_pipe = False
        self._default_list_id: str | None = settings.default_list_id

    def next_seq(self) -> int:
        return next(self._seq)

    # -- shared pieces, built on first use (no call is made before a record arrives) ---------

    @cached_property
    def client(self) -> ConstantContactClient:
        return ConstantContactClient(ClientSettings.from_config(self._config), logger=logger)

    @cached_property
    def definitions(self) -> Definitions:
        return Definitions(
            self.client,
            create_missing=self.settings.create_missing_definitions,
            dry_run=self.settings.dry_run,
            calls=self.calls,
        )

    @cached_property
    def directory(self) -> ContactDirectory:
        return ContactDirectory(self.client, self.calls)

    @cached_property
    def runner(self) -> ActivityRunner:
        return ActivityRunner(
            self.client,
            self.calls,
            poll_interval=self.settings.activity_poll_interval,
            timeout=self.settings.activity_timeout,
        )

    # -- contacts -------------------------------------------------------------------------

    def apply_contacts(
        self,
        intents: list[ContactIntent],
        failures: list[RecordResult],
    ) -> list[ContactIntent]:
        """Apply one batch; returns intents deferred until their definitions arrive."""
        results = list(failures)
        deferred: list[ContactIntent] = []
        works: list[ContactWork] = []
        try:
            merged = merge_duplicates(intents)
            if merged:
                self.definitions.prepare(merged)
            ready: list[ContactIntent] = []
            for intent in merged:
                try:
                    self.definitions.resolve(intent)
                except RecordError as error:
                    if error.error_key in DEFERRABLE and not self.end_of_pipe:
                        deferred.append(intent)
                        continue
                    results.extend(_failed(intent, error))
                    continue
                ready.append(intent)
            if ready:
                self._plan_and_execute(ready, works)
        finally:
            results.extend(result for work in works for result in _results(work))
            results.sort(key=lambda result: result.seq)
            self.ledger.write(results)
        return deferred

    def _plan_and_execute(self, intents: list[ContactIntent], works: list[ContactWork]) -> None:
        directory = self.directory
        directory.load(
            (intent.email for intent in intents if intent.email and not intent.contact_id),
            (intent.contact_id for intent in intents if intent.contact_id),
        )
        planner = Planner(
            PlannerSettings(
                bulk_threshold=self.settings.bulk_threshold,
                add_only_memberships=self.settings.add_only_memberships,
                write_notes=self.settings.write_notes,
                default_list_id=self.default_list_id(),
            ),
            custom_field_name=lambda custom_field_id: self.definitions.name_of(
                CUSTOM_FIELD, custom_field_id
            ),
        )
        plan = planner.plan(intents, directory.get, self.staging_list_id)
        works.extend(plan.works)
        executor = Executor(
            self.client,
            self.calls,
            directory,
            self.runner,
            ExecutorSettings(
                write_notes=self.settings.write_notes,
                default_list_id=self.default_list_id(),
                add_only_memberships=self.settings.add_only_memberships,
                dry_run=self.settings.dry_run,
            ),
        )
        executor.run(plan)

    def default_list_id(self) -> str | None:
        if self._default_list_id is None and self.settings.default_list_name:
            name = self.settings.default_list_name
            item = self._find_list("default_list_name", name) or self.definitions.create(
                LIST, {"name": name}
            )
            self._default_list_id = item["list_id"]
        return self._default_list_id

    def staging_list_id(self) -> str:
        name = self.settings.staging_list_name
        item = self._find_list("staging_list_name", name)
        if item is None:
            item = self.definitions.create(
                LIST,
                {"name": name, "description": "Used by target-constantcontact; kept empty."},
            )
        return item["list_id"]

    def _find_list(self, setting: str, name: str) -> dict[str, Any] | None:
        try:
            return self.definitions.find(LIST, name)
        except AmbiguousNameError as exc:
            raise ConfigError(f"{setting}: {exc}", setting=setting) from None

    # -- definitions streams --------------------------------------------------------------------

    def definitions_source(self, kind: str, record: dict) -> None:
        self.definitions.add_source(kind, record)

    def apply_definitions(self, kind: str, stream: str, records: list[tuple[int, dict]]) -> None:
        results = []
        for seq, record in records:
            results.append(self._apply_definition(kind, stream, seq, record))
        self.ledger.write(sorted(results, key=lambda result: result.seq))

    def _apply_definition(self, kind: str, stream: str, seq: int, record: dict) -> RecordResult:
        spec = KINDS[kind]
        label = record.get("label") if kind == CUSTOM_FIELD else None
        name = record.get("name") or (custom_field_name(label) if isinstance(label, str) else None)
        result = RecordResult(
            seq=seq,
            stream=stream,
            key=str(name or record.get(spec.id_key) or ""),
            action=Action.UPSERT.value,
            outcome=Outcome.UNCHANGED,
        )
        error = validate_definition(kind, record)
        if error is not None:
            result.outcome, result.error_key, result.message = Outcome.FAILED, *error
            return result
        if record.get("deleted_at") or record.get("_sdc_deleted_at"):
            result.outcome = Outcome.SKIPPED
            result.message = f"{spec.error_word} is deleted in the source: not copied"
            return result
        try:
            existing = self.definitions.find(kind, name)
            if existing is None:
                existing = self.definitions.create(kind, creation_body(kind, record))
                result.outcome = Outcome.CREATED
            elif self.definitions.was_created(kind, existing[spec.name_key]):
                result.outcome = Outcome.CREATED
            elif kind == LIST and _list_differs(existing, record):
                body = creation_body(kind, record)
                body.setdefault("description", existing.get("description"))
                existing = self.definitions.update(kind, existing["list_id"], body)
                result.outcome = Outcome.UPDATED
            result.contact_id = existing.get(spec.id_key)
        except AmbiguousNameError as exc:
            result.outcome, result.error_key, result.message = (
                Outcome.FAILED,
                f"ambiguous_{kind}",
                str(exc),
            )
        except PayloadError as exc:
            result.outcome, result.error_key, result.message = (
                Outcome.FAILED,
                exc.error_key or f"http_{exc.status}",
                str(exc),
            )
        return result

    # -- end of run ---------------------------------------------------------------------------

    def close(self) -> None:
        self.ledger.close()
        if "client" in self.__dict__:
            self.client.close()

    @property
    def over_failure_limit(self) -> bool:
        return self.ledger.failed > self.settings.max_failed_records

    def summary(self) -> str:
        counts = self.ledger.counts
        outcomes = ", ".join(f"{outcome.value}={counts[outcome.value]}" for outcome in Outcome)
        calls = self.calls.summary()
        # the client's count of the run's calls, which the purposes below break down
        total = self.client.usage.calls_total if "client" in self.__dict__ else 0
        other = total - sum(self.calls.counts.values())
        line = (
            f"{'DRY RUN: ' if self.settings.dry_run else ''}"
            f"{self.ledger.total} records: {outcomes}. API calls: {total} (contact writes="
            f"{calls['writes_bulk'] + calls['writes_single']} (bulk {calls['writes_bulk']}, "
            f"single {calls['writes_single']}), unsubscribe writes={calls['writes_unsubscribe']}, "
            f"definition writes={calls['writes_definition']}, reads={calls['reads']}, "
            f"activity polls={calls['activity_polls']}{f', other={other}' if other else ''})."
        )
        if self.ledger.failed_by_key:
            failures = ", ".join(f"{k}={v}" for k, v in self.ledger.failed_by_key.most_common())
            line += f" Failed by error_key: {failures}."
        if self.ledger.path is not None:
            line += f" Results: {self.ledger.path} (run {self.ledger.run_id})."
        return line


def merge_duplicates(intents: list[ContactIntent]) -> list[ContactIntent]:
    """One intent per contact: later records of the same contact in a batch win, field by field."""
    merged: dict[str, ContactIntent] = {}
    for intent in intents:
        key = intent.match_key
        earlier = merged.get(key)
        if earlier is None:
            merged[key] = intent
            continue
        if intent.action is Action.DELETE or earlier.action is Action.DELETE:
            intent.merged_seqs = [*earlier.merged_seqs, earlier.seq]
            merged[key] = intent
            continue
        earlier.action = intent.action
        earlier.fields.update(intent.fields)
        for name in ("phones", "addresses", "custom_field_refs"):
            later = getattr(intent, name)
            if later is None:
                continue
            replace_flag = f"{name.removesuffix('_refs')}_replace"
            if getattr(intent, replace_flag) or getattr(earlier, name) is None:
                setattr(earlier, name, dict(later))
                setattr(earlier, replace_flag, getattr(intent, replace_flag))
                if name == "phones":
                    earlier.extra_phones = intent.extra_phones
            else:
                getattr(earlier, name).update(later)
        for name in ("list_refs", "tag_refs", "notes"):
            if getattr(intent, name) is not None:
                setattr(earlier, name, getattr(intent, name))
        earlier.unsubscribe = earlier.unsubscribe or intent.unsubscribe
        earlier.opt_out_reason = intent.opt_out_reason or earlier.opt_out_reason
        earlier.email = intent.email or earlier.email
        earlier.merged_seqs.append(intent.seq)
    return list(merged.values())


def _failed(intent: ContactIntent, error: RecordError) -> list[RecordResult]:
    return [
        RecordResult(
            seq=seq,
            stream=intent.stream,
            key=intent.key,
            action=intent.action.value,
            outcome=Outcome.FAILED,
            error_key=error.error_key,
            message=error.message,
        )
        for seq in (intent.seq, *intent.merged_seqs)
    ]


def _results(work: ContactWork) -> list[RecordResult]:
    intent = work.intent
    outcome = work.outcome or Outcome.FAILED
    return [
        RecordResult(
            seq=seq,
            stream=intent.stream,
            key=intent.key,
            action=intent.action.value,
            outcome=outcome,
            contact_id=work.contact_id,
            error_key=work.error_key,
            message=work.error
            or (f"merged with record {intent.seq}" if seq != intent.seq else None),
        )
        for seq in (intent.seq, *intent.merged_seqs)
    ]


def validate_definition(kind: str, record: dict) -> tuple[str, str] | None:
    """(error_key, message) when a definition record cannot be written."""
    field_name, limit = ("label", 50) if kind == CUSTOM_FIELD else ("name", 255)
    value = (
        record.get("label") or record.get("name") if kind == CUSTOM_FIELD else record.get("name")
    )
    field_type = record.get("type") if kind == CUSTOM_FIELD else None
    if not isinstance(value, str) or not value.strip():
        return "missing_key", f"{field_name} is required"
    if len(value) > limit:
        return "too_long", f"{field_name} is {len(value)} characters long; the limit is {limit}"
    if field_type is not None and (not isinstance(field_type, str) or len(field_type) > 20):
        return "invalid_value", "type must be a string of at most 20 characters"
    return None


def _list_differs(existing: dict, record: dict) -> bool:
    for key in ("description", "favorite"):
        if key in record and record[key] is not None and record[key] != existing.get(key):
            return True
    return False
