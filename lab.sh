#!/bin/sh
# Set up the lab's virtual environment (.venv) from the pinned lock files, then run a job in it.
#   sh lab.sh run     the main job on the bundled data (a 2-minute nightly discovery run and the gate)
#   sh lab.sh test    the whole test suite: ruff, mypy and pytest (what CI runs); pytest's
#                     arguments pass through: sh lab.sh test -m 'not slow' tests/live
#   sh lab.sh bench   the full benchmarks (results go to bench/results/; see BENCHMARKS.md)
# Needs only Python 3.11+ (python3, or set PYTHON) and a POSIX shell; packages come from PyPI.
set -eu
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
VENV=.venv

ensure_env() {  # $1: the lock file to install
    if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        echo "lab.sh: Python 3.11 or newer is needed ($PY is $("$PY" -V 2>&1))" >&2
        exit 2
    fi
    if [ ! -x "$VENV/bin/python" ]; then
        "$PY" -m venv "$VENV"
    fi
    stamp="$VENV/.installed-$(basename "$1")"
    if [ ! -f "$stamp" ] || [ "$1" -nt "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
        echo "lab.sh: installing $1 into $VENV (first run takes a few minutes)" >&2
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            --require-hashes -r "$1"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
            --no-deps --no-build-isolation -e .
        # numba compiles its kernels now, not in the first night's budget (about a minute).
        "$VENV/bin/python" -m fitness.warm >&2
        touch "$stamp"
    fi
}

case "${1:-}" in
    run)
        ensure_env requirements/run.lock
        shift
        exec "$VENV/bin/evolve" nightly --discovery --budget 2 "$@"
        ;;
    test)
        ensure_env requirements/dev.lock
        shift
        "$VENV/bin/ruff" check .
        "$VENV/bin/mypy"
        # Two workers, each test file on one of them (its shared labs are built once).
        exec "$VENV/bin/python" -m pytest -n "${LAB_TEST_WORKERS:-2}" --dist loadfile "$@"
        ;;
    bench)
        ensure_env requirements/dev.lock
        shift
        exec "$VENV/bin/python" -m bench "$@"
        ;;
    *)
        echo "usage: sh lab.sh run|test|bench [args...]" >&2
        exit 2
        ;;
esac
