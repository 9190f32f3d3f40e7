"""The repository's Meltano project as Meltano reads it: meltano.yml and its `include_paths`.

meltano.yml holds the project's frame and names the files of meltano-project/ that hold the
plugins, environments, jobs and schedules; Meltano reads them as one project. Every test and
script that looks at the project's YAML reads it here, so none sees half of it. The rules are
Meltano's (4.x, `meltano.core.project_files`): an included file may hold only `plugins`,
`environments`, `jobs` and `schedules`; their lists are concatenated; a name may be defined
once. Where Meltano would take a mistake silently (a plugin defined both in meltano.yml and in
an included file), this reader stops with one line naming both files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT_FILE = "meltano.yml"
# The top-level keys Meltano takes from an included file (it writes any other back to meltano.yml).
INCLUDED_KEYS = ("plugins", "environments", "jobs", "schedules")


class ProjectFileError(ValueError):
    """The project's files are not one project Meltano would read as intended."""


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise ProjectFileError(f"{path}: a Meltano project file must be a mapping")
    return data


def project_files(root: Path = REPO_ROOT) -> list[Path]:
    """meltano.yml, then every file its `include_paths` match, in the order they are listed."""
    meltano_yml = root / PROJECT_FILE
    files = [meltano_yml]
    for pattern in _load(meltano_yml).get("include_paths", []):
        matches = sorted(root.glob(pattern))
        if not matches:
            raise ProjectFileError(
                f"{meltano_yml}: include_paths entry {pattern!r} matches no file"
            )
        files += [path for path in matches if path not in files]
    return files


def _entries(data: dict[str, Any]) -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """Each named entry of a file with its key: ("plugins", kind, name) or (section, name)."""
    entries = [
        (("plugins", str(kind), str(plugin["name"])), plugin)
        for kind, plugins in (data.get("plugins") or {}).items()
        for plugin in plugins or []
    ]
    for section in ("environments", "jobs", "schedules"):
        entries += [((section, str(entry["name"])), entry) for entry in data.get(section) or []]
    return entries


def load_project(root: Path = REPO_ROOT) -> dict[str, Any]:
    """The whole project in one mapping, as if it were one meltano.yml."""
    meltano_yml, *included = project_files(root)
    project = {key: value for key, value in _load(meltano_yml).items() if key not in INCLUDED_KEYS}
    project["plugins"] = {}
    for section in ("environments", "jobs", "schedules"):
        project[section] = []
    defined_in: dict[tuple[str, ...], Path] = {}
    for path in [meltano_yml, *included]:
        data = _load(path)
        if path != meltano_yml and (other := set(data) - set(INCLUDED_KEYS)):
            raise ProjectFileError(
                f"{path}: {sorted(other)} belong in {PROJECT_FILE}; an included file may hold "
                f"only {', '.join(INCLUDED_KEYS)}"
            )
        for key, entry in _entries(data):
            if key in defined_in:
                raise ProjectFileError(
                    f"{' '.join(key)} is defined in both {defined_in[key]} and {path}"
                )
            defined_in[key] = path
            if key[0] == "plugins":
                project["plugins"].setdefault(key[1], []).append(entry)
            else:
                project[key[0]].append(entry)
    return project


def plugin(project: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    """The definition of plugin NAME of KIND ("extractors", "loaders", "utilities")."""
    for entry in project["plugins"].get(kind, []):
        if entry["name"] == name:
            return dict(entry)
    raise KeyError(f"{kind} {name} is defined in none of the project's files")
