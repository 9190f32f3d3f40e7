#!/usr/bin/env bash
# The tap's fast tests (FAST_TESTS below: sandbox on loopback, no Meltano) on the oldest and
# the newest CPython that pyproject.toml claims and this machine has (`make test`, `make pythons`).
#
# Each interpreter gets a uv venv .venv-pyXY/ with the tap, the sandbox and the `test` extra; a
# stamp file makes re-runs cheap. A claimed version that is absent is skipped with a note.
#
#   scripts/test_pythons.sh UV   (UV: the uv executable of the main venv)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
uv=${1:?usage: scripts/test_pythons.sh UV}

# "Programming Language :: Python :: 3.10" ... in pyproject.toml, oldest first
mapfile -t claimed < <(sed -n 's/^ *"Programming Language :: Python :: \(3\.[0-9][0-9]*\)",*$/\1/p' \
  pyproject.toml | sort -t. -k2,2n)
[ "${#claimed[@]}" -gt 0 ] || { echo "no Python versions claimed in pyproject.toml" >&2; exit 1; }

# The interpreter for version V: pyenv's build (its shims fail for versions not selected), or
# pythonV on PATH if it runs.
find_python() {
  local v=$1 candidate
  for candidate in $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/python"$v" 2>/dev/null \
      | sort -t. -k3,3n -r) "$(command -v "python$v" || true)"; do
    if [ -n "$candidate" ] && "$candidate" -c 'import sys' >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

found=()
for v in "${claimed[@]}"; do
  if python=$(find_python "$v"); then
    found+=("$v=$python")
  else
    echo "==> note: Python $v is claimed (pyproject.toml) but not on this machine: skipped"
  fi
done
[ "${#found[@]}" -gt 0 ] || { echo "none of the claimed Pythons (${claimed[*]}) found" >&2; exit 1; }

# Parsing, planning, settings, HTTP and whole syncs in-process: what differs between Pythons.
# The process-level scenarios (signals, resume, CLI errors) run once, in the full suite.
FAST_TESTS=(
  tests/tap/test_planning.py tests/tap/test_progress.py tests/tap/test_records.py
  tests/tap/test_job_bookkeeping.py tests/tap/test_settings.py tests/tap/test_sdk_internals.py
  tests/tap/test_transport.py tests/tap/test_sync.py tests/tap/test_batch.py
  tests/tap/test_record_path.py tests/tap/test_sdk_builtin.py tests/tap/test_download_checks.py
)

selected=("${found[0]}")
[ "${#found[@]}" -gt 1 ] && selected+=("${found[-1]}")
status=0
for entry in "${selected[@]}"; do
  v=${entry%%=*}
  python=${entry#*=}
  venv=.venv-py${v/./}
  stamp=$venv/.installed
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ sandbox/pyproject.toml -nt "$stamp" ]; then
    echo "==> installing the tap, the sandbox and the test extra for Python $v into $venv"
    rm -rf "$venv"
    if [ -x "$uv" ]; then
      "$uv" venv -q --python "$python" "$venv"
      "$uv" pip install -q --python "$venv/bin/python" -e '.[test]' -e ./sandbox
    else  # make dev fell back to pip too
      "$python" -m venv "$venv"
      "$venv/bin/python" -m pip install -q -e '.[test]' -e ./sandbox
    fi
    touch "$stamp"
  fi
  echo "==> the tap's fast tests on Python $v ($("$venv/bin/python" -V 2>&1))"
  "$venv/bin/python" -m pytest -q -p no:cacheprovider -m "not slow" "${FAST_TESTS[@]}" || status=1
done
exit "$status"
