"""One running emulator: the account data plus the server-side machinery around it (OAuth,
limits, faults, stats, recorded exchanges). `reset()` swaps in freshly seeded data."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from constantcontact_emulator import persistence
from constantcontact_emulator.config import EmulatorConfig
from constantcontact_emulator.extensions import Extension, load_extensions
from constantcontact_emulator.faults import Faults, FaultSettings
from constantcontact_emulator.limits import DailyQuota, SlidingWindowLimiter
from constantcontact_emulator.oauth import OAuthServer
from constantcontact_emulator.seed import SeedOptions, anchor_for, build_state
from constantcontact_emulator.state import EmulatorState
from constantcontact_emulator.stats import Stats


class Emulator:
    def __init__(
        self, config: EmulatorConfig, extensions: Sequence[Extension] | None = None
    ) -> None:
        self.config = config
        self.extensions = list(load_extensions() if extensions is None else extensions)
        now = time.time()
        self.oauth = OAuthServer.create(config, now)
        self.limiter = SlidingWindowLimiter(config.rps)
        self.quota = DailyQuota(config.daily_limit)
        self.faults = Faults(self._initial_faults(), config.seed)
        self.stats = Stats()
        self.exchanges: list[dict[str, Any]] = []
        self.seed_options = SeedOptions(
            contacts=config.contacts,
            campaigns=config.campaigns,
            seed=config.seed,
            anchor=anchor_for(config, now),
        )
        self.state: EmulatorState
        if config.state_file is not None and config.state_file.exists():
            self.state = persistence.load(config.state_file, config, self.oauth, self.extensions)
        else:
            self.state = build_state(config, self.seed_options, self.extensions)

    def _initial_faults(self) -> FaultSettings:
        return FaultSettings(
            latency_ms=self.config.latency_ms,
            error_rate=self.config.fault_rate,
            drop_rate=self.config.drop_rate,
            throttle_rate=self.config.throttle_rate,
        )

    @property
    def client_id(self) -> str:
        return self.oauth.seeded_client.client_id

    def reset(
        self, *, contacts: int | None = None, campaigns: int | None = None, seed: int | None = None
    ) -> None:
        """Back to seeded data (optionally different counts/seed); clears stats, limit windows,
        quota, recorded exchanges and run-time faults. OAuth clients and tokens are kept."""
        options = self.seed_options
        self.seed_options = SeedOptions(
            contacts=options.contacts if contacts is None else contacts,
            campaigns=options.campaigns if campaigns is None else campaigns,
            seed=options.seed if seed is None else seed,
            anchor=options.anchor,
        )
        self.state = build_state(self.config, self.seed_options, self.extensions)
        self.stats = Stats()
        self.limiter = SlidingWindowLimiter(self.limiter.rps)
        self.quota = DailyQuota(self.quota.limit)
        self.faults = Faults(self._initial_faults(), self.config.seed)
        self.exchanges.clear()

    def save(self) -> None:
        if self.config.state_file is not None:
            persistence.save(self.config.state_file, self.state, self.oauth, self.extensions)

    def stats_body(self) -> dict[str, Any]:
        body = self.stats.as_dict()
        body["quota_used"] = self.quota.used_today()
        body["daily_limit"] = self.quota.limit
        body["rps"] = self.limiter.rps
        body["queued_activities"] = self.state.queued_activity_count()
        return body
