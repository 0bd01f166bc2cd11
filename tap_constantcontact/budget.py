"""Stopping a run cleanly at `max_requests_per_run`.

The client refuses the call past the cap (`RunBudgetExceededError`). The stream that was
reading keeps its previous bookmark (its progress markers are dropped), the streams that
finished keep theirs, the streams after it read nothing and keep theirs too, and the run ends
normally (exit code 0) with a warning naming what was left for the next run. Nothing is lost:
the next run reads the interrupted windows again from their old bookmarks.

Reaching the cap is the setting doing its job, so it is not an error; a spent *daily* quota
(`quota_exceeded`) still is, because no rerun can succeed before 00:00 UTC.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

if t.TYPE_CHECKING:
    from constantcontact_client.errors import RunBudgetExceededError


@dataclass
class RunBudget:
    """Whether this run has stopped at its cap, and what it left undone."""

    reason: str | None = None
    interrupted: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # stream -> partitions not read

    @property
    def stopped(self) -> bool:
        """True once a call was refused for the run cap."""
        return self.reason is not None

    def stop(self, where: str, exc: RunBudgetExceededError) -> None:
        """Record the refusal that stopped the run while `where` was being read."""
        if self.reason is None:
            self.reason = str(exc)
        if where not in self.interrupted:
            self.interrupted.append(where)

    def skip(self, stream: str) -> None:
        """Record a stream (or one partition of it) not read because the run had stopped."""
        self.skipped[stream] = self.skipped.get(stream, 0) + 1

    def summary(self) -> str:
        """One line for the end of the run."""
        parts = [f"Run stopped early: {(self.reason or '').rstrip('.')}"]
        parts.append(f"interrupted: {', '.join(self.interrupted)}")
        if self.skipped:
            parts.append(
                "not read: "
                + ", ".join(
                    f"{name} ({count} partitions)" if count > 1 else name
                    for name, count in self.skipped.items()
                )
            )
        parts.append("they keep their previous bookmarks; the next run continues from there")
        return "; ".join(parts)
