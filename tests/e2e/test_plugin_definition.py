"""The Meltano plugin definition others add: `meltano-hub/tap-peopleai.yml`.

Cheap checks that it describes every setting the tap has, in Meltano Hub's format; then the
user's path end to end: `meltano init` of a new project, `meltano add --from-ref` of the file,
`pip_url` pointed at this repository (the package is not on the package index), `meltano
install`, and a `meltano run` against the sandbox whose output equals the sandbox's truth.
(`make readme` writes the file and tests/e2e/test_meltano_project.py checks it is current.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from peopleai_sandbox.checks import to_utc
from tests.support.truth import compare, latest_versions

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFINITION = REPO_ROOT / "meltano-hub" / "tap-peopleai.yml"
TAP = str(Path(sys.executable).parent / "tap-peopleai")
SANDBOX_NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
START_DATE = (SANDBOX_NOW - timedelta(days=15)).date()

# What a user writes for a loader from the package index (no Meltano Hub here).
TARGET_JSONL = {
    "name": "target-jsonl",
    "namespace": "target_jsonl",
    "pip_url": "target-jsonl==0.1.4",
    "executable": "target-jsonl",
    "settings": [
        {"name": "destination_path", "kind": "string"},
        {"name": "do_timestamp_file", "kind": "boolean"},
    ],
}


def _definition() -> dict[str, Any]:
    data = yaml.safe_load(DEFINITION.read_text())
    assert isinstance(data, dict)
    return data


def test_definition_has_hub_fields_and_every_setting_of_the_tap() -> None:
    proc = subprocess.run(
        [TAP, "--about", "--format=json"], capture_output=True, text=True, timeout=120, check=True
    )
    about = json.loads(proc.stdout)
    data = _definition()
    for key in ("name", "namespace", "pip_url", "executable", "capabilities", "settings"):
        assert data.get(key), f"`{key}` missing from {DEFINITION.name}"
    assert "git+" not in data["pip_url"]
    assert set(data["capabilities"]) == set(about["capabilities"])
    names = [s["name"] for s in data["settings"]]
    assert names == list(about["settings"]["properties"]), "settings differ from --about"
    for setting in data["settings"]:
        for key in ("kind", "label", "description"):
            assert setting.get(key), f"{setting['name']}: `{key}` missing"
        assert isinstance(setting.get("sensitive"), bool), f"{setting['name']}: `sensitive`"
    secret = {s["name"] for s in data["settings"] if s["sensitive"]}
    assert secret == {"client_secret", "access_token"}
    for group in data["settings_group_validation"]:
        assert set(about["settings"].get("required", [])) <= set(group)


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_new_project_adds_installs_and_runs_the_plugin_from_the_definition(
    empty_project_dir: Any, sandbox_factory: Callable[..., Any], tmp_path: Path
) -> None:
    sandbox = sandbox_factory(now=SANDBOX_NOW, activities_per_day=100, seed=29)
    project = empty_project_dir
    output = tmp_path / "jsonl"
    env = {
        "MELTANO_ENVIRONMENT": "dev",
        "TAP_PEOPLEAI_API_URL": sandbox.url,
        "TAP_PEOPLEAI_CLIENT_ID": sandbox.client_id,
        "TAP_PEOPLEAI_CLIENT_SECRET": sandbox.client_secret,
        "TAP_PEOPLEAI_START_DATE": START_DATE.isoformat(),
        "TARGET_JSONL_DESTINATION_PATH": str(output),
        "TARGET_JSONL_DO_TIMESTAMP_FILE": "false",
    }
    project.run("init", ".", "--no-usage-stats", env=env)
    project.run("add", "--no-install", "--from-ref", str(DEFINITION), "tap-peopleai", env=env)
    loader_ref = tmp_path / "target-jsonl.yml"
    loader_ref.write_text(yaml.safe_dump(TARGET_JSONL))
    project.run("add", "--no-install", "--from-ref", str(loader_ref), "target-jsonl", env=env)

    # As the README says: until the package is on an index, point pip_url at a checkout.
    meltano_yml = project.root / "meltano.yml"
    text = meltano_yml.read_text()
    published = f"pip_url: {_definition()['pip_url']}\n"
    assert text.count(published) == 1, text
    meltano_yml.write_text(text.replace(published, f"pip_url: {REPO_ROOT}\n"))
    added = yaml.safe_load(meltano_yml.read_text())["plugins"]["extractors"][0]
    assert added["settings"] == _definition()["settings"], "meltano add changed the settings"

    project.run("install", env=env, timeout=540)
    project.run("run", "tap-peopleai", "target-jsonl", env=env)

    lines = (output / "activities.jsonl").read_text().splitlines()
    rows = []
    for line in lines:
        record = json.loads(line)
        rows.append((record["uid"], record["type"], to_utc(record["ingest_timestamp"])))
    truth = latest_versions(sandbox.backend.ground_truth(activity_from=START_DATE))
    assert len(truth) > 1000
    problems = compare(rows, truth)
    assert not problems, problems
