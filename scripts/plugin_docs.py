"""Keep `meltano.yml` and the README in step with the plugins' `--about` output.

    python -m scripts.plugin_docs          # rewrite the generated blocks
    python -m scripts.plugin_docs --check  # exit 1 if a block is stale (also run by the tests)

Generated blocks sit between marker comments:
- in `meltano.yml`: `# <generated:settings:PLUGIN>` ... `# </generated:settings:PLUGIN>`
- in `README.md`: `<!-- generated:about:PLUGIN -->` ... `<!-- /generated:about:PLUGIN -->`
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
PLUGINS = ("tap-constantcontact", "target-constantcontact")
MELTANO_INDENT = "    "


def about(plugin: str, fmt: str) -> str:
    executable = Path(sys.executable).with_name(plugin)
    result = subprocess.run(
        [str(executable), "--about", f"--format={fmt}"],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


# Meltano 4.4 turns a `decimal` setting given as an environment variable (or in `.env`) into a
# `Decimal`, then fails to serialize the config ("Object of type Decimal is not JSON
# serializable"). Our number settings are all seconds, so Meltano declares them as integers:
# whole seconds through Meltano, fractions still accepted in a plain Singer config file.
JSON_TYPE_KINDS = {
    "boolean": "boolean",
    "integer": "integer",
    "number": "integer",
    "array": "array",
    "object": "object",
}


def meltano_kind(spec: dict[str, Any]) -> str:
    types = spec.get("type", [])
    types = [types] if isinstance(types, str) else types
    for json_type, kind in JSON_TYPE_KINDS.items():
        if json_type in types:
            return kind
    if "anyOf" in spec or "oneOf" in spec:
        return "object"
    if spec.get("format") == "date-time":
        return "date_iso8601"
    return "string"


def meltano_settings(about_json: dict[str, Any]) -> list[dict[str, Any]]:
    """Setting definitions for `meltano.yml`, one per `--about` property, in its order."""
    settings = []
    for name, spec in about_json["settings"]["properties"].items():
        setting: dict[str, Any] = {"name": name, "kind": meltano_kind(spec)}
        if spec.get("title"):
            setting["label"] = spec["title"]
        if spec.get("description"):
            setting["description"] = " ".join(spec["description"].split())
        if "default" in spec:
            setting["value"] = spec["default"]
        if spec.get("secret"):
            setting["sensitive"] = True
        if spec.get("enum"):
            setting["kind"] = "options"
            setting["options"] = [{"label": str(v), "value": v} for v in spec["enum"]]
        settings.append(setting)
    return settings


def settings_block(plugin: str) -> str:
    about_json = json.loads(about(plugin, "json"))
    body = {
        "capabilities": about_json["capabilities"],
        "settings": meltano_settings(about_json),
    }
    required = about_json["settings"].get("required") or []
    if required:
        body["settings_group_validation"] = [required]
    text = yaml.safe_dump(body, sort_keys=False, width=100, allow_unicode=True)
    return "".join(
        MELTANO_INDENT + line if line.strip() else line for line in text.splitlines(True)
    )


def readme_block(plugin: str) -> str:
    text = about(plugin, "markdown").strip()
    # The about text opens with a level-1 title; inside the README it is a subsection.
    text = re.sub(r"^# ", "### ", text, count=1, flags=re.MULTILINE)
    return re.sub(r"^## ", "#### ", text, flags=re.MULTILINE) + "\n"


def replace_between(text: str, start: str, end: str, block: str, where: str) -> str:
    pattern = re.compile(
        rf"({re.escape(start)}[^\n]*\n)(.*?)(^[ \t]*{re.escape(end)})", re.S | re.M
    )
    if not pattern.search(text):
        raise SystemExit(f"{where}: markers {start!r} … {end!r} not found")
    return pattern.sub(lambda m: m.group(1) + block + m.group(3), text, count=1)


def render() -> dict[Path, str]:
    meltano_path, readme_path = ROOT / "meltano.yml", ROOT / "README.md"
    meltano_text, readme_text = meltano_path.read_text(), readme_path.read_text()
    for plugin in PLUGINS:
        meltano_text = replace_between(
            meltano_text,
            f"# <generated:settings:{plugin}>",
            f"# </generated:settings:{plugin}>",
            settings_block(plugin),
            "meltano.yml",
        )
        readme_text = replace_between(
            readme_text,
            f"<!-- generated:about:{plugin} -->",
            f"<!-- /generated:about:{plugin} -->",
            readme_block(plugin),
            "README.md",
        )
    return {meltano_path: meltano_text, readme_path: readme_text}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a generated block is stale")
    args = parser.parse_args()
    stale = []
    for path, text in render().items():
        if path.read_text() != text:
            stale.append(path.name)
            if not args.check:
                path.write_text(text)
    if args.check and stale:
        print(f"stale generated blocks in {', '.join(stale)}: run `python -m scripts.plugin_docs`")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
