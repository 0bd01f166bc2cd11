"""Read a frozen window `[lower, upper)` in time slices that each fit in one page.

An offset cursor (`limit=500&next=501`) over a filtered set skips a record whenever an
earlier one leaves the set between two pages. In a window frozen at the run start that
happens as soon as a record read on an earlier page is changed during the run: it moves out
of the window, every later record moves back by one, and the next page starts one record
too far. The skipped record did not change, so no later run reads it again. A slice whose
first page has no next link was answered by one request, so nothing could shift under it:

- the first slice is the whole window, so a window that fits in one page costs one call;
- a slice whose page has a next link is narrowed (to the newer half of the records the page
  holds, and at least halved) and read again; the page's records are kept (the stream drops
  duplicates by id);
- the window is read from its upper end down; after a slice that fits, the next one is
  sized from the density just seen, to fill about `FILL` of a page;
- each slice asks for its lower edge minus one `precision` (the filter value's smallest
  step, a millisecond for ISO-8601), so a record exactly on an edge is read whether the
  API's lower bound is inclusive or exclusive (its documentation does not say); slice edges
  are whole `granularity` units (a second, or the filter's precision if coarser);
- a slice one `granularity` wide that still has a next link (more than a page of records
  changed in the same second, as a bulk import does) cannot be narrowed: its other pages
  follow the cursor through the client's loop-guarded paging. That is the one case where a
  change during the run can still hide a record; it is counted in `cursor_slices`.

Nothing here relies on the API's sort order; any order only changes how many slices it takes.
"""

from __future__ import annotations

import datetime as dt
import typing as t
from dataclasses import dataclass

if t.TYPE_CHECKING:
    from collections.abc import Callable, Iterator

SECOND = dt.timedelta(seconds=1)
MILLISECOND = dt.timedelta(milliseconds=1)
#: A slice sized from the density is expected to fill this much of a page.
FILL = 0.8
#: A slice is at most this many times wider than the previous one.
MAX_GROWTH = 4
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list endpoint: its records, and whether a next link follows."""

    records: list[dict[str, t.Any]]
    has_next: bool


#: Requests the records from `lower` (`None`: unbounded) to `upper` and yields their pages,
#: lazily: the next page is requested only if the slicer asks for it.
FetchSlice = t.Callable[[dt.datetime | None, dt.datetime], "Iterator[Page]"]


class TimeSlicer:
    """Reads one window in slices that each fit in a page (see the module docstring)."""

    def __init__(
        self,
        fetch: FetchSlice,
        moment: Callable[[dict[str, t.Any]], dt.datetime | None],
        *,
        page_size: int,
        precision: dt.timedelta = MILLISECOND,
    ) -> None:
        self.fetch = fetch
        self.moment = moment
        self.page_size = page_size
        self.precision = precision
        self.granularity = max(precision, SECOND)
        self.calls = 0
        self.slices = 0
        self.narrowed = 0
        self.cursor_slices = 0
        self._oldest: dt.datetime | None = None  # the oldest record seen
        # An overflow leaves about `_dense_count` unread records down to `_dense_floor`.
        self._dense_floor: dt.datetime | None = None
        self._dense_count = 0

    def read(self, lower: dt.datetime | None, upper: dt.datetime) -> Iterator[dict[str, t.Any]]:
        """Every record the API returns for `[lower, upper)`; some more than once."""
        hi, lo = upper, lower
        while True:
            pages = self.fetch(None if lo is None else lo - self.precision, hi)
            try:
                page = next(pages, Page([], has_next=False))
                self.calls += 1
                self._observe(page)
                yield from page.records
                count = len(page.records)
                if page.has_next:
                    narrower = self._narrowed_lower(lo, hi, page)
                    if narrower is not None:
                        self.narrowed += 1
                        # [lo, narrower) still holds about a page: size what comes below by it.
                        self._dense_floor, self._dense_count = lo, self.page_size + 1
                        lo = narrower
                        continue
                    self.cursor_slices += 1
                    for more in pages:
                        self.calls += 1
                        yield from more.records
                        count += len(more.records)
            finally:
                pages.close()
            self.slices += 1
            if lo is None or (lower is not None and lo <= lower):
                return
            hi, lo = lo, self._next_lower(lower, lo, hi, count)

    def describe(self) -> str:
        """For the log: how the window was read."""
        text = f"{self.calls} calls, {self.slices} slices ({self.narrowed} narrowed)"
        if self.cursor_slices:
            text += (
                f"; {self.cursor_slices} slices held more than a page within "
                f"{self.granularity.total_seconds():g} s and were paged by cursor"
            )
        return text

    # Slice edges ---------------------------------------------------------------------------

    def _floor(self, moment: dt.datetime) -> dt.datetime:
        return _EPOCH + (moment - _EPOCH) // self.granularity * self.granularity

    def _observe(self, page: Page) -> None:
        for record in page.records:
            moment = self.moment(record)
            if moment is not None and (self._oldest is None or moment < self._oldest):
                self._oldest = moment

    def _narrowed_lower(
        self, lo: dt.datetime | None, hi: dt.datetime, page: Page
    ) -> dt.datetime | None:
        """The lower edge of a narrower slice under `hi`; None when it cannot be narrowed."""
        candidates = []
        if lo is not None:  # at least halve
            candidates.append(self._floor(lo + (hi - lo) / 2))
        times = sorted(
            moment
            for record in page.records
            if (moment := self.moment(record)) is not None
            and moment < hi
            and (lo is None or moment >= lo)
        )
        if times:  # keep the newer half of what the page holds
            candidates.append(self._floor(times[len(times) // 2]))
        narrower = max(candidates, default=None)
        if narrower is None or (lo is not None and narrower <= lo):
            narrower = self._floor(hi - dt.timedelta(microseconds=1))  # the last unit below hi
        if lo is not None and narrower <= lo:
            return None
        return narrower

    def _next_lower(
        self, lower: dt.datetime | None, lo: dt.datetime, hi: dt.datetime, count: int
    ) -> dt.datetime | None:
        """The lower edge of the slice under `lo`: sized to fill `FILL` of a page at the
        density of the slice just read, or of what an earlier overflow left below."""
        used = hi - lo
        width = used * MAX_GROWTH
        if count:
            width = min(width, used * (self.page_size * FILL / count))
        self._dense_count -= count
        if self._dense_floor is None or self._dense_floor >= lo or self._dense_count <= 0:
            self._dense_floor, self._dense_count = None, 0
        else:
            dense_width = (lo - self._dense_floor) * (self.page_size * FILL / self._dense_count)
            width = min(width, dense_width)
        width = max(width, self.granularity)
        if width >= lo - (_EPOCH if lower is None else lower):
            return lower  # the rest of the window (of the past, when unbounded) at once
        edge = self._floor(lo - width)
        if lower is not None:
            return max(edge, lower)
        if self._oldest is not None and self._oldest < lo:
            return max(edge, self._floor(self._oldest))  # nothing seen below it yet
        if count == 0 and self._dense_floor is None:
            return None  # below every record seen, and none here: the rest of the past at once
        return edge
