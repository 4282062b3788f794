#!/usr/bin/env bash
# Compares radar's scores with LightGBM on two example data sets: online
# retail as of 2011-09-01 and Maven CRM as of 2017-10-01.
#
#   bench/compare_lightgbm.sh [OUT]
#
# For each example, `radar train --export` writes the training table (the
# same features, cut-offs and fit/holdout split radar trains on) and
# bench/lightgbm/compare.py trains LightGBM on the fit rows and prints one
# table per score: AUC, PR-AUC, Brier and ECE on the holdout rows for
# LightGBM, LightGBM + Platt and radar. Everything lands in OUT (default: a
# new temporary folder, kept and named at the end): OUT/<example>/export
# holds the tables and comparison.md / comparison.json.
#
# Python packages are pinned in bench/lightgbm/requirements.txt and
# installed into a virtual environment at $RADAR_BENCH_VENV (default
# ~/.cache/radar/bench-venv), made with $RADAR_BENCH_PYTHON (default
# python3, 3.11 or newer). Seeds are fixed: two runs print the same tables.
# RADAR_BIN names a radar binary to use instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."

data=../shared/data
venv="${RADAR_BENCH_VENV:-$HOME/.cache/radar/bench-venv}"
python="${RADAR_BENCH_PYTHON:-python3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/radar/target}"

fail() {
    echo "error: $*" >&2
    exit 1
}

prepare_venv() {
    if [ ! -x "$venv/bin/python" ]; then
        "$python" -m venv "$venv" || fail "could not create a virtual environment at $venv"
    fi
    "$venv/bin/python" -m pip install --quiet -r bench/lightgbm/requirements.txt ||
        fail "could not install bench/lightgbm/requirements.txt into $venv"
}

self_test() {
    if ! "$venv/bin/python" bench/lightgbm/compare.py --self-test >"$out/self-test.log"; then
        cat "$out/self-test.log" >&2
        fail "compare.py --self-test failed (log: $out/self-test.log)"
    fi
}

build_radar() {
    if [ -n "${RADAR_BIN:-}" ]; then
        radar="$RADAR_BIN"
    else
        cargo build --quiet --locked
        radar="$CARGO_TARGET_DIR/debug/radar"
    fi
    "$radar" train --help >/dev/null 2>&1 ||
        fail "this radar build has no 'train' command to export the training table"
}

# compare_example NAME CONFIG AS_OF TITLE
compare_example() {
    local dir="$out/$1"
    rm -rf "$dir/export" "$dir/models"
    mkdir -p "$dir"

    if ! "$radar" train --config "config/examples/$2" --data-dir "$data" --as-of "$3" \
        --models "$dir/models" --export "$dir/export" >"$dir/train.log" 2>&1; then
        tail -n 20 "$dir/train.log" >&2
        fail "radar train failed for $1 (log: $dir/train.log)"
    fi

    "$venv/bin/python" bench/lightgbm/compare.py "$dir/export" --title "$4" ||
        fail "compare.py failed for $1"
    echo
}

if [ ! -d "$data" ]; then
    fail "../shared/data not found next to this repository; the examples need its" \
        "uci_online_retail and maven_crm_sales_opportunities folders"
fi

out="${1:-}"
if [ -z "$out" ]; then
    out="$(mktemp -d "${TMPDIR:-/tmp}/radar-lightgbm.XXXXXX")"
fi
mkdir -p "$out"

prepare_venv
self_test
build_radar

compare_example online_retail online_retail.toml 2011-09-01 "online retail, as of 2011-09-01"
compare_example maven_crm maven_crm.toml 2017-10-01 "Maven CRM, as of 2017-10-01"

echo "results: $out/online_retail/export and $out/maven_crm/export"
