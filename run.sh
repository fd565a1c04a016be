#!/usr/bin/env bash
# Runs Ember. Installs it into ./.venv first when needed; arguments go to `ember`.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh
if [ "$#" -eq 0 ]; then
    set -- tsdb stats data
fi
exec .venv/bin/ember "$@"
