#!/usr/bin/env bash
# Runs Ember: `ember serve` with the bundled configuration, data in ./data, the HTTP API on :9090.
# Installs it into ./.venv first when needed; arguments, when given, go to `ember` instead.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/setup.sh
if [ "$#" -eq 0 ]; then
    set -- serve --storage.tsdb.path=data/ --web.listen-address=0.0.0.0:9090
fi
exec .venv/bin/ember "$@"
