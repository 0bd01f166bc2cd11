"""tap-constantcontact: the Singer tap for the Constant Contact v3 API."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import typing as t
from functools import cached_property

import click
from singer_sdk import Tap
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError

from constantcontact_client import ClientSettings, ConstantContactClient
from constantcontact_client.endpoints import required_scope
from constantcontact_client.errors import ConstantContactError
from tap_constantcontact.budget import RunBudget
from tap_constantcontact.campaign_index import CampaignIndex
from tap_constantcontact.connection_test import run_checks
from tap_constantcontact.custom_fields import CustomFieldColumns
from tap_constantcontact.poll_config import parse_poll_resources
from tap_constantcontact.responses import InvalidResponseError
from tap_constantcontact.settings import TapSettings, config_jsonschema
from tap_constantcontact.streams import STREAM_TYPES
from tap_constantcontact.streams.change_events import ChangeEventsStream
from tap_constantcontact.streams.poll import PollResourceStream
from tap_constantcontact.window import run_start_from

if t.TYPE_CHECKING:
    from singer_sdk import Stream
    from singer_sdk.plugin_base import _ConfigInput

#: Names `poll_resources` entries may not take.
BUILT_IN_STREAMS = frozenset(
    [*(stream_type.name for stream_type in STREAM_TYPES), ChangeEventsStream.name]
)


class TapConstantContact(Tap):
    """Constant Contact contacts, lists, campaigns, tracking events and change events."""

    name = "tap-constantcontact"
    config_jsonschema = config_jsonschema()
    # The contacts schema has a typed column per custom field of the account.
    dynamic_catalog = True
    message_writer_class = MsgSpecWriter

    # Settings and the shared client -------------------------------------------------------

    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The SDK's JSON-schema check, then the settings' own rules, before any request."""
        # Private in the SDK, but the one hook that runs first in every mode (sync,
        # --discover, --test), and whose errors the CLI prints as one line each.
        try:  # first: its messages name the entry and the field, the JSON schema's do not
            parse_poll_resources(self.config.get("poll_resources"), reserved_names=BUILT_IN_STREAMS)
        except ValueError as exc:
            if raise_errors:
                raise ConfigValidationError("Config validation failed", errors=[str(exc)]) from None
            return [str(exc)]
        errors = super()._validate_config(raise_errors=raise_errors)
        if errors:
            return errors
        try:
            ClientSettings.from_config(self.config)
            TapSettings.from_config(self.config, reserved_names=BUILT_IN_STREAMS)
        except (ConstantContactError, ValueError) as exc:
            errors = [str(exc)]
            if raise_errors:
                raise ConfigValidationError("Config validation failed", errors=errors) from None
        return errors

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:
        """The SDK's; a tap with a dynamic catalog discovers (and calls the API) here, so a
        failure here closes the client too."""
        try:
            super().__init__(*args, **kwargs)
        except BaseException:
            self.log_api_usage()
            raise

    @cached_property
    def tap_settings(self) -> TapSettings:
        """The tap's own settings, validated."""
        return TapSettings.from_config(self.config, reserved_names=BUILT_IN_STREAMS)

    @cached_property
    def client(self) -> ConstantContactClient:
        """One client per run, shared by every stream: one token, one pace, one count."""
        return ConstantContactClient(ClientSettings.from_config(self.config), logger=self.logger)

    @cached_property
    def run_start(self) -> dt.datetime:
        """The run start, frozen: the upper bound of every window and every bookmark."""
        return run_start_from(dt.datetime.fromtimestamp(self.initialized_at / 1000, dt.UTC))

    @cached_property
    def custom_field_definitions(self) -> list[dict[str, t.Any]]:
        """The account's custom field definitions, read once per run (at most 100: one call)."""
        return list(
            self.client.paginate(
                "/contact_custom_fields", params={"limit": 100}, records_key="custom_fields"
            )
        )

    @cached_property
    def custom_field_columns(self) -> CustomFieldColumns | None:
        """The typed `cf_` columns; None when `custom_field_columns` is off or the contacts'
        `custom_fields` are not requested."""
        settings = self.tap_settings
        if not settings.custom_field_columns or "custom_fields" not in settings.contacts_include:
            return None
        return CustomFieldColumns(self.custom_field_definitions)

    @cached_property
    def budget(self) -> RunBudget:
        """Whether this run stopped at `max_requests_per_run`, and what it left undone."""
        return RunBudget()

    @cached_property
    def tracking_lower(self) -> dt.datetime:
        """The start of the tracking window: `tracking_lookback_days` before the run start."""
        return self.run_start - self.tap_settings.tracking_lookback

    @cached_property
    def campaign_index(self) -> CampaignIndex:
        """The run's campaign details and tracked activities, shared by the campaign streams."""
        return CampaignIndex(tracking_lower=self.tracking_lower, run_start=self.run_start)

    @property
    def change_feed(self) -> ChangeEventsStream | None:
        """The `change_events` stream when it is selected (the sources publish to it)."""
        stream = self.streams.get(ChangeEventsStream.name)
        if isinstance(stream, ChangeEventsStream) and stream.selected:
            return stream
        return None

    def unselected_change_sources(self) -> list[str]:
        """Sources of `change_events` that are not selected in this run."""
        return [
            stream.name
            for stream in self.streams.values()
            if getattr(stream, "change_object_type", None) and not stream.selected
        ]

    def discover_streams(self) -> list[Stream]:
        """The built-in streams, one per `poll_resources` entry, and `change_events` last
        (it closes the run's events after every source)."""
        streams: list[Stream] = [stream_type(tap=self) for stream_type in STREAM_TYPES]
        for resource in self.tap_settings.poll_resources:
            entry = self.input_catalog.get_stream(resource.name) if self.input_catalog else None
            schema = entry.schema.to_dict() if entry is not None else None
            streams.append(PollResourceStream(self, resource, schema=schema))
        streams.append(ChangeEventsStream(self))
        return streams

    def load_streams(self) -> list[Stream]:
        """The SDK's order (by name), with `change_events` moved last: it closes the bookmark
        of the events every source stream wrote."""
        streams = super().load_streams()
        return sorted(streams, key=lambda stream: isinstance(stream, ChangeEventsStream))

    def log_api_usage(self) -> None:
        """Log the run's API calls by endpoint and the daily budget left; release the client.

        After a stop at `max_requests_per_run`, also what the run left for the next one.
        Runs once, after every sync, discovery or failed start, successful or not: a run
        that ends on `quota_exceeded` shows what it spent too.
        """
        stopped = "budget" in self.__dict__ and self.budget.stopped
        if stopped and not getattr(self, "_budget_reported", False):
            self._budget_reported = True
            self.logger.warning("%s", self.budget.summary())
        if "client" in self.__dict__:
            self.client.close()

    def sync_all(self) -> None:
        """Sync every selected stream; then, even after a failure, log the usage and close."""
        try:
            super().sync_all()
        finally:
            self.log_api_usage()

    def run_discovery(self) -> str:
        """Write the catalog; then log the usage and close the client."""
        try:
            return super().run_discovery()
        finally:
            self.log_api_usage()

    # The command line ---------------------------------------------------------------------

    @classmethod
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        """Run the tap; an API or credentials failure ends with one clear line."""
        _exit_on_api_error(
            cls.logger, lambda: super(TapConstantContact, cls).invoke(*args, **kwargs)
        )

    @classmethod
    def cb_discover(
        cls,
        ctx: click.Context,
        param: click.Option,
        value: bool,
    ) -> None:
        """Discovery reads the custom field definitions; report failures in one line."""
        _exit_on_api_error(
            cls.logger, lambda: super(TapConstantContact, cls).cb_discover(ctx, param, value)
        )

    @classmethod
    def cb_test(
        cls,
        ctx: click.Context,
        param: click.Option,
        value: str,
    ) -> None:
        """`--test`: check the credentials and each scope the streams need.

        One line per check; exit 1 when any failed. `--test=schema` is the SDK's.
        """
        if value != "all":
            super().cb_test(ctx, param, value)
            return
        config: _ConfigInput = ctx.params["config"]
        tap = cls(
            config=config.config,
            parse_env_config=config.parse_env,
            validate_config=True,
            setup_mapper=False,
        )
        scopes = [stream_type.required_scope for stream_type in STREAM_TYPES]
        scopes += [
            required_scope("GET", resource.path) or "contact_data"
            for resource in tap.tap_settings.poll_resources
        ]
        checks = run_checks(tap.client, scopes)
        for check in checks:
            level = logging.INFO if check.passed else logging.ERROR
            cls.logger.log(
                level,
                "Connection test %s: %s",
                "passed" if check.passed else "FAILED",
                check.detail,
            )
        tap.log_api_usage()
        ctx.exit(0 if all(check.passed for check in checks) else 1)


def _exit_on_api_error(logger: logging.Logger, run: t.Callable[[], None]) -> None:
    """Run `run`; an API error or unusable API data is logged as one line and exits 1."""
    try:
        run()
    except ConfigValidationError:
        raise
    except (ConstantContactError, InvalidResponseError) as exc:
        logger.error("%s", exc)  # noqa: TRY400 - the message is complete; a traceback adds noise
        sys.exit(1)
