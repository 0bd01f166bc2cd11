"""Run the real emulator in a subprocess, for tests, the demo and users' CI.

    with EmulatorProcess(contacts=100, rps=0) as emu:
        tap_config = emu.config  # api_url, token_url, client_id, client_secret, refresh_token
        emu.actions(create=3, unsubscribe=1)
        assert emu.stats()["requests"]["GET /v3/contacts"] == 2

It starts `python -m constantcontact_emulator --port 0 ...`, reads the ready line, and stops the
process (terminate, then kill) on exit.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

STARTUP_TIMEOUT = 120.0


def cli_args(flags: dict[str, Any]) -> list[str]:
    """`{"delete_touches_updated_at": False, "latency_ms": 5}` -> CLI flags."""
    args: list[str] = []
    for name, value in flags.items():
        flag = "--" + name.replace("_", "-")
        if value is None:
            continue
        if value is True:
            args.append(flag)
        elif value is False:
            args.append("--no-" + name.replace("_", "-"))
        elif isinstance(value, list | tuple):
            args.extend([flag, " ".join(str(v) for v in value)])
        else:
            args.extend([flag, str(value)])
    return args


class EmulatorProcess:
    """A running `constantcontact-emulator` on a free loopback port."""

    def __init__(
        self,
        *,
        contacts: int = 1200,
        campaigns: int = 5,
        seed: int = 1,
        rps: float | None = None,
        daily_limit: int | None = None,
        record_exchanges: bool = False,
        extra_args: list[str] | tuple[str, ...] = (),
        workdir: str | os.PathLike[str] | None = None,
        startup_timeout: float = STARTUP_TIMEOUT,
        **flags: Any,
    ) -> None:
        args = ["--contacts", str(contacts), "--campaigns", str(campaigns), "--seed", str(seed)]
        if rps is not None:
            args += ["--rps", str(rps)]
        if daily_limit is not None:
            args += ["--daily-limit", str(daily_limit)]
        if record_exchanges:
            args.append("--record-exchanges")
        self.args = [*args, *cli_args(flags), *extra_args]
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._workdir = Path(workdir) if workdir is not None else None
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] = {}
        self.http = requests.Session()
        self._access_token: str | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self) -> EmulatorProcess:
        if self._workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="cc-emulator-")
            self._workdir = Path(self._tmp.name)
        self._workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = self._workdir / "emulator-config.json"
        self._stderr_path = self._workdir / "emulator.stderr"
        command = [
            sys.executable,
            "-m",
            "constantcontact_emulator",
            "--port",
            "0",
            "--write-config",
            str(self.config_path),
            *self.args,
        ]
        with self._stderr_path.open("wb") as stderr:
            # the command is this interpreter and our own module: no untrusted input
            self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=stderr)  # noqa: S603
        try:
            self.info = json.loads(self._read_ready_line())
        except BaseException:
            self.stop()
            raise
        return self

    def _read_ready_line(self) -> str:
        if self.process is None or self.process.stdout is None:
            raise RuntimeError("the emulator process is not running")
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + self.startup_timeout
        line = b""
        try:
            while not line.endswith(b"\n"):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise RuntimeError(
                        f"the emulator did not start in {self.startup_timeout:.0f} s"
                        + self._stderr_tail()
                    )
                if not selector.select(timeout=min(remaining, 0.5)):
                    if self.process.poll() is not None:
                        raise RuntimeError(self._exited_message())
                    continue
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk:
                    self.process.wait(timeout=5)
                    raise RuntimeError(self._exited_message())
                line += chunk
        finally:
            selector.close()
        return line.decode().splitlines()[0]

    def _exited_message(self) -> str:
        code = self.process.returncode if self.process is not None else None
        return f"the emulator exited with {code}{self._stderr_tail()}"

    def _stderr_tail(self) -> str:
        try:
            text = self._stderr_path.read_text(errors="replace")
        except OSError:
            return ""
        return ":\n" + text[-3000:] if text.strip() else ""

    def stop(self) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if process is not None and process.stdout is not None:
            process.stdout.close()
        self.http.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- facts ----------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.info["base_url"]

    @property
    def api_url(self) -> str:
        return self.info["api_url"]

    @property
    def token_url(self) -> str:
        return self.info["token_url"]

    @property
    def authorize_url(self) -> str:
        return self.info["authorize_url"]

    @property
    def port(self) -> int:
        return self.info["port"]

    @property
    def config(self) -> dict[str, Any]:
        """The tap/target config: api_url, token_url, client_id, client_secret, refresh_token."""
        return json.loads(self.config_path.read_text())

    # --- the admin API --------------------------------------------------------------------------

    def _admin(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.http.request(
            method, f"{self.base_url}/_emulator/{path}", json=body, timeout=300
        )
        if response.status_code >= 400:
            raise RuntimeError(
                f"{method} /_emulator/{path} answered {response.status_code}: {response.text}"
            )
        return response.json() if response.content else None

    def actions(self, **counts: int) -> dict[str, list[Any]]:
        """UI-like changes, now: `create`, `update`, `delete`, `unsubscribe` (+ extension kinds)."""
        return self._admin("POST", "actions", counts)

    def stats(self) -> dict[str, Any]:
        return self._admin("GET", "stats")

    def reset(self, **options: int) -> dict[str, Any]:
        return self._admin("POST", "reset", options)

    def faults(self, **changes: Any) -> dict[str, Any]:
        """Without arguments: the current faults. Otherwise change them (see /_emulator/faults)."""
        return self._admin("POST", "faults", changes) if changes else self._admin("GET", "faults")

    def export(self, resource: str = "contacts") -> Any:
        return self._admin("GET", f"export/{resource}")

    def exchanges(self) -> list[dict[str, Any]]:
        return self._admin("GET", "exchanges")

    def clear_exchanges(self) -> None:
        self._admin("DELETE", "exchanges")

    def mint_refresh_token(self, scopes: str) -> str:
        """A refresh token of the seeded client limited to `scopes` (space-separated)."""
        return self._admin("POST", "tokens", {"scopes": scopes})["refresh_token"]

    # --- calling the API as a client would ------------------------------------------------------

    def token_response(self, refresh_token: str | None = None) -> dict[str, Any]:
        """Exchange a refresh token at the token endpoint (retrying its 1 request/s limit).

        Without `refresh_token` a fresh all-scope grant is minted first, so the seeded refresh
        token in `config` stays valid for the tap or target under test.
        """
        info = self.info
        token = refresh_token or self.mint_refresh_token(
            "contact_data campaign_data account_read account_update offline_access"
        )
        for _ in range(50):
            response = self.http.post(
                self.token_url,
                auth=(info["client_id"], info["client_secret"]),
                data={"grant_type": "refresh_token", "refresh_token": token},
                timeout=30,
            )
            if response.status_code != 429:
                break
            time.sleep(0.25)
        response.raise_for_status()
        return response.json()

    def access_token(self) -> str:
        """An access token with every scope, fetched once and reused."""
        if self._access_token is None:
            self._access_token = self.token_response()["access_token"]
        return self._access_token

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Call the API with a valid token; `path` like `/contacts` or a `/v3/...` next link."""
        url = f"{self.base_url}{path}" if path.startswith("/v3") else f"{self.api_url}{path}"
        headers = {"Authorization": f"Bearer {self.access_token()}", **kwargs.pop("headers", {})}
        return self.http.request(method, url, headers=headers, timeout=300, **kwargs)
