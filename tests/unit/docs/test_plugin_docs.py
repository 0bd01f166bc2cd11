"""`meltano.yml` and the README's settings tables say what the plugins' `--about` says."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml

from scripts import plugin_docs

ROOT = Path(__file__).resolve().parents[3]


def test_generated_blocks_are_current() -> None:
    stale = [path.name for path, text in plugin_docs.render().items() if path.read_text() != text]
    assert not stale, f"run `python -m scripts.plugin_docs`: stale blocks in {stale}"


def test_meltano_declares_every_setting_with_its_secrecy() -> None:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    plugins = {p["name"]: p for kind in project["plugins"].values() for p in kind}
    for name in plugin_docs.PLUGINS:
        plugin = plugins[name]
        assert plugin["pip_url"] == "-e ."
        assert "variant" not in plugin
        about = json.loads(
            subprocess.run(
                [str(Path(sys.executable).with_name(name)), "--about", "--format=json"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        declared = {s["name"]: s for s in plugin["settings"]}
        assert list(declared) == list(about["settings"]["properties"])
        for setting, spec in about["settings"]["properties"].items():
            assert declared[setting].get("sensitive", False) == spec.get("secret", False), setting


def test_no_plugin_relies_on_meltano_hub() -> None:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text())
    for plugins in project["plugins"].values():
        for plugin in plugins:
            assert "variant" not in plugin, plugin["name"]
            assert {"namespace", "pip_url", "executable"} <= set(plugin), plugin["name"]
