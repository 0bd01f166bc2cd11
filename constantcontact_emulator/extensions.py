"""Optional parts of the emulator that live in their own modules and plug into the core.

A module listed in `EXTENSION_MODULES` defines `EXTENSION = Extension(...)`. The app factory
includes its routes; seeding, reset, state files, admin actions and exports call its hooks. A
missing module is skipped, so the core runs while the other parts are being built.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute

if TYPE_CHECKING:
    from constantcontact_emulator.seed import SeedOptions
    from constantcontact_emulator.state import EmulatorState

ENV_VAR = "CONSTANTCONTACT_EMULATOR_EXTENSIONS"
EXTENSION_MODULES = (
    "constantcontact_emulator.routes.campaigns",
    "constantcontact_emulator.routes.reports",
    "constantcontact_emulator.routes.activities",
)

# (state, n, now) -> {"result_key": [ids]}; merged into the POST /_emulator/actions answer.
ActionHandler = Callable[["EmulatorState", int, float], dict[str, list[Any]]]


@dataclass
class Extension:
    name: str
    # API routes, made with routing.api_route().
    routes: Sequence[BaseRoute] = ()
    # Called after the contacts seed, with the same options (counts, seed).
    seed: Callable[[EmulatorState, SeedOptions], None] | None = None
    # Called for every new state (seed, reset, state-file load): e.g. append to state.tickers.
    on_state: Callable[[EmulatorState], None] | None = None
    # Kinds accepted by POST /_emulator/actions, e.g. {"campaign_create": handler}.
    actions: Mapping[str, ActionHandler] = field(default_factory=dict)
    # Resources for GET /_emulator/export/{resource}.
    exporters: Mapping[str, Callable[[EmulatorState], Any]] = field(default_factory=dict)
    # State file (--state-file): dump to a JSON-able value, load it back into a fresh state.
    dump: Callable[[EmulatorState], Any] | None = None
    load: Callable[[EmulatorState, Any], None] | None = None


def configured_modules() -> Sequence[str]:
    """EXTENSION_MODULES, or the comma-separated list in $CONSTANTCONTACT_EMULATOR_EXTENSIONS
    (empty: the core alone), e.g. to work on the core while an extension is broken."""
    raw = os.environ.get(ENV_VAR)
    if raw is None:
        return EXTENSION_MODULES
    return [name.strip() for name in raw.split(",") if name.strip()]


def load_extensions(module_names: Sequence[str] | None = None) -> list[Extension]:
    if module_names is None:
        module_names = configured_modules()
    found = []
    for name in module_names:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            raise
        extension = getattr(module, "EXTENSION", None)
        if isinstance(extension, Extension):
            found.append(extension)
    return found


def merged_actions(extensions: Sequence[Extension]) -> Mapping[str, ActionHandler]:
    actions: dict[str, ActionHandler] = {}
    for extension in extensions:
        actions.update(extension.actions)
    return actions
