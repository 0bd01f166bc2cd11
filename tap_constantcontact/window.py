"""The polling window of an incremental run (architecture guide §3).

Lower bound: the bookmark minus `lookback_minutes` (SAP's `pollDelay`: clock skew and late
commits), never before `start_date`; `start_date` alone on a first run; none for a full
sync. Upper bound: the run start, frozen (SAP's `filterByCurrentDate`): a change made during
the run waits for the next run instead of being half-seen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from constantcontact_client.timestamps import format_datetime


def run_start_from(now: dt.datetime) -> dt.datetime:
    """Freeze the run start, to the millisecond (the precision of bookmarks and filters).

    Not rounded to whole seconds: rounding down would leave a change made just before the
    run to the next run, rounding up would let the window reach past the run start.
    """
    now = now.astimezone(dt.UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@dataclass(frozen=True, slots=True)
class SyncWindow:
    """A half-open time window `[lower, upper)` of one run; `lower=None` is unbounded."""

    lower: dt.datetime | None
    upper: dt.datetime

    @classmethod
    def for_run(
        cls,
        *,
        run_start: dt.datetime,
        bookmark: dt.datetime | None = None,
        start_date: dt.datetime | None = None,
        lookback: dt.timedelta = dt.timedelta(0),
    ) -> SyncWindow:
        """The window of a run that starts at `run_start` from the given bookmark."""
        lower: dt.datetime | None = None
        if bookmark is not None:
            lower = bookmark - lookback
            if start_date is not None and start_date > lower:
                lower = start_date
        elif start_date is not None:
            lower = start_date
        if lower is not None:
            # Whole seconds, like the API's timestamps; rounding down only widens the window.
            lower = lower.astimezone(dt.UTC).replace(microsecond=0)
            lower = min(lower, run_start)
        return cls(lower=lower, upper=run_start)

    @property
    def is_full(self) -> bool:
        """True when the window has no lower bound: a full sync."""
        return self.lower is None

    def contains(self, moment: dt.datetime) -> bool:
        """True when `moment` is in `[lower, upper)`."""
        return moment < self.upper and (self.lower is None or moment >= self.lower)

    def params(self, after: str, before: str) -> dict[str, str]:
        """Query parameters bounding a filter such as `updated_after`/`updated_before`."""
        params = {before: format_datetime(self.upper)}
        if self.lower is not None:
            params[after] = format_datetime(self.lower)
        return params

    def describe(self) -> str:
        """A log-friendly description of the window."""
        lower = "the beginning" if self.lower is None else format_datetime(self.lower)
        return f"[{lower}, {format_datetime(self.upper)})"
