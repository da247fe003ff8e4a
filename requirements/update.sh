#!/bin/sh
# Regenerate the pinned lock files from pyproject.toml (needs `uv`: pip install uv).
# dev.lock: everything (run + tests + benchmarks); run.lock: what the nightly job needs, with the
# same versions as dev.lock. Both are universal (any OS/arch) and hash-pinned for Python 3.11.
set -eu
cd "$(dirname "$0")/.."
uv pip compile pyproject.toml requirements/build.in --extra test --extra bench --universal \
    --python-version 3.11 --generate-hashes -q -o requirements/dev.lock
constraints=$(mktemp)
sed -e 's/ \\$//' -e '/--hash/d' -e '/^#/d' -e '/^ *$/d' requirements/dev.lock > "$constraints"
uv pip compile pyproject.toml requirements/build.in --universal --python-version 3.11 \
    --generate-hashes -q -c "$constraints" -o requirements/run.lock
rm -f "$constraints"
