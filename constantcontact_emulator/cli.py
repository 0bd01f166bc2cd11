"""`constantcontact-emulator`: run the emulator on 127.0.0.1 (docs/CONTRACTS.md has the flags).

After it listens it prints one JSON line on stdout (`{"event": "ready", ...}`) with the URLs
and the seeded application's credentials; `--write-config PATH` writes them as a tap/target
config file (mode 0600: it holds a secret).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

import uvicorn

from constantcontact_emulator.app import create_app
from constantcontact_emulator.config import ALL_SCOPES, EmulatorConfig
from constantcontact_emulator.gateway import Gateway
from constantcontact_emulator.routes.oauth import AUTHORIZE_PATH, TOKEN_PATH

# Load balancers in front of public APIs typically keep idle connections for about a minute.
KEEP_ALIVE_SECONDS = 65


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="constantcontact-emulator",
        description="A faithful, stateful local emulator of the Constant Contact v3 API.",
    )
    d = EmulatorConfig()
    p.add_argument("--host", default=d.host, help="bind address (default %(default)s)")
    p.add_argument("--port", type=_non_negative_int, default=d.port, help="0 picks a free port")
    p.add_argument("--contacts", type=_non_negative_int, default=d.contacts, help="seeded contacts")
    p.add_argument(
        "--campaigns", type=_non_negative_int, default=d.campaigns, help="seeded campaigns"
    )
    p.add_argument("--seed", type=int, default=d.seed, help="seed of the fake data")
    p.add_argument(
        "--seed-anchor",
        type=float,
        default=None,
        help="epoch seconds the seeded timestamps end at (default: 00:00 UTC today)",
    )
    p.add_argument(
        "--rps",
        type=_non_negative_float,
        default=d.rps,
        help="requests per second per application; 0 = off",
    )
    p.add_argument(
        "--daily-limit", type=_non_negative_int, default=d.daily_limit, help="daily quota; 0 = off"
    )
    p.add_argument(
        "--token-rps",
        type=_non_negative_float,
        default=d.token_rps,
        help="token endpoint requests per second per client; 0 = off",
    )
    p.add_argument(
        "--access-token-ttl", type=_non_negative_int, default=d.access_token_ttl, help="seconds"
    )
    p.add_argument(
        "--refresh-token-mode", choices=("rotating", "long_lived"), default=d.refresh_token_mode
    )
    p.add_argument(
        "--scopes",
        default=" ".join(ALL_SCOPES),
        help="scopes of the seeded refresh token (space-separated)",
    )
    p.add_argument(
        "--client-id", default=None, help="fixed client_id (default: derived from --seed)"
    )
    p.add_argument(
        "--client-secret", default=None, help="fixed client_secret (default: derived from --seed)"
    )
    p.add_argument("--cursor-mode", choices=("offset", "keyset"), default=d.cursor_mode)
    p.add_argument(
        "--delete-touches-updated-at",
        action=argparse.BooleanOptionalAction,
        default=d.delete_touches_updated_at,
        help="a soft delete moves the contact's updated_at",
    )
    p.add_argument(
        "--membership-touches-updated-at",
        action=argparse.BooleanOptionalAction,
        default=d.membership_touches_updated_at,
        help="list/tag membership changes move the contact's updated_at",
    )
    p.add_argument(
        "--confirmed-opt-in",
        action=argparse.BooleanOptionalAction,
        default=d.confirmed_opt_in,
        help="new sign_up_form contacts are pending_confirmation",
    )
    p.add_argument(
        "--record-exchanges",
        action="store_true",
        help="keep requests/responses for /_emulator/exchanges",
    )
    p.add_argument(
        "--state-file", type=Path, default=None, help="load state from / save it to this JSON file"
    )
    p.add_argument(
        "--max-queued-activities", type=_non_negative_int, default=d.max_queued_activities
    )
    p.add_argument(
        "--activity-seconds",
        type=_non_negative_float,
        default=d.activity_seconds,
        help="how long a bulk activity takes (scaled by size)",
    )
    p.add_argument(
        "--latency-ms", type=_non_negative_int, default=d.latency_ms, help="added to every API call"
    )
    p.add_argument(
        "--fault-rate", type=_rate, default=d.fault_rate, help="share of API calls answered 500/503"
    )
    p.add_argument(
        "--drop-rate",
        type=_rate,
        default=d.drop_rate,
        help="share of API calls whose connection is dropped",
    )
    p.add_argument(
        "--throttle-rate",
        type=_rate,
        default=d.throttle_rate,
        help="share of API calls answered 429",
    )
    p.add_argument(
        "--write-config", type=Path, default=None, help="write a tap/target config JSON here"
    )
    p.add_argument(
        "--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug")
    )
    p.add_argument(
        "--keep-alive-seconds",
        type=_non_negative_int,
        default=KEEP_ALIVE_SECONDS,
        help="how long an idle keep-alive connection stays open (uvicorn's default of 5 s makes "
        "clients that pause between calls, e.g. while polling a bulk activity, race the close)",
    )
    return p


def config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    return EmulatorConfig(
        host=args.host,
        port=args.port,
        contacts=args.contacts,
        campaigns=args.campaigns,
        seed=args.seed,
        seed_anchor=args.seed_anchor,
        rps=args.rps,
        daily_limit=args.daily_limit,
        token_rps=args.token_rps,
        access_token_ttl=args.access_token_ttl,
        refresh_token_mode=args.refresh_token_mode,
        scopes=tuple(args.scopes.split()),
        client_id=args.client_id,
        client_secret=args.client_secret,
        cursor_mode=args.cursor_mode,
        delete_touches_updated_at=args.delete_touches_updated_at,
        membership_touches_updated_at=args.membership_touches_updated_at,
        confirmed_opt_in=args.confirmed_opt_in,
        record_exchanges=args.record_exchanges,
        state_file=args.state_file,
        max_queued_activities=args.max_queued_activities,
        activity_seconds=args.activity_seconds,
        latency_ms=args.latency_ms,
        fault_rate=args.fault_rate,
        drop_rate=args.drop_rate,
        throttle_rate=args.throttle_rate,
    )


def ready_info(app: Gateway, host: str, port: int) -> dict[str, Any]:
    emulator = app.emulator
    client = emulator.oauth.seeded_client
    base = f"http://{host}:{port}"
    return {
        "event": "ready",
        "base_url": base,
        "api_url": f"{base}/v3",
        "token_url": f"{base}{TOKEN_PATH}",
        "authorize_url": f"{base}{AUTHORIZE_PATH}",
        "client_id": client.client_id,
        "client_secret": client.client_secret,
        "refresh_token": emulator.oauth.seeded_refresh_token,
        "port": port,
        "pid": os.getpid(),
    }


def write_config(path: Path, info: dict[str, Any]) -> None:
    config = {
        k: info[k] for k in ("api_url", "token_url", "client_id", "client_secret", "refresh_token")
    }
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(config, handle, indent=2)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


async def serve(app: Gateway, args: argparse.Namespace) -> None:
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when the
    # listening socket's proto is TCP; without it every keep-alive response waits ~40 ms.
    sock = socket.socket(
        socket.AF_INET6 if ":" in args.host else socket.AF_INET,
        socket.SOCK_STREAM,
        socket.IPPROTO_TCP,
    )
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            log_level=args.log_level,
            access_log=False,
            lifespan="on",
            proxy_headers=False,
            server_header=False,
            date_header=True,
            timeout_keep_alive=args.keep_alive_seconds,
        )
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            await task
            return
        await asyncio.sleep(0.01)
    info = ready_info(app, args.host, port)
    if args.write_config is not None:
        write_config(args.write_config, info)
    sys.stdout.write(json.dumps(info) + "\n")
    sys.stdout.flush()
    await task


def _exit_cleanly(signum: int, frame: object) -> None:
    """SIGTERM ends the process with status 0. Uvicorn handles the signal while serving (a
    graceful shutdown that saves --state-file), then raises it again, arriving here."""
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _exit_cleanly)
    app = create_app(config_from_args(args))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(app, args))


if __name__ == "__main__":
    main()
