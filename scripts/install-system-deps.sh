#!/usr/bin/env bash
# Install the system (apt) packages vidgov needs for development and CI.
#
# Usage: scripts/install-system-deps.sh [--check]
#
#   --check   only report which packages are missing; exit 1 if any are.
#
# Idempotent: if every package is already installed (checked with
# dpkg-query) apt is not touched at all, so re-runs are fast and work offline.
# Runs as root; otherwise re-executes itself through sudo when available.
#
# Package installs are done with service starts disabled (a temporary
# policy-rc.d), so the system PostgreSQL service is NOT started: the test
# suite runs its own throwaway clusters (see tests/support/postgres.py).
set -euo pipefail

# One list: append new system dependencies here (e.g. ffmpeg, gstreamer,
# chromium) and they are checked/installed the same way.
PACKAGES=(
    postgresql          # Debian 12: PostgreSQL 15 server (initdb, pg_ctl, postgres)
    postgresql-contrib  # extensions such as pg_trgm, citext, pgcrypto
    # The simulated RTSP camera fleet (vidgov.simulate.rtsp_server) runs GStreamer's RTSP
    # server under Debian's Python 3 with its GObject bindings; ffprobe is the probe baseline.
    python3-gi
    gir1.2-gstreamer-1.0
    gir1.2-gst-plugins-base-1.0
    gir1.2-gst-rtsp-server-1.0
    gstreamer1.0-plugins-base   # videotestsrc, videoconvert, videoscale, audiotestsrc
    gstreamer1.0-plugins-good   # rtph264pay, videobox, videobalance, videoflip
    gstreamer1.0-plugins-bad    # h264parse, gaussianblur
    gstreamer1.0-plugins-ugly   # x264enc
    gstreamer1.0-x              # its Pango plugin: textoverlay burns in the OSD clock
    fonts-dejavu-core           # a font for that clock
    ffmpeg                      # ffprobe: the one-process-per-camera baseline in benchmarks
    chromium                    # the web UI's browser tests (tests/e2e, Playwright drives it)
    fonts-wqy-microhei          # a CJK font: Chromium draws the Chinese UI in screenshots
    opencv-doc                  # its examples/data/vtest.avi: real walkers for the detector tests
)
# npm installs the web UI's chart library (scripts/install-web-deps.sh). Debian's package only
# when no npm is there: one that came with another Node.js build must not be replaced.
if ! command -v npm >/dev/null 2>&1; then
    PACKAGES+=(npm)
fi

log() { printf '[install-system-deps] %s\n' "$*" >&2; }

is_installed() {
    local status
    status="$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)"
    [[ "$status" == "installed" ]]
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    log "error: this script needs a Debian/Ubuntu system (dpkg-query and apt-get)."
    log "Install these packages with your system's package manager instead: ${PACKAGES[*]}"
    exit 1
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! is_installed "$pkg"; then
        missing+=("$pkg")
    fi
done

if [[ "${1:-}" == "--check" ]]; then
    if ((${#missing[@]})); then
        log "missing packages: ${missing[*]}"
        exit 1
    fi
    log "all system packages installed: ${PACKAGES[*]}"
    exit 0
elif [[ $# -gt 0 ]]; then
    log "usage: $0 [--check]"
    exit 2
fi

if ((${#missing[@]} == 0)); then
    log "all system packages already installed: ${PACKAGES[*]}"
    exit 0
fi

if [[ "$(id -u)" -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        log "not root; re-running with sudo to install: ${missing[*]}"
        exec sudo -- bash "$0" "$@"
    fi
    log "error: root privileges are needed to install: ${missing[*]}"
    log "Run this script as root, install sudo, or run:"
    log "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# Keep maintainer scripts from starting services (e.g. the default
# PostgreSQL cluster). Only install a policy-rc.d if there is none, and
# remove exactly the one we created.
POLICY_RC=/usr/sbin/policy-rc.d
created_policy=0
cleanup() {
    if ((created_policy)); then
        rm -f "$POLICY_RC"
    fi
}
trap cleanup EXIT
if [[ ! -e "$POLICY_RC" ]]; then
    printf '#!/bin/sh\n# temporary, created by vidgov install-system-deps.sh\nexit 101\n' >"$POLICY_RC"
    chmod 0755 "$POLICY_RC"
    created_policy=1
fi

log "installing: ${missing[*]}"
apt-get update -q
apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=120 "${missing[@]}"

still_missing=()
for pkg in "${missing[@]}"; do
    if ! is_installed "$pkg"; then
        still_missing+=("$pkg")
    fi
done
if ((${#still_missing[@]})); then
    log "error: packages still not installed: ${still_missing[*]}"
    exit 1
fi
log "done"
