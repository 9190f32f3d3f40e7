"""Fixtures for the end-to-end tests: an isolated Meltano project state, a real PostgreSQL server.

Nothing here is mocked. Meltano runs the real tap and the real loaders (installed once per test
session into a private `.meltano` directory, so the demo's state and plugins are never touched),
and PostgreSQL is a real server started with initdb/pg_ctl on a free port of 127.0.0.1.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import pytest

from tests.support.meltano_files import REPO_ROOT, project_files
from tests.support.meltano_project import MELTANO, isolated_env
from tests.support.parallel import exclusive, run_directory
from tests.support.postgres import PostgresServer, PostgresUnavailable, running_postgres


@dataclass
class MeltanoProject:
    """The repository's Meltano project, with a private system directory for this test session."""

    root: Path
    sys_dir: Path
    base_env: dict[str, str] = field(default_factory=dict)

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = dict(self.base_env)
        env.update(extra or {})
        return env

    def run(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        timeout: float = 300,
        check: bool = True,
        input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run `meltano ARGS` in the project root (``input`` on its stdin); on failure show
        the tail of its output."""
        proc = subprocess.run(
            [MELTANO, *args],
            cwd=self.root,
            env=self.env(env),
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and proc.returncode != 0:
            pytest.fail(
                f"`meltano {' '.join(args)}` exited {proc.returncode}\n"
                f"--- stdout (tail) ---\n{proc.stdout[-4000:]}\n"
                f"--- stderr (tail) ---\n{proc.stderr[-8000:]}"
            )
        return proc

    def start(
        self, *args: str, env: Mapping[str, str] | None = None, stderr: IO[str]
    ) -> subprocess.Popen[bytes]:
        """Start `meltano ARGS` in its own process group (to be killed whole), stdout discarded."""
        return subprocess.Popen(
            [MELTANO, *args],
            cwd=self.root,
            env=self.env(env),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )

    def state(
        self, state_id: str, env: Mapping[str, str] | None = None, *, missing_ok: bool = False
    ) -> dict[str, object]:
        """`meltano state get STATE_ID`, parsed; with ``missing_ok``, {} when none is saved."""
        out = self.run("state", "get", state_id, env=env, check=not missing_ok).stdout.strip()
        # Meltano may print log lines before the JSON document: take the last JSON object.
        start = out.find("{")
        if start < 0 and missing_ok:
            return {}
        assert start >= 0, f"no JSON in `meltano state get {state_id}` output: {out!r}"
        parsed = json.loads(out[start:])
        assert isinstance(parsed, dict)
        return parsed


def project_at(root: Path) -> MeltanoProject:
    """A Meltano project in the (created, maybe empty) directory ROOT, with its own `.meltano`
    and an environment free of a developer's settings."""
    root.mkdir(parents=True, exist_ok=True)
    sys_dir = root / ".meltano"
    env = isolated_env(root)
    return MeltanoProject(root=root, sys_dir=sys_dir, base_env=env)


def copy_project(root: Path) -> MeltanoProject:
    """A fresh copy of the repository's Meltano project in ROOT, nothing installed yet.

    Every file of the project is copied (meltano.yml and the files its `include_paths` name,
    at the same paths). The copy differs only in the `pip_url`s of the repository's own packages
    (`-e .`, `-e .[s3]`, `-e ./loaders/...`: the repository's absolute path instead of `.`);
    `output/` (empty but for its .gitignore) and the dbt project `transform/` are copied beside
    it, the latter where the dbt utilities look for it (${MELTANO_PROJECT_ROOT}/transform), so
    that dbt's target/ and logs/ stay out of the repository.
    """
    project = project_at(root)
    texts = {path.relative_to(REPO_ROOT): path.read_text() for path in project_files(REPO_ROOT)}
    assert any("pip_url: -e .\n" in text for text in texts.values()), "no `pip_url: -e .` (tap)"
    for relative, text in texts.items():
        copied = text.replace("pip_url: -e .", f"pip_url: -e {REPO_ROOT}")
        copied = copied.replace("-e ./loaders/", f"-e {REPO_ROOT}/loaders/")
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(copied)
    # output/ with its .gitignore, as a clone has it: the loaders write there.
    (root / "output").mkdir()
    shutil.copy2(REPO_ROOT / "output" / ".gitignore", root / "output" / ".gitignore")
    shutil.copytree(
        REPO_ROOT / "transform",
        root / "transform",
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", ".user.yml"),
    )
    return project


# What `meltano install` leaves in `.meltano/` beside the plugins' venvs: per-run files and the
# system database (state), which each copy of the project keeps to itself.
_PER_PROJECT = ("run", "logs", "meltano.db")


def shared_plugins(run_dir: Path) -> Path:
    """The `.meltano/` of the one `meltano install` of this pytest run, made by the first worker
    that asks (the others wait on the lock), in a directory all workers share."""
    installed = run_dir / "meltano-plugins"
    done = installed / ".meltano" / ".installed-by-tests"
    with exclusive(run_dir / "meltano-plugins.lock"):
        if not done.exists():
            shutil.rmtree(installed, ignore_errors=True)  # a failed install of another worker
            copy_project(installed).run("install", timeout=540)
            done.touch()
    return done.parent


def link_plugins(project: MeltanoProject, plugins: Path) -> None:
    """Point PROJECT's plugin directories (extractors/, loaders/, utilities/) at PLUGINS; the
    copy keeps its own system database and run files. The venvs hold the repository's absolute
    path (copy_project), so they are the same in every copy."""
    project.sys_dir.mkdir(exist_ok=True)
    for kind in plugins.iterdir():
        if kind.is_dir() and kind.name not in _PER_PROJECT:
            (project.sys_dir / kind.name).symlink_to(kind, target_is_directory=True)


@pytest.fixture(scope="session")
def meltano_project(tmp_path_factory: pytest.TempPathFactory) -> MeltanoProject:
    """The repository's Meltano project in a private project directory, plugins installed once.

    Running from a private directory keeps the tests away from the demo's `.meltano/` state and
    `output/`, and from a developer's `.env` (which Meltano reads from the project root and
    would otherwise mix production settings into the test runs). Each pytest-xdist worker has
    its own copy (its own output/ and state); the plugins are installed once per pytest run and
    shared by every copy (tests.support.parallel).
    """
    if not Path(MELTANO).exists():
        pytest.fail(f"meltano is not installed in this environment ({MELTANO}); run `make test`")
    plugins = shared_plugins(run_directory(tmp_path_factory))
    project = copy_project(tmp_path_factory.mktemp("meltano-project"))
    link_plugins(project, plugins)
    return project


@pytest.fixture
def repository_project() -> MeltanoProject:
    """The repository's own Meltano project, as `make demo` and a user's shell use it (its
    `.meltano/` and `output/`), with the tests' environment free of a developer's settings."""
    return project_at(REPO_ROOT)


ProjectCopier = Callable[[str], MeltanoProject]


@pytest.fixture
def project_copies(tmp_path: Path) -> ProjectCopier:
    """Make fresh copies of the Meltano project (`project_copies("a")`), none installed yet."""
    return lambda name: copy_project(tmp_path / name)


@pytest.fixture
def empty_project_dir(tmp_path: Path) -> MeltanoProject:
    """An empty directory for `meltano init .`, with the tests' isolated environment."""
    return project_at(tmp_path / "new-project")


# --- PostgreSQL ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throw-away PostgreSQL server for the whole test session (tests.support.postgres)."""
    try:
        with running_postgres() as server:
            yield server
    except PostgresUnavailable as exc:
        pytest.fail(str(exc))


@pytest.fixture
def fresh(postgres_server: PostgresServer, request: pytest.FixtureRequest) -> str:
    """A schema of this test's own (and its name + `_rec`), dropped first: its name."""
    name = "bulk_" + request.node.name.split("[")[0].removeprefix("test_")[:40]
    postgres_server.psql(f"drop schema if exists {name} cascade")
    postgres_server.psql(f"drop schema if exists {name}_rec cascade")
    return name
