"""A throwaway Meltano project built from the repo's `meltano.yml`, and `meltano run` in it.

- our two plugins run from this venv: no `pip_url`, `executable` is the absolute path of the
  console script next to this interpreter, so nothing is reinstalled;
- the third-party plugins are installed by `meltano install <name>` (uv, from PyPI);
- state goes to a `file://` backend inside the project;
- plugin settings are passed as `TAP_*` / `TARGET_*` environment variables. Meltano passes a
  plugin only the settings its definition declares (so `run` refuses a variable naming an
  undeclared setting: it would be dropped silently), and a catalog only to an extractor that
  declares the `catalog` capability: tap-postgres's definition lacks it, so the copy adds it
  (`EXTRA_CAPABILITIES`, a suggested change to `meltano.yml`, which the tests do not edit).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
OUR_PLUGINS = ("tap-constantcontact", "target-constantcontact")
# Without `catalog`/`discover` Meltano cannot select tap-postgres's streams (it then skips
# every table), and without `state` the tap gets no bookmarks.
EXTRA_CAPABILITIES: dict[str, list[str]] = {
    "tap-postgres": ["catalog", "discover", "state", "about", "stream-maps"],
}
# The caller's variables that would leak into the plugins' settings or Meltano's own.
LEAKY_PREFIXES = (
    "MELTANO_",
    "TAP_CONSTANTCONTACT_",
    "TARGET_CONSTANTCONTACT_",
    "TAP_POSTGRES_",
    "TARGET_POSTGRES_",
)
LOG_TAIL = 6000
RUN_TIMEOUT = 600


def settings_env(prefix: str, settings: Mapping[str, Any]) -> dict[str, str]:
    """`{"api_url": "...", "actions": {...}}` -> `{"PREFIX_API_URL": "...", ...}`; arrays,
    objects, numbers and booleans as JSON, which Meltano parses by the setting's kind."""
    return {
        f"{prefix}_{name.upper()}": value if isinstance(value, str) else json.dumps(value)
        for name, value in settings.items()
    }


def project_definition(repo_definition: dict[str, Any], root: Path) -> dict[str, Any]:
    """The repo's `meltano.yml`, adapted to run in `root` without reinstalling our plugins."""
    definition = dict(repo_definition)
    definition["send_anonymous_usage_stats"] = False
    definition["state_backend"] = {"uri": (root / "state").as_uri()}
    for plugin in plugins(definition):
        name = plugin["name"]
        if name in OUR_PLUGINS:
            plugin.pop("pip_url", None)
            plugin["executable"] = str(BIN / Path(plugin.get("executable") or name).name)
        if name in EXTRA_CAPABILITIES:
            plugin.setdefault("capabilities", EXTRA_CAPABILITIES[name])
    return definition


def plugins(definition: dict[str, Any]) -> list[dict[str, Any]]:
    return [*definition["plugins"]["extractors"], *definition["plugins"]["loaders"]]


def env_prefix(plugin_name: str) -> str:
    return plugin_name.upper().replace("-", "_") + "_"


def undeclared_settings(definition: dict[str, Any], env: Mapping[str, str]) -> list[str]:
    """Variables naming a plugin setting its definition does not declare: Meltano would
    silently not pass them (the plugin would then run with its default, e.g. the real API)."""
    declared = {
        env_prefix(plugin["name"]): {setting["name"] for setting in plugin.get("settings") or []}
        for plugin in plugins(definition)
    }
    undeclared = []
    for variable in env:
        for prefix, names in declared.items():
            name = variable.removeprefix(prefix)
            if name != variable and not name.startswith("_") and name.lower() not in names:
                undeclared.append(variable)
    return undeclared


@dataclass(frozen=True)
class MeltanoResult:
    returncode: int
    log: str
    log_path: Path


@dataclass(frozen=True)
class MeltanoProject:
    root: Path
    definition: dict[str, Any]

    @classmethod
    def create(cls, root: Path, install: tuple[str, ...]) -> MeltanoProject:
        """Write the project into `root` and install the named third-party plugins."""
        repo_definition = yaml.safe_load((REPO / "meltano.yml").read_text())
        definition = project_definition(repo_definition, root)
        (root / "meltano.yml").write_text(yaml.safe_dump(definition, sort_keys=False))
        project = cls(root, definition)
        installed = project.command("install", *install)
        if installed.returncode != 0:
            pytest.fail(f"`meltano install` failed:\n{installed.log[-LOG_TAIL:]}", pytrace=False)
        return project

    def environment(self, env: Mapping[str, str]) -> dict[str, str]:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(LEAKY_PREFIXES)}
        return {
            **clean,
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "NO_COLOR": "1",
            **env,
        }

    def command(self, *args: str, env: Mapping[str, str] | None = None) -> MeltanoResult:
        """`meltano ARGS` in the project; its whole output is also kept in `logs/`."""
        name = re.sub(r"[^\w.-]+", "-", " ".join(args))[:60]
        log_path = self.root / "logs" / f"{uuid.uuid4().hex[:8]}-{name}.log"
        log_path.parent.mkdir(exist_ok=True)
        result = subprocess.run(
            [str(BIN / "meltano"), *args],
            cwd=self.root,
            env=self.environment(env or {}),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        log = result.stdout + result.stderr
        log_path.write_text(log)
        return MeltanoResult(result.returncode, log, log_path)

    def run(self, *blocks: str, env: Mapping[str, str], state_id_suffix: str) -> MeltanoResult:
        """`meltano run BLOCKS`; a non-zero exit fails the test with the log's tail."""
        if undeclared := undeclared_settings(self.definition, env):
            pytest.fail(f"meltano.yml declares no setting for {undeclared}", pytrace=False)
        result = self.command("run", "--state-id-suffix", state_id_suffix, *blocks, env=env)
        if result.returncode != 0:
            pytest.fail(
                f"`meltano run {' '.join(blocks)}` exited {result.returncode} "
                f"(whole log: {result.log_path}):\n{result.log[-LOG_TAIL:]}",
                pytrace=False,
            )
        return result

    def state(self, state_id: str) -> dict[str, Any]:
        """The state saved for `state_id` (`dev:<tap>-to-<target>:<suffix>`)."""
        result = self.command("state", "get", state_id)
        match = re.search(r"^\{.*\}\s*$", result.log, re.MULTILINE)
        if result.returncode != 0 or match is None:
            pytest.fail(f"`meltano state get {state_id}` gave no state:\n{result.log[-LOG_TAIL:]}")
        return json.loads(match.group(0))
