"""The Meltano project's dbt utilities, jobs and loader tuning, checked without running anything.

The utilities must install from the package index alone with exact pins (no Meltano Hub, no git
URLs, no dbt Hub packages), and dbt-duckdb must use the DuckDB version target-duckdb writes with
(and the tests read with): one file format throughout.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from tests.support.meltano_files import load_project

REPO_ROOT = Path(__file__).resolve().parents[2]


def _project() -> dict[str, Any]:
    return load_project(REPO_ROOT)


def _plugins(kind: str) -> dict[str, dict[str, Any]]:
    return {plugin["name"]: plugin for plugin in _project()["plugins"][kind]}


def _duckdb_pins(pyproject: Path) -> list[str]:
    """Every `duckdb==X` requirement of a pyproject.toml (tomllib is not in Python 3.10)."""
    return re.findall(r'"(duckdb==[^"]+)"', pyproject.read_text())


def test_dbt_utilities_install_pinned_from_the_package_index() -> None:
    utilities = _plugins("utilities")
    assert set(utilities) == {"dbt-duckdb", "dbt-postgres", "duckdb"}
    del utilities["duckdb"]  # DuckDB's shell: test_duckdb_shell_reads_what_the_loader_writes
    loader = _plugins("loaders")["target-duckdb"]
    assert loader["pip_url"] == "-e ./loaders/target-duckdb-bulk"
    (loader_duckdb,) = _duckdb_pins(REPO_ROOT / "loaders" / "target-duckdb-bulk" / "pyproject.toml")
    assert _duckdb_pins(REPO_ROOT / "pyproject.toml") == [loader_duckdb]
    for name, plugin in utilities.items():
        assert plugin["namespace"], name
        assert plugin["executable"] == "dbt_invoker", name
        packages = {p.split("==")[0]: p for p in plugin["pip_url"].split()}
        assert all("==" in p and "git+" not in p for p in packages.values()), packages
        assert {"dbt-core", "meltano-dbt-ext"} <= set(packages), name
        settings = {s["name"]: s for s in plugin["settings"]}
        assert settings["project_dir"]["value"] == "${MELTANO_PROJECT_ROOT}/transform"
        assert {"build", "run", "test"} <= set(plugin["commands"]), name
    assert utilities["dbt-duckdb"]["pip_url"].split().count(loader_duckdb) == 1
    assert (REPO_ROOT / "transform" / "dbt_project.yml").exists()
    assert not (REPO_ROOT / "transform" / "packages.yml").exists(), "no dbt Hub packages"


def test_jobs_build_the_models_after_the_load() -> None:
    jobs = {job["name"]: job["tasks"] for job in _project()["jobs"]}
    assert jobs["peopleai-to-duckdb-models"] == ["tap-peopleai-bulk target-duckdb dbt-duckdb:build"]
    assert jobs["peopleai-to-postgres-models"] == [
        "tap-peopleai-bulk target-postgres dbt-postgres:build"
    ]


def test_loaders_ship_tuned_with_the_metadata_the_models_read() -> None:
    loaders = _plugins("loaders")
    postgres = loaders["target-postgres"]["config"]
    assert postgres["use_copy"] is True
    assert postgres["validate_records"] is False
    assert postgres["add_record_metadata"] is True
    assert 1_000 <= postgres["batch_size_rows"] <= 100_000
    duckdb_config = loaders["target-duckdb"]["config"]
    assert duckdb_config["add_record_metadata"] is True
    assert duckdb_config["activate_version"] is True
    assert duckdb_config["load_method"] == "upsert"


def test_dbt_duckdb_reads_the_file_target_duckdb_writes_in_each_environment() -> None:
    """transform/profiles.yml mirrors target-duckdb's `filepath` per environment (see there)."""
    project = _project()
    base = _plugins("loaders")["target-duckdb"]["config"]["filepath"]
    filepaths = {"": base}
    for environment in project["environments"]:
        loaders = environment.get("config", {}).get("plugins", {}).get("loaders", [])
        for loader in loaders:
            if loader["name"] == "target-duckdb":
                filepaths[environment["name"]] = loader["config"].get("filepath", base)
    profile = (REPO_ROOT / "transform" / "profiles.yml").read_text()
    assert "env_var('TARGET_DUCKDB_FILEPATH', '')" in profile
    for name, path in filepaths.items():
        stem = Path(path).stem
        if name == "sandbox":
            assert stem == "sandbox", path
            assert "('sandbox' if env_var('MELTANO_ENVIRONMENT', '') == 'sandbox'" in profile
        else:
            assert stem == "peopleai", f"{name or 'base config'}: {path}"
            assert "else 'peopleai')" in profile


def test_duckdb_shell_reads_what_the_loader_writes() -> None:
    """The `duckdb` utility (DuckDB's CLI) opens the file target-duckdb creates: the loader writes
    a new file in the storage format of a DuckDB no newer than the shell (DuckDB reads older
    formats, not newer ones), and a file keeps its format when dbt-duckdb writes to it later.
    tests/e2e/test_fresh_clone.py opens the loaded and modelled file with the shell itself."""
    shell = _plugins("utilities")["duckdb"]
    (cli,) = shell["pip_url"].split()
    assert cli.startswith("duckdb-cli==")
    shell_version = tuple(int(part) for part in cli.split("==")[1].split("."))
    storage = _plugins("loaders")["target-duckdb"]["config"]["storage_compatibility_version"]
    assert re.fullmatch(r"v\d+\.\d+\.\d+", storage), storage
    assert tuple(int(part) for part in storage[1:].split(".")) <= shell_version, storage


def test_every_model_states_its_grain() -> None:
    described = {}
    for path in (REPO_ROOT / "transform" / "models").rglob("*.yml"):
        data = yaml.safe_load(path.read_text()) or {}
        described |= {m["name"]: m.get("description", "") for m in data.get("models", [])}
    models = {path.stem for path in (REPO_ROOT / "transform" / "models").rglob("*.sql")}
    assert models == set(described)
    assert all(text.startswith("Grain: ") for text in described.values()), described
