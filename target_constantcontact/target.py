"""target-constantcontact: writes contacts (and their lists, tags, custom fields) to
Constant Contact, in bulk, with one result per input record."""

from __future__ import annotations

import sys
from functools import cached_property
from typing import Any, ClassVar

from singer_sdk import Target
from singer_sdk.contrib.msgspec import MsgSpecReader
from singer_sdk.exceptions import ConfigValidationError
from singer_sdk.helpers.capabilities import PluginCapabilities

from constantcontact_client import CLIENT_SETTINGS, ClientSettings
from constantcontact_client.errors import ConstantContactError
from target_constantcontact.activities import ActivityTimeoutError
from target_constantcontact.run import TargetRun
from target_constantcontact.settings import DEFINITION_STREAMS, TARGET_SETTINGS, TargetSettings
from target_constantcontact.sinks import ContactsSink, DefinitionsSink, IgnoredSink


class FailedRecordsError(Exception):
    """More records failed than `max_failed_records` allows."""


class UnknownStreamError(ValueError):
    """A stream the target does not write, with `unknown_streams: fail`."""


def _config_schema() -> dict[str, Any]:
    schema = CLIENT_SETTINGS.to_dict()
    own = TARGET_SETTINGS.to_dict()
    schema["properties"].update(own["properties"])
    schema["required"] = sorted({*schema.get("required", []), *own.get("required", [])})
    return schema


class TargetConstantContact(Target):
    """Singer target for Constant Contact contacts."""

    name = "target-constantcontact"
    package_name = "tap-constantcontact"  # the distribution that ships both plugins
    config_jsonschema = _config_schema()
    message_reader_class = MsgSpecReader
    default_sink_class = ContactsSink
    # Records are validated by the target itself (see sinks.py), so `validate_records` is not
    # offered; the SDK's defaults are kept otherwise.
    capabilities: ClassVar[list] = [
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.FLATTENING,
        PluginCapabilities.STRUCTURED_LOGGING,
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Sinks drain one after the other: they share the API budget and definitions.
        self.max_parallelism = 1
        settings, errors = TargetSettings.from_config(self.config)
        try:
            ClientSettings.from_config(self.config)
        except ConfigValidationError as exc:
            errors = [*getattr(exc, "errors", [str(exc)]), *errors]
        if errors:
            raise ConfigValidationError("Config validation failed", errors=errors)
        self.settings = settings

    @classmethod
    def append_builtin_config(cls, config_jsonschema: dict) -> None:
        super().append_builtin_config(config_jsonschema)
        # Meaningless here: records are applied by action, and `_sdc_*` are read regardless.
        for name in ("load_method", "add_record_metadata"):
            config_jsonschema["properties"].pop(name, None)

    @cached_property
    def run(self) -> TargetRun:
        return TargetRun(self.config, self.settings)

    def get_sink_class(
        self, stream_name: str
    ) -> type[ContactsSink | DefinitionsSink | IgnoredSink]:
        if stream_name in self.settings.contact_streams:
            return ContactsSink
        if stream_name in DEFINITION_STREAMS:
            return DefinitionsSink
        if self.settings.ignore_unknown_streams:
            self.logger.warning("Ignoring stream %r (unknown_streams: ignore)", stream_name)
            return IgnoredSink
        streams = ", ".join(sorted({*self.settings.contact_streams, *DEFINITION_STREAMS}))
        msg = (
            f"Stream {stream_name!r} is not one the target writes ({streams}). Add it to "
            "contact_streams if it holds contacts, or set unknown_streams: ignore."
        )
        raise UnknownStreamError(msg)

    def process_endofpipe(self) -> None:
        self.run.end_of_pipe = True
        try:
            super().process_endofpipe()
            deferred = [
                sink
                for sink in self._sinks_active.values()
                if isinstance(sink, ContactsSink) and sink.deferred
            ]
            for sink in deferred:
                sink.process_deferred()
            if deferred and self._latest_state and not self.run.over_failure_limit:
                self._write_state_message(self._latest_state)
        finally:
            self.run.close()
            self.logger.info("Summary: %s", self.run.summary())
        if self.run.over_failure_limit:
            msg = (
                f"{self.run.ledger.failed} records failed, more than max_failed_records="
                f"{self.settings.max_failed_records}; valid records were applied. See the "
                f"results ledger ({self.run.ledger.path}) for each failed record."
            )
            raise FailedRecordsError(msg)

    def _write_state_message(self, state: dict) -> None:
        # STATE means "everything before this is written". Withhold it while records wait for
        # definitions, and when the run is going to fail on too many failed records (a rerun
        # then re-sends them; applied ones come out unchanged).
        if self.run.over_failure_limit:
            self.logger.warning("Not emitting STATE: too many failed records")
            return
        if any(
            isinstance(sink, ContactsSink) and sink.deferred for sink in self._sinks_active.values()
        ):
            return
        super()._write_state_message(state)

    @classmethod
    def invoke(cls, *args: Any, **kwargs: Any) -> None:
        try:
            super().invoke(*args, **kwargs)
        except (
            FailedRecordsError,
            UnknownStreamError,
            ConstantContactError,
            ActivityTimeoutError,
        ) as exc:
            if isinstance(exc, ConfigValidationError):
                raise
            cls.logger.error("%s", exc)  # noqa: TRY400 - the message says it all
            sys.exit(1)


if __name__ == "__main__":
    TargetConstantContact.cli()
