"""Shared fixtures: live emulator processes on free loopback ports.

- `emulator`: module-scoped, 1,200 contacts, 5 campaigns, seed 1, every limit off (no 4/s, no
  daily quota, no token-endpoint limit) so tests that are not about limits run fast. Tests that
  change its data should `emulator.reset()` first or use `emulator_factory`.
- `emulator_with_limits`: module-scoped, the same data with the real limits (4/s, 10,000/day,
  token endpoint 1/s).
- `emulator_factory`: function-scoped; `emulator_factory(contacts=..., campaigns=..., rps=0,
  daily_limit=0, **flags)` starts one more emulator, stopped at teardown (with rps=0 the token
  endpoint limit is off too unless `token_rps` is given). Flags are CLI flags
  in snake_case (`record_exchanges=True`, `cursor_mode="keyset"`,
  `delete_touches_updated_at=False`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from constantcontact_emulator.testing import EmulatorProcess

EmulatorFactory = Callable[..., EmulatorProcess]


@pytest.fixture
def emulator_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorFactory]:
    started: list[EmulatorProcess] = []

    def start(
        contacts: int = 1200,
        campaigns: int = 5,
        rps: float = 0,
        daily_limit: int = 0,
        **flags: Any,
    ) -> EmulatorProcess:
        flags.setdefault("token_rps", 0 if rps == 0 else 1)
        process = EmulatorProcess(
            contacts=contacts,
            campaigns=campaigns,
            rps=rps,
            daily_limit=daily_limit,
            workdir=tmp_path_factory.mktemp("emulator"),
            **flags,
        )
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    with EmulatorProcess(
        contacts=1200,
        campaigns=5,
        seed=1,
        rps=0,
        daily_limit=0,
        token_rps=0,
        workdir=tmp_path_factory.mktemp("emulator"),
    ) as process:
        yield process


@pytest.fixture(scope="module")
def emulator_with_limits(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    with EmulatorProcess(
        contacts=1200,
        campaigns=5,
        seed=1,
        rps=4,
        daily_limit=10000,
        workdir=tmp_path_factory.mktemp("emulator"),
    ) as process:
        yield process
