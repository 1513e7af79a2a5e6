#!/usr/bin/env bash
# Throughput through the distributed runtime, side by side with one process, on this machine:
# `bench omniglot-cnn --algorithm maml` with --workers 0, --workers 2 and --workers 2 --staleness 1,
# interleaved, ROUNDS times; prints one line per run and the medians (BENCHMARKS.md).
set -euo pipefail
BIN=${BIN:-.build/release/metatrain}
ROUNDS=${ROUNDS:-3}
WORKLOAD=${WORKLOAD:-omniglot-cnn}
out=$(mktemp)
for r in $(seq "$ROUNDS"); do
  for mode in "0 0" "2 0" "2 1"; do
    set -- $mode
    "$BIN" bench "$WORKLOAD" --algorithm maml --workers "$1" --staleness "$2" --json 2>/dev/null \
      | python3 -c "import json,sys; d=json.load(sys.stdin); print($r, d['workers'], d['staleness'], d['meta_iterations_per_second'], d.get('coordinator_fraction') or 0, d.get('wire_bytes_per_iteration') or 0, d['peak_rss_bytes'])" \
      | tee -a "$out"
  done
done
python3 - "$out" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1])]
by = {}
for r, w, s, ips, frac, wire, rss in rows:
    by.setdefault((int(w), int(s)), []).append((int(r), float(ips), float(frac), float(wire), int(rss)))
base = {r: ips for r, ips, *_ in by[(0, 0)]}
print("workers staleness median_it/s median_ratio_vs_1_process coordinator_fraction wire_MiB_per_it peak_rss_MiB(coordinator)")
for key in sorted(by):
    runs = by[key]
    ratios = [ips / base[r] for r, ips, *_ in runs]
    print(key[0], key[1], round(st.median(x[1] for x in runs), 3), round(st.median(ratios), 3),
          round(st.median(x[2] for x in runs), 4), round(st.median(x[3] for x in runs) / 2**20, 2),
          round(max(x[4] for x in runs) / 2**20, 1))
PY
rm -f "$out"
