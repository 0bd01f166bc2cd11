"""Email reports (`/v3/reports/...`) against a live emulator: every tracking report, summary
and stats answer is compared with the stored tracking events (`/_emulator/export/tracking`),
counted here independently."""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from support.paging import collect

from constantcontact_emulator.testing import EmulatorProcess

Row = dict[str, Any]
STORED_TYPES = {
    "sends": "em_sends",
    "opens": "em_opens",
    "clicks": "em_clicks",
    "forwards": "em_forwards",
    "optouts": "em_optouts",
    "bounces": "em_bounces",
}
DEVICES = ("computer", "mobile", "tablet", "other", "none")
BOUNCE_STATS = {
    "Z": "em_bounces_blocked",
    "F": "em_bounces_mailbox_full",
    "B": "em_bounces_nonexistent_address",
    "X": "em_bounces_other",
    "S": "em_bounces_suspended",
    "D": "em_bounces_undeliverable",
    "V": "em_bounces_vacation",
}


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """Read-only: 3,000 contacts and 25 campaigns, so some sends exceed one page of 500."""
    with EmulatorProcess(
        contacts=3000,
        campaigns=25,
        seed=3,
        rps=0,
        daily_limit=0,
        token_rps=0,
        workdir=tmp_path_factory.mktemp("reports"),
    ) as process:
        yield process


@pytest.fixture(scope="module")
def tracking(emu: EmulatorProcess) -> list[Row]:
    return emu.export("tracking")


@pytest.fixture(scope="module")
def activities(emu: EmulatorProcess) -> list[Row]:
    return emu.export("campaign_activities")


@pytest.fixture(scope="module")
def campaigns(emu: EmulatorProcess) -> list[Row]:
    return emu.export("campaigns")


def _sent(activity: Row) -> bool:
    return activity["role"] in ("primary_email", "resend") and any(
        s["send_status"] == "COMPLETED" for s in activity["send_history"]
    )


def _reported(activities: list[Row]) -> list[Row]:
    """Sent activities that are not REMOVED: the ones with tracking reports."""
    return [a for a in activities if _sent(a) and a["current_status"] != "REMOVED"]


def _rows(tracking: list[Row], activity_id: str, row_type: str) -> list[Row]:
    """Stored rows of one type, oldest first (the export's order)."""
    return [
        r
        for r in tracking
        if r["campaign_activity_id"] == activity_id and r["tracking_activity_type"] == row_type
    ]


def _did_not_open(tracking: list[Row], activity_id: str) -> list[Row]:
    """Sends to contacts who neither opened nor bounced, as did-not-open rows, newest first."""
    reached = {
        r["contact_id"]
        for r in tracking
        if r["campaign_activity_id"] == activity_id
        and r["tracking_activity_type"] in ("em_opens", "em_bounces")
    }
    return [
        {**r, "tracking_activity_type": "em_didnotopens"}
        for r in reversed(_rows(tracking, activity_id, "em_sends"))
        if r["contact_id"] not in reached
    ]


def _unique_opens(tracking: list[Row], activity_id: str) -> list[Row]:
    latest: dict[str, tuple[int, Row]] = {}
    for position, row in enumerate(_rows(tracking, activity_id, "em_opens")):
        latest[row["contact_id"]] = (position, row)
    return [row for _, row in sorted(latest.values(), key=lambda item: item[0], reverse=True)]


def _counts(tracking: list[Row], activity_ids: set[str]) -> dict[str, Any]:
    mine = [r for r in tracking if r["campaign_activity_id"] in activity_ids]

    def who(row_type: str) -> set[str]:
        return {r["contact_id"] for r in mine if r["tracking_activity_type"] == row_type}

    sends, opens, bounces = who("em_sends"), who("em_opens"), who("em_bounces")
    return {
        "sends": len(sends),
        "opens": len(opens),
        "clicks": len(who("em_clicks")),
        "forwards": len(who("em_forwards")),
        "optouts": len(who("em_optouts")),
        "bounces": len(bounces),
        "not_opened": len(sends - opens - bounces),
        "rows": mine,
    }


def _stats(counts: dict[str, Any]) -> dict[str, int]:
    rows = counts["rows"]
    opens = Counter(
        r.get("device_type", "none") for r in rows if r["tracking_activity_type"] == "em_opens"
    )
    clicks = Counter(
        r.get("device_type", "none") for r in rows if r["tracking_activity_type"] == "em_clicks"
    )
    return {
        "em_sends": counts["sends"],
        "em_opens": counts["opens"],
        "em_opens_all": sum(opens.values()),
        **{f"em_opens_all_{d}": opens[d] for d in DEVICES},
        "em_clicks": counts["clicks"],
        "em_clicks_all": sum(clicks.values()),
        **{f"em_clicks_all_{d}": clicks[d] for d in DEVICES},
        "em_forwards": counts["forwards"],
        "em_optouts": counts["optouts"],
        "em_bounces": counts["bounces"],
        "em_not_opened": counts["not_opened"],
    }


def _pct(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _rates(counts: dict[str, Any]) -> dict[str, float]:
    delivered = counts["sends"] - counts["bounces"]
    return {
        "open": _pct(counts["opens"], delivered),
        "click": _pct(counts["clicks"], counts["opens"]),
        "did_not_open": _pct(counts["not_opened"], delivered),
        "bounce": _pct(counts["bounces"], counts["sends"]),
        "unsubscribe": _pct(counts["optouts"], delivered),
    }


def _report(emu: EmulatorProcess, activity_id: str, report: str, query: str = "") -> list[Row]:
    records, _ = collect(
        emu,
        f"/reports/email_reports/{activity_id}/tracking/{report}?{query}",
        "tracking_activities",
    )
    return records


def test_seed_has_material_for_every_report(tracking: list[Row], activities: list[Row]) -> None:
    types = Counter(r["tracking_activity_type"] for r in tracking)
    assert set(types) == {*STORED_TYPES.values(), "em_didnotopens"}
    assert {a["role"] for a in _reported(activities)} == {"primary_email", "resend"}
    assert any(a["current_status"] == "REMOVED" and _sent(a) for a in activities)
    assert max(types.values()) > 500
    assert any(r.get("deleted_at") for r in tracking)


@pytest.mark.parametrize("report", sorted(STORED_TYPES))
def test_tracking_report_lists_the_stored_events_newest_first(
    emu: EmulatorProcess, tracking: list[Row], activities: list[Row], report: str
) -> None:
    for activity in _reported(activities):
        activity_id = activity["campaign_activity_id"]
        expected = list(reversed(_rows(tracking, activity_id, STORED_TYPES[report])))
        assert _report(emu, activity_id, report, "limit=250") == expected
        times = [r["created_time"] for r in expected]
        assert times == sorted(times, reverse=True)


def test_rows_are_shaped_per_type(tracking: list[Row]) -> None:
    base = {
        "contact_id",
        "campaign_activity_id",
        "tracking_activity_type",
        "email_address",
        "created_time",
    }
    optional = {"first_name", "last_name", "deleted_at"}
    extra = {
        "em_sends": set(),
        "em_didnotopens": set(),
        "em_forwards": set(),
        "em_opens": {"device_type"},
        "em_clicks": {"device_type", "url_id", "link_url"},
        "em_optouts": {"opt_out_reason"},
        "em_bounces": {"bounce_code", "current_email_address"},
    }
    required = {"em_clicks": {"url_id", "link_url"}, "em_bounces": {"bounce_code"}}
    for row in tracking:
        kind = row["tracking_activity_type"]
        assert base <= set(row) <= base | optional | extra[kind], row
        assert required.get(kind, set()) <= set(row), row
        assert row["created_time"].endswith(".000Z")
    assert {
        r["bounce_code"] for r in tracking if r["tracking_activity_type"] == "em_bounces"
    } <= set(BOUNCE_STATS)


def test_unique_opens_keep_each_contacts_latest_open(
    emu: EmulatorProcess, tracking: list[Row], activities: list[Row]
) -> None:
    for activity in _reported(activities):
        activity_id = activity["campaign_activity_id"]
        expected = _unique_opens(tracking, activity_id)
        got = _report(emu, activity_id, "unique_opens")
        assert got == expected
        assert len({r["contact_id"] for r in got}) == len(got)


def test_did_not_opens_are_sends_without_open_or_bounce_at_send_time(
    emu: EmulatorProcess, tracking: list[Row], activities: list[Row]
) -> None:
    for activity in _reported(activities):
        activity_id = activity["campaign_activity_id"]
        got = _report(emu, activity_id, "didnotopens")
        assert got == _did_not_open(tracking, activity_id)
        assert got == _rows(tracking, activity_id, "em_didnotopens")[::-1]


def test_paging_default_and_bounds(
    emu: EmulatorProcess, tracking: list[Row], activities: list[Row]
) -> None:
    biggest = max(
        _reported(activities),
        key=lambda a: len(_rows(tracking, a["campaign_activity_id"], "em_sends")),
    )
    activity_id = biggest["campaign_activity_id"]
    sends = _rows(tracking, activity_id, "em_sends")
    assert len(sends) > 500
    first = emu.api("GET", f"/reports/email_reports/{activity_id}/tracking/sends").json()
    assert len(first["tracking_activities"]) == 500
    href = first["_links"]["next"]["href"]
    assert href.startswith(f"/v3/reports/email_reports/{activity_id}/tracking/sends?cursor=")
    small, pages = collect(
        emu, f"/reports/email_reports/{activity_id}/tracking/opens?limit=7", "tracking_activities"
    )
    assert small == _report(emu, activity_id, "opens")
    assert pages == max(1, -(-len(small) // 7))
    last = emu.api("GET", f"/reports/email_reports/{activity_id}/tracking/optouts?limit=500").json()
    assert last["_links"] == {}
    for bad in ("0", "501", "x"):
        response = emu.api(
            "GET", f"/reports/email_reports/{activity_id}/tracking/opens?limit={bad}"
        )
        assert response.status_code == 400
        assert "limit" in response.json()[0]["error_message"]


def test_clicks_filter_by_url_id(
    emu: EmulatorProcess, tracking: list[Row], activities: list[Row]
) -> None:
    checked = 0
    for activity in _reported(activities):
        activity_id = activity["campaign_activity_id"]
        clicks = _rows(tracking, activity_id, "em_clicks")
        for url_id in sorted({r["url_id"] for r in clicks})[:2]:
            expected = [r for r in reversed(clicks) if r["url_id"] == url_id]
            assert _report(emu, activity_id, "clicks", f"url_id={url_id}&limit=20") == expected
            checked += 1
    assert checked
    response = emu.api(
        "GET",
        f"/reports/email_reports/{_reported(activities)[0]['campaign_activity_id']}/tracking/clicks?url_id=abc",
    )
    assert response.status_code == 400
    assert "url_id" in response.json()[0]["error_message"]


def test_bounces_filter_by_repeated_bounce_code(
    emu: EmulatorProcess, tracking: list[Row], activities: list[Row]
) -> None:
    checked = 0
    for activity in _reported(activities):
        activity_id = activity["campaign_activity_id"]
        bounces = list(reversed(_rows(tracking, activity_id, "em_bounces")))
        codes = sorted({r["bounce_code"] for r in bounces})
        if len(codes) < 2:
            continue
        chosen = codes[:2]
        query = "&".join(f"bounce_code={c}" for c in chosen)
        got = _report(emu, activity_id, "bounces", f"{query}&limit=5")
        assert got == [r for r in bounces if r["bounce_code"] in chosen]
        assert len(got) < len(bounces)
        checked += 1
    assert checked
    response = emu.api(
        "GET",
        f"/reports/email_reports/{_reported(activities)[0]['campaign_activity_id']}/tracking/bounces?bounce_code=Q",
    )
    assert response.status_code == 400
    assert "bounce_code" in response.json()[0]["error_message"]


def test_missing_removed_and_permalink_activities(
    emu: EmulatorProcess, tracking: list[Row], activities: list[Row]
) -> None:
    removed = next(a for a in activities if a["current_status"] == "REMOVED" and _sent(a))
    assert _rows(tracking, removed["campaign_activity_id"], "em_sends")
    for activity_id in (
        removed["campaign_activity_id"],
        "00000000-0000-1000-8000-000000000000",
        "not-an-id",
    ):
        for report in ("sends", "unique_opens", "didnotopens"):
            response = emu.api("GET", f"/reports/email_reports/{activity_id}/tracking/{report}")
            assert response.status_code == 404
            assert response.json()[0]["error_key"] == "contacts.api.not_found"
    permalink = next(
        a for a in activities if a["role"] == "permalink" and a["current_status"] == "DONE"
    )
    body = emu.api(
        "GET", f"/reports/email_reports/{permalink['campaign_activity_id']}/tracking/opens"
    ).json()
    assert body == {"tracking_activities": [], "_links": {}}


def _last_sent(campaign: Row, by_id: dict[str, Row]) -> str | None:
    runs = [
        s["run_date"]
        for ref in campaign["campaign_activities"]
        for s in by_id[ref["campaign_activity_id"]]["send_history"]
        if by_id[ref["campaign_activity_id"]]["role"] in ("primary_email", "resend")
        and s["send_status"] == "COMPLETED"
    ]
    return max(runs) if runs else None


def _reported_ids(campaign: Row, by_id: dict[str, Row]) -> set[str]:
    return {
        ref["campaign_activity_id"]
        for ref in campaign["campaign_activities"]
        if by_id[ref["campaign_activity_id"]]["role"] in ("primary_email", "resend")
    }


def test_summaries_match_the_tracking_events(
    emu: EmulatorProcess, tracking: list[Row], activities: list[Row], campaigns: list[Row]
) -> None:
    by_id = {a["campaign_activity_id"]: a for a in activities}
    names = {"NEWSLETTER": "Newsletter", "CUSTOM_CODE_EMAIL": "Custom Code Email"}
    expected = []
    for position, campaign in enumerate(campaigns):
        sent = _last_sent(campaign, by_id)
        if sent is None or campaign["current_status"] == "Removed":
            continue
        counts = _counts(tracking, _reported_ids(campaign, by_id))
        abuse_free = {k: v for k, v in counts.items() if k != "rows"}
        expected.append((sent, position, campaign, abuse_free))
    expected.sort(key=lambda item: (item[0], item[1]), reverse=True)
    assert len(expected) >= 15
    pages = []
    url: str | None = "/reports/summary_reports/email_campaign_summaries?limit=4"
    while url:
        body = emu.api("GET", url).json()
        pages.append(body)
        url = body.get("_links", {}).get("next", {}).get("href")
    got = [s for page in pages for s in page["bulk_email_campaign_summaries"]]
    assert len(pages) == -(-len(expected) // 4)
    assert [s["campaign_id"] for s in got] == [c["campaign_id"] for _, _, c, _ in expected]
    for summary, (sent, _, campaign, counts) in zip(got, expected, strict=True):
        assert summary["last_sent_date"] == sent
        unique = dict(summary["unique_counts"])
        assert unique.pop("abuse") >= 0
        assert unique == counts
        if campaign["type"] in names:
            assert summary["campaign_type"] == names[campaign["type"]]
    for page in pages:
        totals: Counter[str] = Counter()
        for summary in page["bulk_email_campaign_summaries"]:
            totals.update(summary["unique_counts"])
        assert page["aggregate_percents"] == _rates(totals)
    everything = emu.api("GET", "/reports/summary_reports/email_campaign_summaries").json()
    assert everything["bulk_email_campaign_summaries"] == got
    assert "_links" not in everything
    assert emu.export("campaign_summaries") == got
    for bad in ("0", "501"):
        response = emu.api("GET", f"/reports/summary_reports/email_campaign_summaries?limit={bad}")
        assert response.status_code == 400


def test_campaign_stats_match_the_tracking_events(
    emu: EmulatorProcess, tracking: list[Row], activities: list[Row], campaigns: list[Row]
) -> None:
    by_id = {a["campaign_activity_id"]: a for a in activities}
    ids = [c["campaign_id"] for c in campaigns]
    body = emu.api("GET", f"/reports/stats/email_campaigns/{','.join(ids)}").json()
    results = {r["campaign_id"]: r for r in body["results"]}
    unsent = [c["campaign_id"] for c in campaigns if _last_sent(c, by_id) is None]
    assert unsent
    assert set(results) == set(ids) - set(unsent)
    assert len(body["errors"]) == len(unsent)
    assert all(any(i in e["error_message"] for i in unsent) for e in body["errors"])
    for campaign in campaigns:
        if campaign["campaign_id"] not in results:
            continue
        result = results[campaign["campaign_id"]]
        counts = _counts(tracking, _reported_ids(campaign, by_id))
        stats = _stats(counts)
        assert result["stats"] == stats
        opens_all, clicks_all = stats["em_opens_all"], stats["em_clicks_all"]
        assert result["percents"] == {
            **_rates(counts),
            "desktop_open": _pct(stats["em_opens_all_computer"], opens_all),
            "mobile_open": _pct(
                stats["em_opens_all_mobile"] + stats["em_opens_all_tablet"], opens_all
            ),
            "desktop_click": _pct(stats["em_clicks_all_computer"], clicks_all),
            "mobile_click": _pct(
                stats["em_clicks_all_mobile"] + stats["em_clicks_all_tablet"], clicks_all
            ),
        }
        assert result["last_refresh_time"] == max(r["created_time"] for r in counts["rows"])


def test_campaign_stats_limits(emu: EmulatorProcess, campaigns: list[Row]) -> None:
    known = campaigns[0]["campaign_id"]
    unknown = "00000000-0000-1000-8000-000000000000"
    response = emu.api("GET", f"/reports/stats/email_campaigns/{known},{unknown}")
    assert response.status_code == 404
    assert unknown in response.json()[0]["error_message"]
    many = ",".join([known] + [f"00000000-0000-1000-8000-{i:012d}" for i in range(150)])
    response = emu.api("GET", f"/reports/stats/email_campaigns/{many}")
    assert response.status_code == 400
    assert "150" in response.json()[0]["error_message"]


def test_activity_stats_match_the_tracking_events(
    emu: EmulatorProcess, tracking: list[Row], activities: list[Row]
) -> None:
    reported = _reported(activities)
    for start in range(0, len(reported), 10):
        chunk = reported[start : start + 10]
        ids = ",".join(a["campaign_activity_id"] for a in chunk)
        body = emu.api("GET", f"/reports/stats/email_campaign_activities/{ids}").json()
        assert "errors" not in body
        assert [r["campaign_activity_id"] for r in body["results"]] == [
            a["campaign_activity_id"] for a in chunk
        ]
        for result, activity in zip(body["results"], chunk, strict=True):
            counts = _counts(tracking, {activity["campaign_activity_id"]})
            stats = dict(result["stats"])
            assert stats.pop("em_abuse") >= 0
            first_bounce: dict[str, str] = {}
            for row in counts["rows"]:
                if row["tracking_activity_type"] == "em_bounces":
                    first_bounce.setdefault(row["contact_id"], row["bounce_code"])
            codes = Counter(first_bounce.values())
            assert {k: stats.pop(v) for k, v in BOUNCE_STATS.items()} == {
                k: codes[k] for k in BOUNCE_STATS
            }
            assert stats == _stats(counts)
            assert result["campaign_id"] == activity["campaign_id"]


def test_activity_stats_errors(emu: EmulatorProcess, activities: list[Row]) -> None:
    removed = next(a for a in activities if a["current_status"] == "REMOVED")
    permalink = next(a for a in activities if a["role"] == "permalink")
    reported = _reported(activities)[0]
    unknown = "00000000-0000-1000-8000-000000000000"
    ids = [
        reported["campaign_activity_id"],
        removed["campaign_activity_id"],
        permalink["campaign_activity_id"],
        unknown,
    ]
    body = emu.api("GET", f"/reports/stats/email_campaign_activities/{','.join(ids)}").json()
    assert [r["campaign_activity_id"] for r in body["results"]] == [ids[0]]
    assert len(body["errors"]) == 3
    for activity_id, error in zip(ids[1:], body["errors"], strict=True):
        assert activity_id in error["error_message"]
    malformed = emu.api("GET", f"/reports/stats/email_campaign_activities/{ids[0]},nope")
    assert malformed.status_code == 404
    eleven = ",".join(f"00000000-0000-1000-8000-{i:012d}" for i in range(11))
    assert emu.api("GET", f"/reports/stats/email_campaign_activities/{eleven}").status_code == 400


def test_links_report_counts_unique_clickers(
    emu: EmulatorProcess, tracking: list[Row], activities: list[Row]
) -> None:
    for activity in _reported(activities)[:5]:
        activity_id = activity["campaign_activity_id"]
        clickers: dict[str, set[str]] = {}
        for row in _rows(tracking, activity_id, "em_clicks"):
            clickers.setdefault(row["url_id"], set()).add(row["contact_id"])
        body = emu.api("GET", f"/reports/email_reports/{activity_id}/links").json()
        assert body["campaign_activity_id"] == activity_id
        assert {c["url_id"]: c["unique_clicks"] for c in body["link_click_counts"]} == {
            url: len(who) for url, who in clickers.items()
        }
        every = emu.api("GET", f"/reports/email_reports/{activity_id}/links?no_clicks=true").json()
        assert len(every["link_click_counts"]) >= len(body["link_click_counts"])


def test_counts_agree_across_endpoints(emu: EmulatorProcess, activities: list[Row]) -> None:
    """Through the API alone: a single-activity campaign's summary equals its report sizes."""
    summaries = emu.export("campaign_summaries")
    by_campaign: dict[str, list[Row]] = {}
    for activity in _reported(activities):
        by_campaign.setdefault(activity["campaign_id"], []).append(activity)
    summary = next(s for s in summaries if len(by_campaign.get(s["campaign_id"], [])) == 1)
    activity_id = by_campaign[summary["campaign_id"]][0]["campaign_activity_id"]
    counts = summary["unique_counts"]
    assert counts["sends"] == len(_report(emu, activity_id, "sends"))
    assert counts["opens"] == len(_report(emu, activity_id, "unique_opens"))
    assert counts["not_opened"] == len(_report(emu, activity_id, "didnotopens"))
    assert counts["bounces"] == len({r["contact_id"] for r in _report(emu, activity_id, "bounces")})
    assert counts["optouts"] == len({r["contact_id"] for r in _report(emu, activity_id, "optouts")})
    assert counts["clicks"] == len({r["contact_id"] for r in _report(emu, activity_id, "clicks")})


def test_keyset_cursors_page_the_same(emu: EmulatorProcess, activities: list[Row]) -> None:
    activity_id = _reported(activities)[0]["campaign_activity_id"]
    tracking = f"/reports/email_reports/{activity_id}/tracking"
    paths = {
        f"{tracking}/opens?limit=9": "tracking_activities",
        f"{tracking}/unique_opens?limit=9": "tracking_activities",
        "/reports/summary_reports/email_campaign_summaries?limit=4": (
            "bulk_email_campaign_summaries"
        ),
        "/emails?limit=4": "campaigns",
    }
    offset = {path: collect(emu, path, key)[0] for path, key in paths.items()}
    emu.faults(cursor_mode="keyset")
    try:
        keyset = {path: collect(emu, path, key)[0] for path, key in paths.items()}
        href = emu.api("GET", f"{tracking}/opens?limit=9").json()["_links"]["next"]["href"]
        cursor = parse_qs(urlsplit(href).query)["cursor"][0]
        assert "after=" in base64.urlsafe_b64decode(cursor + "==").decode()
    finally:
        emu.faults(cursor_mode="offset")
    assert keyset == offset
    assert all(len(records) > 9 for records in offset.values())
