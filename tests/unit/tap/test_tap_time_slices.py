"""Time slices against a fake offset-cursor API whose filtered set shrinks while it is paged."""

from __future__ import annotations

import datetime as dt
import random
import typing as t
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from tap_constantcontact.time_slices import Page, TimeSlicer

if t.TYPE_CHECKING:
    from collections.abc import Iterator

T0 = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
UPPER = T0 + dt.timedelta(days=100)
LATER = UPPER + dt.timedelta(hours=1)  # where an edit during the run moves a record


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


@dataclass
class OffsetCursorApi:
    """A list endpoint filtered on `[after, before)` with an offset cursor (`next=51`).

    `edits` maps a call number to the ids edited right after that call: their time moves
    past the frozen window, as a person's edit during the run would.
    """

    moments: dict[str, dt.datetime]
    page_size: int
    order: str = "oldest_first"  # or newest_first, creation
    after_inclusive: bool = True
    before_exclusive: bool = True
    edits: dict[int, list[str]] = field(default_factory=dict)
    calls: int = 0

    def _matching(self, lower: dt.datetime | None, upper: dt.datetime) -> list[str]:
        ids = list(self.moments)  # creation order
        if self.order == "oldest_first":
            ids.sort(key=lambda i: self.moments[i])
        elif self.order == "newest_first":
            ids.sort(key=lambda i: self.moments[i], reverse=True)
        kept = []
        for record_id in ids:
            moment = self.moments[record_id]
            above = lower is None or (moment >= lower if self.after_inclusive else moment > lower)
            below = moment < upper if self.before_exclusive else moment <= upper
            if above and below:
                kept.append(record_id)
        return kept

    def fetch(self, lower: dt.datetime | None, upper: dt.datetime) -> Iterator[Page]:
        offset = 0
        while True:
            matching = self._matching(lower, upper)
            chunk = matching[offset : offset + self.page_size]
            offset += len(chunk)
            self.calls += 1
            for record_id in self.edits.get(self.calls, []):
                self.moments[record_id] = LATER
            records = [{"id": i, "moment": self.moments[i]} for i in chunk]
            has_next = offset < len(matching)
            yield Page(records, has_next=has_next)
            if not has_next:
                return


def moment_of(record: dict[str, t.Any]) -> dt.datetime | None:
    return record["moment"]


def read_ids(
    api: OffsetCursorApi,
    lower: dt.datetime | None = None,
    upper: dt.datetime = UPPER,
    **options: t.Any,
) -> tuple[list[str], TimeSlicer]:
    slicer = TimeSlicer(api.fetch, moment_of, page_size=api.page_size, **options)
    return [record["id"] for record in slicer.read(lower, upper)], slicer


def test_the_fake_cursor_loses_a_record_when_an_earlier_one_leaves_the_window() -> None:
    # The review's case: 6 records, 2 per page, r1 edited out of the window after page 1.
    moments = {f"r{i}": at(i * 86400) for i in range(1, 7)}
    api = OffsetCursorApi(dict(moments), page_size=2, edits={1: ["r1"]})
    by_cursor = [r["id"] for page in api.fetch(None, UPPER) for r in page.records]
    assert by_cursor == ["r1", "r2", "r4", "r5", "r6"], "r3 is skipped by the shifted cursor"

    api = OffsetCursorApi(dict(moments), page_size=2, edits={1: ["r1"]})
    ids, slicer = read_ids(api)
    assert set(ids) == {"r1", "r2", "r3", "r4", "r5", "r6"}
    assert slicer.cursor_slices == 0


def test_a_window_that_fits_in_a_page_is_one_call() -> None:
    api = OffsetCursorApi({f"r{i}": at(i) for i in range(5)}, page_size=5)
    ids, slicer = read_ids(api, lower=T0)
    assert sorted(ids) == [f"r{i}" for i in range(5)]
    assert api.calls == slicer.calls == 1


def test_a_large_window_costs_a_little_more_than_the_cursor() -> None:
    rng = random.Random(7)
    moments = {f"r{i}": at(rng.uniform(0, 9 * 86400)) for i in range(2000)}
    for order in ("oldest_first", "newest_first", "creation"):
        api = OffsetCursorApi(dict(moments), page_size=100, order=order)
        ids, _ = read_ids(api, lower=T0)
        assert set(ids) == set(moments), order
        # The cursor would take 20 calls; about 1.5 times that, at most 3 times.
        assert api.calls <= 60, (order, api.calls)


def test_more_than_a_page_within_one_second_follows_the_cursor() -> None:
    moments = {f"b{i}": at(3600) for i in range(12)} | {f"r{i}": at(i * 7200) for i in range(3)}
    api = OffsetCursorApi(moments, page_size=5)
    ids, slicer = read_ids(api)
    assert set(ids) == set(moments)
    assert slicer.cursor_slices == 1
    assert "paged by cursor" in slicer.describe()


def test_slices_follow_a_coarse_filter_precision() -> None:
    # Filter values are dates: no slice is narrower than a day; 2 records a day.
    moments = {f"r{i}": T0 + dt.timedelta(hours=12 * i + 1) for i in range(16)}
    api = OffsetCursorApi(moments, page_size=4, after_inclusive=False)
    day = dt.timedelta(days=1)

    def by_day(lower: dt.datetime | None, upper: dt.datetime) -> Iterator[Page]:
        # The tap formats the lower bound down and the upper bound up to whole days.
        floor = None if lower is None else lower.replace(hour=0, minute=0, second=0)
        ceiling = upper.replace(hour=0, minute=0, second=0)
        return api.fetch(floor, ceiling if ceiling == upper else ceiling + day)

    slicer = TimeSlicer(by_day, moment_of, page_size=4, precision=day)
    ids = [r["id"] for r in slicer.read(T0, T0 + dt.timedelta(days=8))]
    assert set(ids) == set(moments)
    assert slicer.cursor_slices == 0


def _windows() -> st.SearchStrategy[tuple[dict[str, dt.datetime], int]]:
    """Records on whole, even seconds, at most `page_size` per second: a one-second slice
    always fits, even asked with an inclusive upper bound."""

    def build(page_size: int, seconds: list[int]) -> tuple[dict[str, dt.datetime], int]:
        per_second: dict[int, int] = {}
        moments = {}
        for index, second in enumerate(s * 2 for s in seconds):
            if per_second.get(second, 0) < page_size:
                per_second[second] = per_second.get(second, 0) + 1
                moments[f"r{index}"] = at(second)
        return moments, page_size

    return st.builds(
        build,
        st.integers(min_value=1, max_value=6),
        st.lists(st.integers(min_value=0, max_value=20 * 86400), min_size=0, max_size=60),
    )


@settings(max_examples=150, deadline=None)
@given(
    window=_windows(),
    order=st.sampled_from(["oldest_first", "newest_first", "creation"]),
    after_inclusive=st.booleans(),
    before_exclusive=st.booleans(),
    bounded=st.booleans(),
    edit_seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_every_record_that_stays_in_the_window_is_read(
    *,
    window: tuple[dict[str, dt.datetime], int],
    order: str,
    after_inclusive: bool,
    before_exclusive: bool,
    bounded: bool,
    edit_seed: int,
) -> None:
    moments, page_size = window
    lower = at(3 * 86400) if bounded else None
    upper = at(35 * 86400)
    rng = random.Random(edit_seed)
    ids = list(moments)
    edits: dict[int, list[str]] = {}
    for record_id in rng.sample(ids, k=min(len(ids), rng.randint(0, 8))):
        edits.setdefault(rng.randint(1, 12), []).append(record_id)
    edited = {i for batch in edits.values() for i in batch}
    api = OffsetCursorApi(
        dict(moments),
        page_size=page_size,
        order=order,
        after_inclusive=after_inclusive,
        before_exclusive=before_exclusive,
        edits=edits,
    )

    read, slicer = read_ids(api, lower=lower, upper=upper)

    def in_window(moment: dt.datetime) -> bool:
        return moment < upper and (lower is None or moment >= lower)

    stayed = {i for i, moment in moments.items() if in_window(moment) and i not in edited}
    assert stayed <= set(read), f"lost: {sorted(stayed - set(read))}"
    assert set(read) <= set(moments)
    assert slicer.cursor_slices == 0
    assert api.calls == slicer.calls
