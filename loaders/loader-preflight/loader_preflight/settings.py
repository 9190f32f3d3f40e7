"""Which settings a loader needs, and which of them a configuration lacks. Pure functions."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Requirement:
    """A loader's executable and the groups of settings it needs: any one complete group will do
    (e.g. a connection URL, or host, user and password)."""

    executable: str
    namespace: str
    groups: tuple[tuple[str, ...], ...]


# meltanolabs-target-postgres 0.8.1, and target-postgres-bulk (loaders/) which extends it, assert
# at start-up that either sqlalchemy_url or host, port, user, password and dialect+driver are
# set; port and dialect+driver have defaults (5432, and postgresql+psycopg in
# meltano-project/loaders.yml), so the other three are what a user can forget. The project's
# target-postgres runs the bulk one.
TARGET_POSTGRES = Requirement(
    executable="target-postgres-bulk",
    namespace="target_postgres",
    groups=(("host", "user", "password"), ("sqlalchemy_url",)),
)


def missing_settings(config: Mapping[str, Any], requirement: Requirement) -> tuple[str, ...]:
    """() when a group of settings is complete, else what the first group lacks."""
    incomplete = [
        tuple(name for name in group if config.get(name) in (None, ""))
        for group in requirement.groups
    ]
    return () if () in incomplete else incomplete[0]


def loader_config(
    argv: Sequence[str], environ: Mapping[str, str], requirement: Requirement
) -> dict[str, Any] | None:
    """The configuration the loader will read from `--config FILE` (repeatable, later files win)
    and `--config ENV` (variables `<NAMESPACE>_<SETTING>`); None without `--config` (`--about`,
    `--version`, `--help`: nothing to check)."""
    values = list(argv)
    sources = [values[i + 1] for i, arg in enumerate(values[:-1]) if arg == "--config"]
    sources += [arg.split("=", 1)[1] for arg in values if arg.startswith("--config=")]
    if not sources:
        return None
    config: dict[str, Any] = {}
    for source in sources:
        if source == "ENV":
            prefix = env_prefix(environ, requirement)
            config.update(
                {
                    name[len(prefix) :].lower(): value
                    for name, value in environ.items()
                    if name.startswith(prefix)
                }
            )
        else:
            config.update(json.loads(Path(source).read_text(encoding="utf-8")))
    return config


def env_prefix(environ: Mapping[str, str], requirement: Requirement) -> str:
    """`TARGET_POSTGRES_` for a loader of namespace target_postgres: the variables Meltano reads
    the loader's settings from (it exports the namespace as MELTANO_LOADER_NAMESPACE; inherited
    plugins such as target-postgres-s3 share it)."""
    namespace = environ.get("MELTANO_LOADER_NAMESPACE") or requirement.namespace
    return namespace.upper().replace("-", "_") + "_"


def complaint(loader: str, missing: Sequence[str], requirement: Requirement, prefix: str) -> str:
    """The one line a user reads when settings are missing."""
    # `missing` is what the first group lacks; the other groups are the alternatives
    others = [" and ".join(group) for group in requirement.groups[1:]]
    alternative = f" (or {' / '.join(others)})" if others else ""
    variables = ", ".join(prefix + name.upper().replace("+", "_") for name in missing)
    return (
        f"{loader}: missing setting(s) {', '.join(missing)}{alternative}. Set them in meltano.yml, "
        f"in .env or as {variables}. Stopped before loading anything."
    )
