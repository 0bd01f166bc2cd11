"""Injected faults: latency, 500/503 answers, forced 429s, dropped connections.

Set from CLI flags at start and changed at run time with `POST /_emulator/faults`. Faults apply
to API requests (`/v3/...`), optionally only those whose path matches `path_pattern`, and to the
OAuth endpoints only with `include_oauth`.
"""

from __future__ import annotations

import random
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

from constantcontact_emulator import errors

Decision = Literal["none", "error", "throttle", "drop"]


@dataclass
class FaultSettings:
    latency_ms: int = 0
    latency_jitter_ms: int = 0
    # A share (0..1) of requests answered with one of error_statuses.
    error_rate: float = 0.0
    error_statuses: list[int] = field(default_factory=lambda: [500, 503])
    # The next N matching requests fail that way, whatever the rates.
    fail_next: int = 0
    throttle_rate: float = 0.0
    throttle_next: int = 0
    drop_rate: float = 0.0
    drop_next: int = 0
    # The next N contact queries with segment_id answer 202 {"status": "processing"}.
    segment_processing_next: int = 0
    # Bulk activities (routes/activities.py): the next N activities created end `failed`, and
    # what a contacts_json_import body over 4 MB gets: `drop` (the documented behaviour: rows
    # past 4 MB are not imported) or `reject` (413).
    activity_fail_next: int = 0
    import_oversize: str = "drop"
    path_pattern: str | None = None
    include_oauth: bool = False


class Faults:
    def __init__(self, settings: FaultSettings, seed: int) -> None:
        self.settings = settings
        self.rng = random.Random(f"faults-{seed}")
        self.injected: dict[str, int] = {"error": 0, "throttle": 0, "drop": 0}
        self._pattern: re.Pattern[str] | None = None
        self._compile()

    def update(self, changes: dict[str, Any]) -> None:
        known = {f.name for f in fields(FaultSettings)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise errors.bad_request(f"Unknown fault setting(s): {', '.join(unknown)}.")
        candidate = FaultSettings(**{**asdict(self.settings), **changes})
        _validate(candidate)
        self.settings = candidate
        self._compile()

    def clear(self) -> None:
        self.settings = FaultSettings()
        self._compile()

    def applies(self, path: str, *, oauth: bool = False) -> bool:
        if oauth and not self.settings.include_oauth:
            return False
        return self._pattern is None or bool(self._pattern.search(path))

    def latency_seconds(self) -> float:
        s = self.settings
        if s.latency_ms <= 0 and s.latency_jitter_ms <= 0:
            return 0.0
        jitter = self.rng.uniform(0, s.latency_jitter_ms) if s.latency_jitter_ms > 0 else 0
        return max(0.0, (s.latency_ms + jitter) / 1000)

    def forced_throttle(self) -> bool:
        s = self.settings
        if s.throttle_next > 0:
            s.throttle_next -= 1
            self.injected["throttle"] += 1
            return True
        if s.throttle_rate > 0 and self.rng.random() < s.throttle_rate:
            self.injected["throttle"] += 1
            return True
        return False

    def failure(self) -> Decision:
        """After the limits: drop the connection, answer 5xx, or go on."""
        s = self.settings
        if s.drop_next > 0:
            s.drop_next -= 1
            self.injected["drop"] += 1
            return "drop"
        if s.fail_next > 0:
            s.fail_next -= 1
            self.injected["error"] += 1
            return "error"
        if s.drop_rate > 0 and self.rng.random() < s.drop_rate:
            self.injected["drop"] += 1
            return "drop"
        if s.error_rate > 0 and self.rng.random() < s.error_rate:
            self.injected["error"] += 1
            return "error"
        return "none"

    def error(self) -> errors.ApiError:
        status = self.rng.choice(self.settings.error_statuses or [500])
        if status == 503:
            return errors.ApiError(
                503, errors.SERVICE_UNAVAILABLE, "Our internal service is temporarily unavailable."
            )
        return errors.ApiError(
            status, errors.SERVER_ERROR, "There was a problem with our internal service."
        )

    def take_segment_processing(self) -> bool:
        if self.settings.segment_processing_next > 0:
            self.settings.segment_processing_next -= 1
            return True
        return False

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self.settings), "injected": dict(self.injected)}

    def _compile(self) -> None:
        pattern = self.settings.path_pattern
        self._pattern = re.compile(pattern) if pattern else None


def _validate(settings: FaultSettings) -> None:
    for name in ("error_rate", "throttle_rate", "drop_rate"):
        value = getattr(settings, name)
        if not isinstance(value, int | float) or not 0 <= value <= 1:
            raise errors.bad_request(f"Fault setting '{name}' must be a number from 0 to 1.")
    for name in (
        "latency_ms",
        "latency_jitter_ms",
        "fail_next",
        "throttle_next",
        "drop_next",
        "segment_processing_next",
        "activity_fail_next",
    ):
        value = getattr(settings, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise errors.bad_request(f"Fault setting '{name}' must be a non-negative integer.")
    if settings.import_oversize not in ("drop", "reject"):
        raise errors.bad_request("Fault setting 'import_oversize' must be drop or reject.")
    if not all(isinstance(s, int) and 500 <= s <= 599 for s in settings.error_statuses):
        raise errors.bad_request("Fault setting 'error_statuses' must list 5xx status codes.")
    if settings.path_pattern is not None:
        try:
            re.compile(settings.path_pattern)
        except re.error as exc:
            raise errors.bad_request(
                f"Fault setting 'path_pattern' is not a regex: {exc}."
            ) from None
