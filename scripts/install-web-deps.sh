#!/usr/bin/env bash
# Install the web UI's browser assets (ECharts) from npm into src/vidgov/web/node_modules.
#
# Usage: scripts/install-web-deps.sh
#
# The versions are pinned by src/vidgov/web/package-lock.json and installed with `npm ci`,
# so every machine serves the same bytes; nothing is fetched from a CDN at run time and
# node_modules/ is never committed. Idempotent and fast when the installed tree already
# matches the lockfile (no network then), so `make install` can call it on every run.
# npm itself comes from scripts/install-system-deps.sh.
set -euo pipefail

WEB_DIR="$(cd "$(dirname "$0")/../src/vidgov/web" && pwd)"
STAMP="$WEB_DIR/node_modules/.package-lock.json"

log() { printf '[install-web-deps] %s\n' "$*" >&2; }

if ! command -v npm >/dev/null 2>&1; then
    log "error: npm is not installed: run scripts/install-system-deps.sh (or apt-get install npm)"
    exit 1
fi

# npm writes its own copy of the lockfile into node_modules after a successful install:
# when it equals ours (and the bundle is there) the tree is current and npm is not run.
if [[ -f "$STAMP" && -f "$WEB_DIR/node_modules/echarts/dist/echarts.min.js" ]] \
    && node -e '
        const [a, b] = process.argv.slice(1).map(f => JSON.parse(require("fs").readFileSync(f)));
        const pick = l => JSON.stringify(Object.entries(l.packages).filter(([k]) => k)
            .map(([k, v]) => [k, v.version, v.integrity]).sort());
        process.exit(pick(a) === pick(b) ? 0 : 1);' "$WEB_DIR/package-lock.json" "$STAMP"; then
    log "web assets already installed (ECharts in $WEB_DIR/node_modules)"
    exit 0
fi

log "installing web assets with npm ci in $WEB_DIR"
cd "$WEB_DIR"
npm ci --no-audit --no-fund --prefer-offline --ignore-scripts --loglevel=error
log "done: $(node -p 'require("./node_modules/echarts/package.json").version') (echarts)"
