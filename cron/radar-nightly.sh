#!/usr/bin/env bash
# Nightly wrapper for cron: runs `radar run` for today's date in the company
# zone, appends everything it prints to a dated log file, and exits with
# radar's own exit code so the scheduler sees what happened:
#   0 published · 1 refused to publish · 2 config or input contract error
#   3 internal or environment error · 4 another run of the date holds the lock
set -u

: "${RADAR_BIN:=radar}"
: "${RADAR_CONFIG:?set RADAR_CONFIG to the run configuration}"
: "${RADAR_OUT:?set RADAR_OUT to the output folder}"
: "${RADAR_LOG_DIR:=/var/log/radar}"

mkdir -p "$RADAR_LOG_DIR"
log="$RADAR_LOG_DIR/radar-$(date +%Y-%m-%d).log"

{
    echo "== radar nightly run started $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    "$RADAR_BIN" run --config "$RADAR_CONFIG" --out "$RADAR_OUT" \
        ${RADAR_DATA_DIR:+--data-dir "$RADAR_DATA_DIR"}
    code=$?
    echo "== radar nightly run ended $(date -u +%Y-%m-%dT%H:%M:%SZ) exit $code"
    exit "$code"
} >>"$log" 2>&1
