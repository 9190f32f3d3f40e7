"""Running Meltano for the tests and the benchmark: its executable and the environment a
`meltano` command runs in (the project's files are read by tests.support.meltano_files)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
MELTANO = str(VENV_BIN / "meltano")

# Settings a developer may have in the shell or in .env; the tests set what they need themselves.
SCRUBBED_PREFIXES = (
    "TAP_PEOPLEAI_",
    "TARGET_DUCKDB_",
    "TARGET_POSTGRES_",
    "TARGET_JSONL_",
    "PEOPLEAI_",
    "MELTANO_STATE_BACKEND_",
    "AWS_",
    "DBT_",
)


def isolated_env(root: Path) -> dict[str, str]:
    """This process's environment without a developer's settings, for Meltano in ``root`` with
    its own `.meltano` and the `sandbox` environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED_PREFIXES)}
    env.update(
        {
            "MELTANO_SYS_DIR_ROOT": str(root / ".meltano"),
            "MELTANO_PROJECT_ROOT": str(root),
            "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_ENVIRONMENT": "sandbox",
            "MELTANO_CLI_LOG_LEVEL": "info",
            "PATH": f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        }
    )
    return env
