"""End-to-end fixtures: a throwaway PostgreSQL server and a throwaway Meltano project.

- `postgres`: one server per session, on a free loopback port, stopped at the end
  (`postgres.py`); `database` gives each test its own empty database on it.
- `meltano_project`: one project per session, built from the repo's `meltano.yml` in a
  temporary directory (`meltano_project.py`), with target-postgres and tap-postgres installed.

Everything lives in fresh temporary directories, on free ports, so two sessions can run at
once: the project under `tmp_path_factory`, the server's data in its own `mkdtemp` directory
(as root, the `postgres` user must reach it, and pytest's base directory is private to
root). The emulators come from the shared `emulator_factory` fixture (`tests/conftest.py`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .database import Database
from .meltano_project import MeltanoProject
from .postgres import PostgresServer, running_postgres

THIRD_PARTY_PLUGINS = ("target-postgres", "tap-postgres")


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture
def database(postgres: PostgresServer) -> Database:
    return Database.create(postgres)


@pytest.fixture(scope="session")
def meltano_project(tmp_path_factory: pytest.TempPathFactory) -> MeltanoProject:
    return MeltanoProject.create(tmp_path_factory.mktemp("meltano"), THIRD_PARTY_PLUGINS)
