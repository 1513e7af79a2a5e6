#!/usr/bin/env bash
# ES-MAML through the distributed runtime on the sine model: the coordinator's own time per
# iteration and the bytes on the wire per iteration at populations 128-4096 (pairs = half),
# with the estimate formed on the coordinator and by the workers (`-workers-sum`), against
# MAML's `sine` workload (meta-batch 25) on the same model; `bench WORKLOAD --workers N --json`,
# interleaved, ROUNDS times; prints one line per run and the medians (BENCHMARKS.md).
set -euo pipefail
BIN=${BIN:-.build/release/metatrain}
ROUNDS=${ROUNDS:-3}
WORKERS=${WORKERS:-2}
POPULATIONS=${POPULATIONS:-128 256 1024 4096}
out=$(mktemp)
for r in $(seq "$ROUNDS"); do
  workloads="sine"
  for p in $POPULATIONS; do workloads="$workloads es-maml-$p es-maml-$p-workers-sum"; done
  for w in $workloads; do
    "$BIN" bench "$w" --workers "$WORKERS" --json 2>/dev/null \
      | python3 -c "import json,sys; d=json.load(sys.stdin); print($r, d['workload'], d['meta_batch'], d['meta_iterations_per_second'], d['coordinator_seconds_per_iteration'], d['coordinator_cpu_seconds_per_iteration'], d['wire_bytes_per_iteration'], d['parameters'])" \
      | tee -a "$out"
  done
done
python3 - "$out" <<'PY'
import sys, statistics as st
rows = [l.split() for l in open(sys.argv[1])]
by = {}
for r, w, b, ips, cs, cpu, wire, params in rows:
    by.setdefault(w, []).append((int(b), float(ips), float(cs), float(cpu), float(wire), int(params)))
print("workload meta_batch median_it/s coordinator_wall_ms_per_it coordinator_cpu_ms_per_it wire_KiB_per_it parameters runs")
for w, runs in by.items():
    print(w, runs[0][0], round(st.median(x[1] for x in runs), 3), round(1000 * st.median(x[2] for x in runs), 3),
          round(1000 * st.median(x[3] for x in runs), 3), round(st.median(x[4] for x in runs) / 1024, 1), runs[0][5], len(runs))
PY
rm -f "$out"
