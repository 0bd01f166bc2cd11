"""`make demo`: the whole product on two local Constant Contact emulators, through `meltano run`.

1. Account A (1,200 contacts, campaigns, tracking) with the real limits, 4 requests/s and
   10,000/day; account B is empty.
2. `meltano run tap-constantcontact target-jsonl`: a full sync of A into a file "warehouse".
3. Someone edits A in the UI: creates, updates, deletes and unsubscribes contacts.
4. The same pipeline again: an incremental run that returns exactly what changed, with
   normalized CREATED/UPDATED/DELETED change events.
5. `meltano run tap-constantcontact target-constantcontact`: A copied into B in bulk calls,
   then B compared with A contact by contact.

Nothing outside this repository is needed: the plugins install from it (`pip_url: -e .`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from constantcontact_emulator.compare import compare_accounts
from constantcontact_emulator.testing import EmulatorProcess

ROOT = Path(__file__).resolve().parents[1]
MELTANO = Path(sys.executable).with_name("meltano")
OUTPUT = ROOT / "output" / "demo"
CHANGES = {"create": 5, "update": 7, "delete": 3, "unsubscribe": 4}
ENGAGEMENT = {"tracking": 60}  # opens, clicks, forwards, bounces, opt-outs of recent sends
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
LOOKBACK_MINUTES = 10  # the tap's default `lookback_minutes`


def say(text: str = "") -> None:
    print(text, flush=True)


def step(number: int, title: str) -> None:
    say(f"\n== {number}. {title}")


def plugin_env(prefix: str, emulator: EmulatorProcess, workdir: Path) -> dict[str, str]:
    config = emulator.config
    return {
        f"{prefix}_CLIENT_ID": config["client_id"],
        f"{prefix}_CLIENT_SECRET": config["client_secret"],
        f"{prefix}_REFRESH_TOKEN": config["refresh_token"],
        f"{prefix}_API_URL": config["api_url"],
        f"{prefix}_TOKEN_URL": config["token_url"],
        # rotated refresh tokens are saved here (mode 0600), one store per account
        f"{prefix}_TOKEN_STORE_PATH": str(workdir / f"{emulator.port}-tokens.json"),
    }


def meltano(*args: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [str(MELTANO), "--environment=demo", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        say(result.stdout[-3000:])
        say(result.stderr[-6000:])
        raise SystemExit(f"meltano {' '.join(args)} failed with exit code {result.returncode}")
    return result.stderr


def jsonl_records(stream: str) -> list[dict[str, Any]]:
    path = OUTPUT / "warehouse" / f"{stream}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def stream_counts() -> Counter[str]:
    return Counter(
        {
            path.stem: sum(1 for _ in path.open())
            for path in sorted((OUTPUT / "warehouse").glob("*.jsonl"))
        }
    )


def calls(emulator: EmulatorProcess) -> dict[str, int]:
    return dict(emulator.stats()["requests"])


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def show_calls(label: str, counts: dict[str, int], throttled: int) -> None:
    total = sum(counts.values())
    top = ", ".join(f"{name} x{n}" for name, n in sorted(counts.items(), key=lambda x: -x[1])[:6])
    say(f"   {label}: {total} API calls ({top}); 429 throttled: {throttled}")


def full_sync(account_a: EmulatorProcess, env: dict[str, str]) -> Counter[str]:
    step(3, "Full sync: meltano run tap-constantcontact target-jsonl")
    before = calls(account_a)
    meltano("run", "tap-constantcontact", "target-jsonl", env=env)
    counts = stream_counts()
    for stream, count in sorted(counts.items()):
        say(f"   {stream:<34} {count:>6} records")
    show_calls("A", delta(calls(account_a), before), account_a.stats()["throttled"])
    return counts


def edit_account(account_a: EmulatorProcess, newsletter: str) -> dict[str, list[str]]:
    step(4, "Someone edits account A: " + ", ".join(f"{n} {k}" for k, n in CHANGES.items()))
    changed = account_a.actions(**CHANGES)
    for kind, ids in changed.items():
        say(f"   {kind:<12} {len(ids)} contacts")
    events = account_a.actions(**ENGAGEMENT)["tracking"]
    activities = {
        activity["campaign_activity_id"]
        for activity in account_a.export("campaign_activities")
        if activity["campaign_id"] == newsletter
    }
    recent = [event for event in events if event["campaign_activity_id"] in activities]
    kinds = Counter(event["tracking_activity_type"] for event in recent)
    say(f"   newsletter recipients: {', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}")
    say(
        f"   and {len(events) - len(recent)} events on campaigns sent months ago (beyond the "
        "tap's tracking_lookback_days, 30: not polled, to spare the API budget)"
    )
    optouts = [e["contact_id"] for e in events if e["tracking_activity_type"] == "em_optouts"]
    return {**changed, "opted out from the newsletter": optouts}


def incremental_sync(
    account_a: EmulatorProcess, env: dict[str, str], first: Counter[str], changed: dict
) -> None:
    step(5, "Incremental sync: the same pipeline again")
    before = calls(account_a)
    meltano("run", "tap-constantcontact", "target-jsonl", env=env)
    second = stream_counts() - first
    contacts = jsonl_records("contacts")[first["contacts"] :]
    changed_ids = {contact_id for ids in changed.values() for contact_id in ids}
    emitted_ids = {record["contact_id"] for record in contacts}
    deleted = [r for r in contacts if r.get("_sdc_deleted_at")]
    unsubscribed = [
        r for r in contacts if r["email_address"].get("permission_to_send") == "unsubscribed"
    ]
    say(
        f"   contacts emitted: {len(contacts)} "
        f"(all {len(changed_ids & emitted_ids)} of {len(changed_ids)} changed or opted out, "
        f"{len(emitted_ids - changed_ids)} more from the {LOOKBACK_MINUTES}-minute lookback)"
    )
    say(f"   deleted (with _sdc_deleted_at): {len(deleted)}; unsubscribed: {len(unsubscribed)}")
    events = jsonl_records("change_events")[first.get("change_events", 0) :]
    by_type = Counter((e["object_type"], e["event_type"]) for e in events)
    for (object_type, event_type), count in sorted(by_type.items()):
        say(f"   change event {object_type:<14} {event_type:<8} {count}")
    for stream, count in sorted(second.items()):
        if stream not in {"contacts", "change_events"}:
            say(f"   {stream:<34} {count:>6} records")
    show_calls("A", delta(calls(account_a), before), account_a.stats()["throttled"])


def copy_account(
    account_a: EmulatorProcess, account_b: EmulatorProcess, env: dict[str, str]
) -> None:
    step(6, "Copy account A into B: meltano run tap-constantcontact target-constantcontact")
    before_b = calls(account_b)
    meltano("run", "tap-constantcontact", "target-constantcontact", env=env)
    b_calls = delta(calls(account_b), before_b)
    writes = {k: v for k, v in b_calls.items() if k.startswith(WRITE_METHODS)}
    show_calls("B", b_calls, account_b.stats()["throttled"])
    say(f"   of which writes: {sum(writes.values())}")
    for name, count in sorted(writes.items(), key=lambda x: -x[1]):
        say(f"     {name:<48} {count:>4}")
    ledger = [json.loads(x) for x in (OUTPUT / "target-results.jsonl").read_text().splitlines()]
    outcomes = Counter(line["outcome"] for line in ledger if line["stream"] == "contacts")
    say(f"   contact outcomes: {dict(outcomes)}")
    diff = compare_accounts(account_a.export, account_b.export)
    say(f"   {diff.summary()}")
    if diff:
        raise SystemExit("the copy differs from the source")


def run_demo(workdir: Path) -> None:
    shutil.rmtree(OUTPUT, ignore_errors=True)
    (OUTPUT / "warehouse").mkdir(parents=True)

    step(1, "Start two local Constant Contact accounts (the emulator)")
    account_a = EmulatorProcess(contacts=1200, campaigns=5, seed=7, rps=4, daily_limit=10000)
    account_b = EmulatorProcess(contacts=0, campaigns=0, rps=4, daily_limit=10000)
    with account_a, account_b:
        say(f"   A: {account_a.api_url}  (1,200 contacts, 5 campaigns, 4 requests/s, 10,000/day)")
        say(f"   B: {account_b.api_url}  (empty)")
        newsletter = account_a.actions(campaign_send=1)["campaigns_sent"][0]
        say(f"   A sends this month's newsletter now (campaign {newsletter})")
        env = {
            **os.environ,
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_STATE_BACKEND_URI": f"file://{workdir / 'state'}",
            "TARGET_JSONL_DESTINATION_PATH": str(OUTPUT / "warehouse"),
            **plugin_env("TAP_CONSTANTCONTACT", account_a, workdir),
            **plugin_env("TARGET_CONSTANTCONTACT", account_b, workdir),
            "TARGET_CONSTANTCONTACT_RESULTS_PATH": str(OUTPUT / "target-results.jsonl"),
            "TARGET_CONSTANTCONTACT_UNKNOWN_STREAMS": "ignore",
        }
        step(2, "Install the plugins (meltano install; the first time takes a minute)")
        meltano("install", "tap-constantcontact", "target-constantcontact", "target-jsonl", env=env)
        say("   tap-constantcontact, target-constantcontact (from this repo), target-jsonl")
        first = full_sync(account_a, env)
        changed = edit_account(account_a, newsletter)
        incremental_sync(account_a, env, first, changed)
        copy_account(account_a, account_b, env)

    step(7, "Done")
    say(f"   warehouse files: {OUTPUT / 'warehouse'}")
    say(f"   target ledger (one line per record): {OUTPUT / 'target-results.jsonl'}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="cc-demo-") as tmp:
        run_demo(Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main())
