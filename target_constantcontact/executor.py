"""Carries out a `Plan`: single calls, bulk activities, read-back, and one result per contact.

Order within a batch:
1. single calls (POST / merged PUT / DELETE), each with its own result;
2. bulk deletes, imports, list removals and tag changes of existing contacts, submitted
   together and then polled to their end state; per-record `activity_errors` are mapped back
   to contacts by the email or contact id they name;
3. contacts created by an import are read back (their new ids, and proof they exist), then
   tagged; the staging list, if one carried contacts without lists, is emptied.
A fatal error (quota exhausted, credentials) marks every contact not yet confirmed as failed
with that reason and stops: the ledger then holds exactly what was applied.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from constantcontact_client.errors import (
    ConflictError,
    ConstantContactError,
    NotFoundError,
    PayloadError,
    QuotaExceededError,
)
from target_constantcontact.account import ContactDirectory
from target_constantcontact.activities import (
    Activity,
    ActivityRunner,
    ActivityTimeoutError,
    emails_in,
    ids_in,
)
from target_constantcontact.calls import CallCounter, ResentConflictError
from target_constantcontact.model import Action, ExistingContact, Outcome
from target_constantcontact.payloads import DesiredContact, post_body, put_body
from target_constantcontact.planner import (
    ContactWork,
    ImportRequest,
    MembershipRequest,
    Plan,
    Route,
    carrier_removals,
    membership_requests,
)

logger = logging.getLogger(__name__)

_MEMBERSHIP_PATHS = {
    "list_remove": ("/activities/remove_list_memberships", "list_ids"),
    "tag_add": ("/activities/contacts_taggings_add", "tag_ids"),
    "tag_remove": ("/activities/contacts_taggings_remove", "tag_ids"),
}


@dataclass(slots=True)
class ExecutorSettings:
    write_notes: bool = False
    default_list_id: str | None = None
    add_only_memberships: bool = False
    dry_run: bool = False


def _error_key(exc: Exception) -> str:
    if isinstance(exc, QuotaExceededError):
        return "quota_exceeded"
    key = getattr(exc, "error_key", None)
    return key or type(exc).__name__


class Executor:
    def __init__(
        self,
        client: Any,
        calls: CallCounter,
        directory: ContactDirectory,
        runner: ActivityRunner,
        settings: ExecutorSettings,
    ) -> None:
        self._client = client
        self._calls = calls
        self._directory = directory
        self._runner = runner
        self.settings = settings
        # activity -> the works it carries
        self._carried: dict[int, tuple[Activity, list[ContactWork]]] = {}

    def run(self, plan: Plan) -> None:
        if self.settings.dry_run:
            for work in plan.works:
                if work.route is not Route.NONE:
                    work.finish()
            return
        started = dt.datetime.now(dt.UTC)
        if plan.write_requests:
            self._directory.touched()
        try:
            self._run(plan, started)
        except (ConstantContactError, ActivityTimeoutError) as exc:
            for work in plan.works:
                if work.outcome is None:
                    work.fail(_error_key(exc), f"not applied or not confirmed: {exc}")
            raise
        for work in plan.works:
            work.finish()

    def _run(self, plan: Plan, started: dt.datetime) -> None:
        for work in plan.singles:
            self._single(work)
        first: list[Activity] = []
        for chunk in plan.deletes:
            body = {"contact_ids": [work.contact_id for work in chunk]}
            first.append(self._submit("delete", "/activities/contact_delete", body, chunk))
        for request in plan.imports:
            first.append(self._submit_import(request))
        first.extend(self._submit_membership(request) for request in plan.memberships)
        self._wait(first)

        created = [
            work
            for request in plan.imports
            for work in request.works
            if work.is_new and work.outcome is None
        ]
        second: list[Activity] = []
        carried = [
            work
            for request in plan.imports
            for work in request.works
            if work.carrier and not work.is_new and work.outcome is None
        ]
        if created:
            self._read_back(created, started)
            taggable = [work for work in created if work.outcome is None and work.tags_add]
            second.extend(
                self._submit_membership(request)
                for request in membership_requests(taggable, new_contacts=True)
            )
            carried += [work for work in created if work.carrier and work.outcome is None]
        second.extend(self._submit_membership(request) for request in carrier_removals(carried))
        if plan.staging_list_id:
            body = {
                "source": {"list_ids": [plan.staging_list_id]},
                "list_ids": [plan.staging_list_id],
            }
            second.append(
                self._submit("staging_cleanup", "/activities/remove_list_memberships", body, [])
            )
        self._wait(second)
        for chunk in plan.deletes:
            for work in chunk:
                if work.outcome is None and work.existing is not None:
                    self._directory.remember(
                        replace(work.existing, deleted=True, list_ids=frozenset())
                    )

    # -- single calls ----------------------------------------------------------------------

    def _single(self, work: ContactWork) -> None:
        try:
            if work.route is Route.DELETE:
                self._delete_one(work)
            elif work.route is Route.POST:
                self._post(work)
            else:
                self._put(work, work.existing)
        except NotFoundError as exc:
            if work.route is Route.DELETE:
                work.outcome, work.error = Outcome.SKIPPED, "not in the target account"
            else:
                work.fail("not_found", str(exc))
        except PayloadError as exc:
            work.fail(exc.error_key or f"http_{exc.status}", str(exc))

    def _delete_one(self, work: ContactWork) -> None:
        self._calls.write(self._client, "DELETE", f"/contacts/{work.contact_id}", None, "single")
        work.outcome = Outcome.DELETED
        if work.existing is not None:
            self._directory.remember(replace(work.existing, deleted=True, list_ids=frozenset()))

    def _post(self, work: ContactWork) -> None:
        desired = work.desired
        if desired is None:  # pragma: no cover - the planner always sets it
            raise ValueError(work)
        body = post_body(work.intent, desired, write_notes=self.settings.write_notes)
        category = "unsubscribe" if work.unsubscribe else "single"
        try:
            resource = self._calls.write(self._client, "POST", "/contacts", body, category)
        except ConflictError as exc:
            # the email exists after all (deleted, or created meanwhile): update it instead
            existing = self._directory.find_email(work.intent.email or "")
            if existing is None:
                raise
            # a resend after a 5xx or a lost answer: our first attempt most likely created it
            ours = isinstance(exc, ResentConflictError) and not existing.deleted
            if work.intent.action is Action.CREATE and not existing.deleted and not ours:
                work.fail("already_exists", "a contact with this email exists in the target")
                return
            work.expected = Outcome.CREATED if existing.deleted or ours else Outcome.UPDATED
            work.revive = existing.deleted
            work.desired = DesiredContact(
                work.intent, existing, add_only_memberships=self.settings.add_only_memberships
            )
            self._put(work, existing)
            return
        contact = ExistingContact.from_api(resource)
        work.contact_id = contact.contact_id
        work.outcome = Outcome.CREATED
        self._directory.remember(contact)

    def _put(self, work: ContactWork, existing: ExistingContact | None) -> None:
        if existing is None or work.desired is None:
            self._post(work)
            return
        desired = work.desired
        if work.revive and not desired.list_ids and self.settings.default_list_id:
            desired.list_ids = frozenset({self.settings.default_list_id})
        body = put_body(
            existing,
            desired,
            email=work.intent.email,
            unsubscribe=work.unsubscribe,
            opt_out_reason=work.intent.opt_out_reason,
            write_notes=self.settings.write_notes,
        )
        category = "unsubscribe" if work.unsubscribe else "single"
        resource = self._calls.write(
            self._client, "PUT", f"/contacts/{existing.contact_id}", body, category
        )
        if resource.get("contact_id"):
            self._directory.remember(ExistingContact.from_api(resource))
        work.contact_id = existing.contact_id
        work.outcome = work.expected
        if work.revive:
            work.error = "revived a deleted contact"

    # -- bulk activities -------------------------------------------------------------------

    def _submit(
        self, kind: str, path: str, body: dict[str, Any], works: list[ContactWork]
    ) -> Activity:
        try:
            activity = self._runner.submit(kind, path, body)
        except PayloadError as exc:
            for work in works:
                work.fail(exc.error_key or f"http_{exc.status}", f"{kind} request refused: {exc}")
            return Activity(kind=kind, path=path, state="refused")
        self._carried[id(activity)] = (activity, works)
        return activity

    def _submit_import(self, request: ImportRequest) -> Activity:
        body = {
            "import_data": [work.row for work in request.works],
            "list_ids": sorted(request.list_ids),
        }
        return self._submit("import", "/activities/contacts_json_import", body, request.works)

    def _submit_membership(self, request: MembershipRequest) -> Activity:
        path, targets_key = _MEMBERSHIP_PATHS[request.kind]
        body = {
            "source": {"contact_ids": [work.contact_id for work in request.works]},
            targets_key: sorted(request.target_ids),
        }
        return self._submit(request.kind, path, body, request.works)

    def _wait(self, activities: list[Activity]) -> None:
        pending = [activity for activity in activities if activity.state != "refused"]
        self._runner.wait(pending)
        for activity in pending:
            _, works = self._carried.pop(id(activity), (activity, []))
            self._apply_errors(activity, works)

    @staticmethod
    def _apply_errors(activity: Activity, works: list[ContactWork]) -> None:
        if not activity.succeeded:
            reason = activity.errors[0] if activity.errors else f"activity {activity.state}"
            for work in works:
                work.fail(f"activity_{activity.state}", f"{activity.kind}: {reason}")
            return
        by_email = {(work.intent.email or "").lower(): work for work in works if work.intent.email}
        by_id = {(work.contact_id or "").lower(): work for work in works if work.contact_id}
        for error in activity.errors:
            hits = [by_email[e] for e in emails_in(error) if e in by_email]
            hits += [by_id[i] for i in ids_in(error) if i in by_id]
            for work in hits:
                work.fail(f"{activity.kind}_error", error)

    def _read_back(self, works: Iterable[ContactWork], started: dt.datetime) -> None:
        works = list(works)
        self._directory.reread((work.intent.email or "" for work in works), started)
        for work in works:
            contact = self._directory.get((work.intent.email or "").lower())
            if contact is None or contact.deleted:
                work.fail(
                    "not_applied",
                    "the import reported no error, but the contact is not in the account",
                )
            else:
                work.contact_id = contact.contact_id
