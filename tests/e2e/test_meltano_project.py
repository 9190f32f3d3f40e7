"""The Meltano project must describe the tap exactly as the tap describes itself (`--about`).

The project is meltano.yml and the files of meltano-project/ it includes; the tap's definition
there (meltano-project/tap-peopleai.yml) is generated from `--about` by `make readme`, and these
checks keep it current and right. They are cheap (no sync): they keep the project from drifting
away from the tap's settings, installable from the package index alone (no Meltano Hub, no
telemetry), and read by Meltano as the tests read it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scripts import plugin_definition
from tap_peopleai.settings.objects import TapSettings, validate_settings
from tap_peopleai.settings.schema import tap_setting_names
from tap_peopleai.settings.values import SettingsError
from tests.support import meltano_files
from tests.support.meltano_files import (
    PROJECT_FILE,
    ProjectFileError,
    load_project,
    project_files,
)

REPO_ROOT = Path(__file__).resolve().parents[2]
TAP = str(Path(sys.executable).parent / "tap-peopleai")

# Singer SDK built-ins deliberately not declared in the project (none today). A name listed here
# may be missing from the tap's definition; anything else the tap accepts must be declared.
UNDECLARED_BUILTINS: frozenset[str] = frozenset()

# The tap parses its own settings: the project must declare them with the one kind Meltano passes
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
GENERATED_DEFINITION = REPO_ROOT / plugin_definition.PROJECT_DEFINITION_PATH
# Valid values for every setting a settings group may name.
GROUP_VALUES = {
    "start_date": "2025-02-01",
    "client_id": "an-id",
    "client_secret": "a-secret",
    "access_token": "a-token",
}


def _project() -> dict[str, Any]:
    return load_project(REPO_ROOT)


def _plugin(kind: str, name: str) -> dict[str, Any]:
    return meltano_files.plugin(_project(), kind, name)


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
    assert not missing, f"settings of the tap not declared in the project: {sorted(missing)}"
    assert not unknown, f"settings in the project the tap does not know: {sorted(unknown)}"
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
                f"{name}: description in the project != the tap's:\n{schema['description']}"
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
                f"{name}: project default {setting.get('value')!r} != tap {schema['default']!r}"
            )
        else:
            assert "value" not in setting, f"{name}: the project sets a default the tap lacks"
        for allowed in schema.get("enum", []):
            assert str(allowed) in setting["description"], f"{name}: {allowed!r} not described"


def test_tap_definition_is_the_generated_file_and_current(about: dict[str, Any]) -> None:
    """The tap is defined once, in the file `make readme` generates, as the generator has it now."""
    assert GENERATED_DEFINITION in project_files(REPO_ROOT), f"{PROJECT_FILE} does not include it"
    assert GENERATED_DEFINITION.read_text() == plugin_definition.render_project(about), (
        f"{GENERATED_DEFINITION.relative_to(REPO_ROOT)} is out of date: run `make readme`"
    )
    (generated,) = plugin_definition.project_definition(about)["plugins"]["extractors"]
    assert _plugin("extractors", TAP_DEFINITION) == generated


def test_each_settings_group_is_what_the_tap_accepts() -> None:
    """Meltano's settings groups say what the tap's own check accepts: each group is enough,
    and none is enough without any one of its settings."""
    today = dt.date(2026, 1, 1)
    for group in _plugin("extractors", TAP_DEFINITION)["settings_group_validation"]:
        config = {name: GROUP_VALUES[name] for name in group}
        assert validate_settings(TapSettings.from_config(config), today) == [], group
        for name in group:
            partial = {key: value for key, value in config.items() if key != name}
            try:
                problems = validate_settings(TapSettings.from_config(partial), today)
            except SettingsError as exc:
                problems = [str(exc)]
            assert problems, f"{group} without {name} is accepted by the tap"


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
    data = _project()
    assert "version" not in data, "top-level `version` is deprecated in Meltano 4"
    assert data.get("send_anonymous_usage_stats") is False
    for kind in ("extractors", "loaders"):
        names = {plugin["name"] for plugin in data["plugins"][kind]}
        for plugin in data["plugins"][kind]:
            if "inherit_from" in plugin:
                # Inherits from a plugin of the project, never from the Hub.
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
    data = _project()
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
    """README's settings table, sandbox/README.md's switch list and the plugin definitions
    (meltano-hub/, meltano-project/) equal what the code prints."""
    proc = subprocess.run(
        [sys.executable, "-m", "scripts.sync_readme", "--check"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_project_reader_refuses_what_meltano_would_misread(tmp_path: Path) -> None:
    """A plugin defined twice, a frame key in an included file, an include that matches no file:
    each stops the reader with one line naming the file(s)."""
    (tmp_path / "parts").mkdir()
    tap = "plugins:\n  extractors:\n  - name: tap-x\n"
    (tmp_path / "parts" / "a.yml").write_text(tap)
    (tmp_path / "parts" / "b.yml").write_text(tap)
    (tmp_path / "parts" / "c.yml").write_text("default_environment: dev\n")
    cases = {
        "[parts/a.yml, parts/b.yml]": "plugins extractors tap-x is defined in both",
        "[parts/c.yml]": "['default_environment'] belong in meltano.yml",
        "[parts/d.yml]": "include_paths entry 'parts/d.yml' matches no file",
    }
    for includes, message in cases.items():
        (tmp_path / PROJECT_FILE).write_text(f"project_id: x\ninclude_paths: {includes}\n")
        with pytest.raises(ProjectFileError, match=re.escape(message)):
            load_project(tmp_path)
    (tmp_path / PROJECT_FILE).write_text("include_paths: [parts/a.yml]\n")
    assert load_project(tmp_path)["plugins"] == {"extractors": [{"name": "tap-x"}]}


def _environment(project: dict[str, Any], name: str) -> dict[str, Any]:
    """The `config` of environment NAME (its plugins, as a project's `plugins`)."""
    (environment,) = [e for e in project["environments"] if e["name"] == name]
    config: dict[str, Any] = environment["config"]
    return config


@pytest.mark.e2e
def test_meltano_reads_the_project_as_the_tests_do(
    project_copies: Callable[[str], Any], about: dict[str, Any]
) -> None:
    """Meltano merges meltano.yml and its included files as tests.support.meltano_files does:
    plugins inherit across files, environments configure plugins of other files, and
    `meltano config set`, which rewrites every file of the project, leaves the generated one
    as `make readme` wrote it; a value it writes there (no environment) stops `make readme`."""
    project, copy = _project(), project_copies("split")
    generated = copy.root / plugin_definition.PROJECT_DEFINITION_PATH
    written = generated.read_text()
    listed = json.loads(copy.run("job", "list", "--format=json").stdout)
    assert [job["job_name"] for job in listed["jobs"]] == [job["name"] for job in project["jobs"]]

    # tap-peopleai-bulk (extractors.yml) inherits from tap-peopleai (the generated file), and
    # the sandbox environment (environments.yml) configures tap-peopleai for both.
    printed = copy.run("--environment=sandbox", "config", "print", "tap-peopleai-bulk").stdout
    config = json.loads(printed[printed.index("{") :])
    sandbox = meltano_files.plugin(_environment(project, "sandbox"), "extractors", TAP_DEFINITION)[
        "config"
    ]
    assert config["api_url"] == sandbox["api_url"]
    tap = _plugin("extractors", TAP_DEFINITION)
    (job_timeout,) = [s["value"] for s in tap["settings"] if s["name"] == "job_timeout"]
    assert config["job_timeout"] == job_timeout
    storage = _plugin("extractors", "tap-peopleai-bulk")["config"]["batch_config"]["storage"]
    root = storage["root"].replace("${MELTANO_PROJECT_ROOT}", str(copy.root))
    assert config["batch_config"]["storage"] == {**storage, "root": root}

    copy.run("--environment=production", "config", "set", "tap-peopleai", "end_date", "2025-01-31")
    assert generated.read_text() == written, "Meltano rewrote the generated definition"
    production = _environment(load_project(copy.root), "production")
    assert (
        meltano_files.plugin(production, "extractors", TAP_DEFINITION)["config"]["end_date"]
        == "2025-01-31"
    )
    assert plugin_definition.not_generated(generated.read_text(), about) == []

    copy.run("--no-environment", "config", "set", "tap-peopleai", "start_date", "2024-01-01")
    kept = plugin_definition.not_generated(generated.read_text(), about)
    assert kept == [f"`config` of {TAP_DEFINITION}"]
