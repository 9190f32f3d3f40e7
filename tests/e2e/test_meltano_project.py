"""meltano.yml must describe the tap exactly as the tap describes itself (`--about`).

These checks are cheap (no sync): they keep the Meltano project from drifting away from the tap's
settings, and keep it installable from the package index alone (no Meltano Hub, no telemetry).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tap_peopleai.settings.schema import tap_setting_names

REPO_ROOT = Path(__file__).resolve().parents[2]
TAP = str(Path(sys.executable).parent / "tap-peopleai")

# Singer SDK built-ins deliberately not declared in meltano.yml (none today). A name listed here
# may be missing from meltano.yml; anything else the tap accepts must be declared.
UNDECLARED_BUILTINS: frozenset[str] = frozenset()

# The tap parses its own settings: meltano.yml must declare them with the one kind Meltano passes
# on exactly as written (others convert: `date_iso8601` turned 2024-13-01 into 2024-01-13).
PASS_THROUGH_KIND = "string"

# Meltano setting kinds accepted for each JSON Schema type of the SDK's built-in settings, which
# the SDK parses itself.
KINDS_FOR_TYPE = {
    "string": {"string", "options", "file", "email"},
    "number": {"integer", "decimal"},
    "integer": {"integer"},
    "boolean": {"boolean"},
    "object": {"object"},
    "array": {"array"},
}


# The extractor that holds the tap's full definition; every other tap plugin inherits from it.
TAP_DEFINITION = "tap-peopleai"


def _meltano_yml() -> dict[str, Any]:
    data = yaml.safe_load((REPO_ROOT / "meltano.yml").read_text())
    assert isinstance(data, dict)
    return data


def _plugin(kind: str, name: str) -> dict[str, Any]:
    for plugin in _meltano_yml()["plugins"][kind]:
        if plugin["name"] == name:
            assert isinstance(plugin, dict)
            return plugin
    raise AssertionError(f"{kind} {name} missing from meltano.yml")


@pytest.fixture(scope="module")
def about() -> dict[str, Any]:
    proc = subprocess.run(
        [TAP, "--about", "--format=json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert isinstance(data, dict)
    return data


def _json_type(schema: dict[str, Any]) -> str:
    """The type of a setting's values; `[type, "string"]` means its text form is accepted too."""
    types = schema.get("type", [])
    if isinstance(types, str):
        types = [types]
    non_null = [t for t in types if t != "null"]
    if len(non_null) == 2 and non_null[1] == "string":
        return str(non_null[0])
    assert len(non_null) == 1, f"ambiguous type {types}"
    return str(non_null[0])


def test_settings_match_tap_about(about: dict[str, Any]) -> None:
    tap_settings: dict[str, dict[str, Any]] = about["settings"]["properties"]
    declared = {s["name"]: s for s in _plugin("extractors", TAP_DEFINITION)["settings"]}
    own = tap_setting_names()

    missing = set(tap_settings) - set(declared) - UNDECLARED_BUILTINS
    unknown = set(declared) - set(tap_settings)
    assert not missing, f"settings of the tap not declared in meltano.yml: {sorted(missing)}"
    assert not unknown, f"settings in meltano.yml the tap does not know: {sorted(unknown)}"
    assert own <= set(tap_settings)

    for name, setting in declared.items():
        schema = tap_settings[name]
        assert setting.get("kind"), f"{name}: no kind"
        assert setting.get("label"), f"{name}: no label"
        assert setting.get("description"), f"{name}: no description"
        if name in own:
            assert setting["kind"] == PASS_THROUGH_KIND, f"{name}: kind {setting['kind']!r}"
            assert "options" not in setting, f"{name}: options make Meltano reject values itself"
            assert setting["label"] == schema["title"], f"{name}: label != the tap's title"
            assert setting["description"] == schema["description"], (
                f"{name}: description in meltano.yml != the tap's:\n{schema['description']}"
            )
        else:
            json_type = _json_type(schema)
            assert setting["kind"] in KINDS_FOR_TYPE[json_type], (
                f"{name}: kind {setting['kind']!r} does not fit the SDK's type {json_type!r}"
            )
        is_secret = bool(schema.get("secret") or schema.get("writeOnly"))
        assert bool(setting.get("sensitive")) == is_secret, f"{name}: sensitive != {is_secret}"
        if "default" in schema:
            assert setting.get("value") == schema["default"], (
                f"{name}: meltano.yml default {setting.get('value')!r} != tap {schema['default']!r}"
            )
        else:
            assert "value" not in setting, f"{name}: meltano.yml sets a default the tap lacks"
        for allowed in schema.get("enum", []):
            assert str(allowed) in setting["description"], f"{name}: {allowed!r} not described"


def test_required_settings_are_in_every_group(about: dict[str, Any]) -> None:
    required = set(about["settings"].get("required", []))
    groups = _plugin("extractors", TAP_DEFINITION).get("settings_group_validation", [])
    assert groups, "settings_group_validation missing"
    for group in groups:
        assert required <= set(group), f"group {group} lacks required {required}"


def test_capabilities_are_the_taps(about: dict[str, Any]) -> None:
    declared = set(_plugin("extractors", TAP_DEFINITION)["capabilities"])
    assert declared <= set(about["capabilities"]), declared - set(about["capabilities"])
    assert {"catalog", "discover", "state", "about"} <= declared


def test_plugins_install_from_the_package_index_alone() -> None:
    data = _meltano_yml()
    assert "version" not in data, "top-level `version` is deprecated in Meltano 4"
    assert data.get("send_anonymous_usage_stats") is False
    for kind in ("extractors", "loaders"):
        names = {plugin["name"] for plugin in data["plugins"][kind]}
        for plugin in data["plugins"][kind]:
            if "inherit_from" in plugin:
                # Inherits from a plugin of this file, never from the Hub.
                assert plugin["inherit_from"] in names, plugin["name"]
                assert "variant" not in plugin, plugin["name"]
                assert "git+" not in plugin.get("pip_url", ""), plugin["name"]
                continue
            for key in ("namespace", "pip_url", "executable"):
                assert plugin.get(key), f"{plugin['name']}: `{key}` missing (Hub lookup)"
            assert "git+" not in plugin["pip_url"], plugin["name"]
            assert "variant" not in plugin, plugin["name"]
    pins = {p["name"]: p["pip_url"].split() for p in data["plugins"]["loaders"]}
    # this repository's own DuckDB loader, installed from its directory
    assert pins["target-duckdb"] == ["-e", "./loaders/target-duckdb-bulk"]
    # this repository's loader (loaders/target-postgres-bulk, which pins the base loader), and
    # beside it the repository's own settings check (loaders/loader-preflight)
    assert pins["target-postgres"] == [
        "-e",
        "./loaders/target-postgres-bulk",
        "-e",
        "./loaders/loader-preflight",
    ]
    assert pins["target-jsonl"] == ["target-jsonl==0.1.4"]


def test_environments_job_and_schedule() -> None:
    data = _meltano_yml()
    envs = {e["name"]: e for e in data["environments"]}
    assert data["default_environment"] == "sandbox"
    assert {"sandbox", "production"} <= set(envs)
    prod = envs["production"]["config"]["plugins"]["extractors"][0]["config"]
    assert "client_secret" not in prod, "secrets belong in .env"
    assert "access_token" not in prod, "secrets belong in .env"
    jobs = {j["name"]: j for j in data["jobs"]}
    assert jobs["peopleai-to-duckdb"]["tasks"] == ["tap-peopleai-bulk target-duckdb"]
    # tap-peopleai-bulk writes BATCH files under the project; tap-peopleai and the
    # reconciliation stay in RECORD mode, so neither may inherit them.
    batch = _plugin("extractors", "tap-peopleai-bulk")
    assert batch["inherit_from"] == TAP_DEFINITION
    assert "batch_config" not in (_plugin("extractors", TAP_DEFINITION).get("config") or {})
    assert batch["config"]["batch_config"]["storage"]["root"].startswith(
        "file://${MELTANO_PROJECT_ROOT}/output/"
    )
    assert _plugin("extractors", "tap-peopleai-reconcile")["inherit_from"] == TAP_DEFINITION
    assert any(s["job"] == "peopleai-to-duckdb" for s in data["schedules"])


def test_readme_generated_parts_are_current() -> None:
    """README's settings table and sandbox/README.md's switch list equal what the code prints."""
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "sync_readme.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
