#!/usr/bin/env bash
# Rebuilds the web UI from ui/ into ember/ui/static (committed, so that Python-only users get the UI).
# Reproducible: `npm ci` installs exactly what ui/package-lock.json pins, from the npm registry only.
set -euo pipefail
cd "$(dirname "$0")/../ui"
npm ci --no-audit --no-fund
npx --no-install vite build
du -sb ../ember/ui/static/assets/* | sort -n
