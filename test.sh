#!/usr/bin/env bash
# Runs Ember's whole test suite: lint, types, import layering, then pytest. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")"
EMBER_SYSTEM_PACKAGES=1 source scripts/setup.sh
echo "== ruff" && .venv/bin/ruff check ember tests bench
echo "== mypy" && .venv/bin/mypy
echo "== import layering" && .venv/bin/lint-imports --no-cache
echo "== pytest" && .venv/bin/pytest -q "$@"
