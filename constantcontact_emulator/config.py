"""Settings of one emulator instance: the CLI flags, with the defaults of docs/CONTRACTS.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

ALL_SCOPES = ("contact_data", "campaign_data", "account_read", "account_update", "offline_access")

CursorMode = Literal["offset", "keyset"]
RefreshTokenMode = Literal["rotating", "long_lived"]


@dataclass
class EmulatorConfig:
    host: str = "127.0.0.1"
    port: int = 0
    contacts: int = 1200
    campaigns: int = 5
    seed: int = 1
    # Seed timestamps end at this epoch time; None: 00:00 UTC of the start day.
    seed_anchor: float | None = None
    rps: float = 4
    daily_limit: int = 10000
    token_rps: float = 1
    access_token_ttl: int = 86400
    refresh_token_mode: RefreshTokenMode = "rotating"  # noqa: S105 - a mode, not a secret
    # Scopes of the seeded refresh token (the one printed in the ready line and --write-config).
    scopes: tuple[str, ...] = ALL_SCOPES
    cursor_mode: CursorMode = "offset"
    delete_touches_updated_at: bool = True
    # Whether list/tag membership changes move the contact's updated_at (undocumented).
    membership_touches_updated_at: bool = True
    record_exchanges: bool = False
    # Fixed credentials for the seeded application; derived from --seed when not given.
    client_id: str | None = None
    client_secret: str | None = None
    state_file: Path | None = None
    # Accounts with Confirmed Opt-In give new sign_up_form contacts pending_confirmation.
    confirmed_opt_in: bool = False
    # Bulk activities (routes/activities.py): the queue limit and how long a job takes.
    max_queued_activities: int = 1000
    activity_seconds: float = 2.0
    # Initial faults, also settable at run time through /_emulator/faults.
    latency_ms: int = 0
    fault_rate: float = 0.0
    drop_rate: float = 0.0
    throttle_rate: float = 0.0
    # Free-form options for extensions (campaigns, reports, bulk) without a flag of their own.
    extra: dict[str, object] = field(default_factory=dict)
