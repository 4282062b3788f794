#!/usr/bin/env bash
# Measures `radar generate` at scale: wall time, rows per second and peak
# memory (max RSS), using /usr/bin/time -v on the dev build.
#
#   bench/generate_scale.sh [ACCOUNTS] [DAYS] [OUT]
#
# Defaults: 100000 accounts over 730 days into a temporary folder, which
# is removed afterwards (the files take about 1.5 GB). Memory should not
# grow with the number of rows or accounts: every file is written account
# by account (or series by series) through a buffered writer, and nothing
# is kept per account once its rows are out.
set -euo pipefail
cd "$(dirname "$0")/.."

accounts="${1:-100000}"
days="${2:-730}"
out="${3:-}"
keep=1
if [ -z "$out" ]; then
    out="$(mktemp -d)"
    keep=0
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/radar/target}"
cargo build --quiet
radar="$CARGO_TARGET_DIR/debug/radar"

report="$(mktemp)"
/usr/bin/time -v "$radar" generate --accounts "$accounts" --days "$days" \
    --seed 7 --out "$out" >"$report.stdout" 2>"$report"

rows="$(awk '/ rows \(/ { sum += $2 } END { print sum }' "$report.stdout")"
seconds="$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$report" |
    awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')"
rss_kb="$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$report")"
bytes="$(du -sb "$out" | cut -f1)"

cat "$report.stdout"
echo
echo "accounts:        $accounts"
echo "days:            $days"
echo "rows written:    $rows"
echo "bytes written:   $bytes"
echo "wall seconds:    $seconds"
awk -v r="$rows" -v s="$seconds" 'BEGIN { printf "rows per second: %.0f\n", r / s }'
echo "max RSS:         $((rss_kb / 1024)) MiB"

rm -f "$report" "$report.stdout"
if [ "$keep" = 0 ]; then
    rm -rf "$out"
fi
