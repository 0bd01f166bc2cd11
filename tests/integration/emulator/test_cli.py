"""The command line: ready line, --write-config, the issue's done-when checks, --state-file."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

EMULATOR = str(Path(sys.executable).parent / "constantcontact-emulator")


class Cli:
    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [EMULATOR, "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise AssertionError(
                self.process.stderr.read().decode() if self.process.stderr else "no output"
            )
        self.info: dict[str, Any] = json.loads(line)
        self.stderr = ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process.stderr is not None and not self.process.stderr.closed:
            self.stderr = self.process.stderr.read().decode(errors="replace")
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def cli():
    started: list[Cli] = []

    def start(*args: str) -> Cli:
        process = Cli(*args)
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def test_done_when_checks_from_the_issue(cli, tmp_path: Path) -> None:
    cfg_path = tmp_path / "cfg.json"
    emu = cli("--contacts", "1200", "--write-config", str(cfg_path))
    info = emu.info
    assert info["event"] == "ready"
    assert set(info) >= {
        "base_url",
        "api_url",
        "token_url",
        "authorize_url",
        "client_id",
        "client_secret",
        "refresh_token",
        "port",
        "pid",
    }
    assert info["api_url"] == f"http://127.0.0.1:{info['port']}/v3"
    assert info["pid"] == emu.process.pid
    config = json.loads(cfg_path.read_text())
    assert set(config) == {"api_url", "token_url", "client_id", "client_secret", "refresh_token"}
    assert stat.S_IMODE(cfg_path.stat().st_mode) == 0o600

    token = requests.post(
        config["token_url"],
        auth=(config["client_id"], config["client_secret"]),
        data={"grant_type": "refresh_token", "refresh_token": config["refresh_token"]},
        timeout=30,
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    host = config["api_url"].removesuffix("/v3")
    # all 1,200 contacts in 3 pages of 500
    url: str | None = f"{config['api_url']}/contacts?limit=500&status=all"
    ids: list[str] = []
    pages = 0
    while url:
        body = requests.get(url, headers=headers, timeout=30).json()
        ids.extend(c["contact_id"] for c in body["contacts"])
        pages += 1
        href = body.get("_links", {}).get("next", {}).get("href")
        url = f"{host}{href}" if href else None
        time.sleep(0.3)  # stay under 4/s
    assert (len(ids), len(set(ids)), pages) == (1200, 1200, 3)

    # admin actions are visible through the normal API
    time.sleep(1.1)
    created = requests.post(f"{host}/_emulator/actions", json={"create": 1}, timeout=30).json()[
        "created"
    ][0]
    record = requests.get(f"{config['api_url']}/contacts/{created}", headers=headers, timeout=30)
    assert record.status_code == 200
    assert record.json()["contact_id"] == created

    # a 5th request inside one second is throttled
    time.sleep(1.1)
    started = time.monotonic()
    with requests.Session() as session:
        statuses = [
            session.get(f"{config['api_url']}/contact_tags", headers=headers, timeout=30)
            for _ in range(5)
        ]
    if time.monotonic() - started >= 1.0:
        pytest.skip(
            "five loopback requests took a second or more; the window check needs them faster"
        )
    assert [r.status_code for r in statuses] == [200, 200, 200, 200, 429]
    assert statuses[4].json() == {"error_key": "throttled", "error_message": "Too Many Requests"}


def test_state_file_survives_a_restart(cli, tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    first = cli(
        "--contacts", "40", "--campaigns", "0", "--rps", "0", "--state-file", str(state_file)
    )
    base = first.info["base_url"]
    created = requests.post(
        f"{base}/_emulator/actions", json={"create": 2, "delete": 1}, timeout=30
    ).json()
    exported = requests.get(f"{base}/_emulator/export/contacts", timeout=30).json()
    token = requests.post(
        first.info["token_url"],
        auth=(first.info["client_id"], first.info["client_secret"]),
        data={"grant_type": "refresh_token", "refresh_token": first.info["refresh_token"]},
        timeout=30,
    ).json()
    first.stop()
    assert first.process.returncode == 0
    assert stat.S_IMODE(state_file.stat().st_mode) == 0o600
    time.sleep(1.1)  # the token endpoint allows one request per second
    second = cli(
        "--contacts", "40", "--campaigns", "0", "--rps", "0", "--state-file", str(state_file)
    )
    again = requests.get(f"{second.info['base_url']}/_emulator/export/contacts", timeout=30).json()
    assert again == exported
    assert set(created["created"]) <= {c["contact_id"] for c in again}
    # the rotated refresh token is still the valid one after the restart
    refreshed = requests.post(
        second.info["token_url"],
        auth=(second.info["client_id"], second.info["client_secret"]),
        data={"grant_type": "refresh_token", "refresh_token": token["refresh_token"]},
        timeout=30,
    )
    assert refreshed.status_code == 200
    # and the old access token still works
    ok = requests.get(
        f"{second.info['api_url']}/contact_lists",
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=30,
    )
    assert ok.status_code == 200


def test_bad_flags_exit_with_a_message() -> None:
    result = subprocess.run(
        [EMULATOR, "--fault-rate", "2"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert "--fault-rate" in result.stderr


def test_secrets_and_emails_are_not_logged(cli, tmp_path: Path) -> None:
    emu = cli("--contacts", "20", "--campaigns", "0", "--rps", "0", "--log-level", "info")
    base = emu.info["base_url"]
    email = requests.get(f"{base}/_emulator/export/contacts", timeout=30).json()[0][
        "email_address"
    ]["address"]
    token = requests.post(
        emu.info["token_url"],
        auth=(emu.info["client_id"], emu.info["client_secret"]),
        data={"grant_type": "refresh_token", "refresh_token": emu.info["refresh_token"]},
        timeout=30,
    ).json()["access_token"]
    requests.get(
        f"{emu.info['api_url']}/contacts?email={email}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    emu.stop()
    logs = emu.stderr
    assert (
        "Uvicorn running" in logs or "Application startup complete" in logs
    )  # info logging was on
    for secret in (email, emu.info["client_secret"], emu.info["refresh_token"], token):
        assert secret not in logs
