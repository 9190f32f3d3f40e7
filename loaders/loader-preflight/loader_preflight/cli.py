"""Console scripts: check the loader's settings, then replace this process with the loader."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn

from .settings import (
    TARGET_POSTGRES,
    Requirement,
    complaint,
    env_prefix,
    loader_config,
    missing_settings,
)

EXIT_MISSING_SETTINGS = 2


def run(requirement: Requirement, argv: Sequence[str], environ: Mapping[str, str]) -> NoReturn:
    """Exit with one line when settings are missing; else exec the loader with the same args."""
    loader = environ.get("MELTANO_LOADER_NAME") or requirement.executable
    try:
        config = loader_config(argv[1:], environ, requirement)
    except (OSError, ValueError) as exc:
        print(f"{loader}: cannot read its configuration ({exc}).", file=sys.stderr)
        sys.exit(EXIT_MISSING_SETTINGS)
    if config is not None and (missing := missing_settings(config, requirement)):
        print(
            complaint(loader, missing, requirement, env_prefix(environ, requirement)),
            file=sys.stderr,
        )
        sys.exit(EXIT_MISSING_SETTINGS)
    # the loader's own script, beside this one in the same venv
    executable = Path(sys.executable).parent / requirement.executable
    os.execv(executable, [str(executable), *argv[1:]])  # noqa: S606 - no shell wanted


def target_postgres() -> NoReturn:
    """`target-postgres-preflight`: target-postgres-bulk, once its settings are there."""
    run(TARGET_POSTGRES, sys.argv, os.environ)
