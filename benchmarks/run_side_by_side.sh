#!/usr/bin/env bash
# Side-by-side meta-training throughput: metatrain against the Python reference scripts in
# benchmarks/python/, run alternately (metatrain, jax, jax-map, torch.func, learn2learn,
# metatrain, ...) so that every round sees about the same machine load. Prints a table of the
# medians over the rounds and of the ratios metatrain / framework, each ratio taken within a
# round and then the median over rounds.
#
#   benchmarks/run_side_by_side.sh WORKLOAD [ALGORITHM] [ROUNDS]
#     WORKLOAD   sine | omniglot-cnn | omniglot-cnn-20way
#     ALGORITHM  maml (default) | fomaml
#     ROUNDS     default 3
#
# Environment:
#   METATRAIN   the metatrain binary (default: .build/release/metatrain in the repository)
#   PYTHON      the virtualenv's python (default: /tmp/pyref/bin/python; see python/README.md)
#   FRAMEWORKS  which Python runs, in order (default: "jax jax-map torch l2l"; l2l is skipped
#               when learn2learn does not import)
#   WINDOWS     timed windows per run (default 5)
#   OUT         directory for the raw JSON and logs (default: a new directory under /tmp)
#   PIN         the CPU list every process is pinned to with `taskset -c` (default 0: one core,
#               the comparison the README reports); PIN=none runs them unpinned (a JAX process
#               then spreads its threads over every core)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
workload="${1:?usage: $0 WORKLOAD [ALGORITHM] [ROUNDS]}"
algorithm="${2:-maml}"
rounds="${3:-3}"
metatrain="${METATRAIN:-$repo/.build/release/metatrain}"
python="${PYTHON:-/tmp/pyref/bin/python}"
frameworks="${FRAMEWORKS:-jax jax-map torch l2l}"
windows="${WINDOWS:-5}"
out="${OUT:-$(mktemp -d /tmp/side-by-side.XXXXXX)}"
mkdir -p "$out"

[[ -x "$metatrain" ]] || { echo "no metatrain binary at $metatrain (swift build -c release --product metatrain)" >&2; exit 1; }
[[ -x "$python" ]] || { echo "no python at $python (see benchmarks/python/README.md)" >&2; exit 1; }
if [[ " $frameworks " == *" l2l "* ]] && ! "$python" -c "import learn2learn" >/dev/null 2>&1; then
    echo "learn2learn does not import: skipping it" >&2
    frameworks="${frameworks//l2l/}"
fi

# One thread for every process.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"

pin="${PIN:-0}"
pinned=()
if [[ "$pin" != none ]]; then
    command -v taskset >/dev/null || { echo "taskset not found (apt-get install util-linux), or run with PIN=none" >&2; exit 1; }
    pinned=(taskset -c "$pin")
fi

results="$out/results.jsonl"
: > "$results"
echo "metatrain: $metatrain (sha256 $(sha256sum "$metatrain" | cut -c1-12)); python: $python; raw results: $results" >&2
echo "every process pinned to CPU(s): $pin" >&2

run_one() {  # round, name, command...
    local round="$1" name="$2"; shift 2
    local log="$out/$name-$round.log" json
    echo "round $round: $name $workload $algorithm ..." >&2
    if ! json="$("${pinned[@]}" "$@" 2>"$log")"; then
        echo "  $name failed; see $log" >&2
        return 0
    fi
    # One line per run: the round, the label, and the program's own JSON.
    "$python" -c 'import json,sys; d=json.loads(sys.stdin.read()); print(json.dumps({"round": int(sys.argv[1]), "label": sys.argv[2], "result": d}))' \
        "$round" "$name" <<<"$json" >> "$results"
}

for ((r = 1; r <= rounds; r++)); do
    run_one "$r" metatrain "$metatrain" bench "$workload" --algorithm "$algorithm" --json
    for f in $frameworks; do
        case "$f" in
            jax) run_one "$r" jax "$python" "$here/python/maml_jax.py" --workload "$workload" --algorithm "$algorithm" --windows "$windows" --json ;;
            jax-map) run_one "$r" jax-map "$python" "$here/python/maml_jax.py" --workload "$workload" --algorithm "$algorithm" --windows "$windows" --batching map --json ;;
            torch) run_one "$r" torch.func "$python" "$here/python/maml_torch.py" --workload "$workload" --algorithm "$algorithm" --windows "$windows" --json ;;
            l2l) run_one "$r" learn2learn "$python" "$here/python/maml_l2l.py" --workload "$workload" --algorithm "$algorithm" --windows "$windows" --json ;;
            *) echo "unknown framework $f" >&2; exit 2 ;;
        esac
    done
done

"$python" - "$results" "$workload" "$algorithm" "$pin" <<'EOF'
import json, statistics, sys
path, workload, algorithm, pin = sys.argv[1:5]
rows = [json.loads(l) for l in open(path) if l.strip()]
labels = list(dict.fromkeys(r["label"] for r in rows))
by = {}  # label -> round -> result
for r in rows:
    by.setdefault(r["label"], {})[r["round"]] = r["result"]
swift = by.get("metatrain", {})
where = "unpinned" if pin == "none" else f"every process pinned to CPU {pin} (taskset -c {pin})"
print(f"\n{workload} {algorithm}: medians over rounds (meta-iterations/s, one thread; {where})\n")
print(f"{'implementation':14s} {'rounds':>6s} {'median it/s':>12s} {'per round':>30s} {'peak RSS MiB':>13s} {'metatrain / it':>15s}")
for label in labels:
    runs = by[label]
    rates = [runs[k]["meta_iterations_per_second"] for k in sorted(runs)]
    rss = statistics.median(runs[k]["peak_rss_bytes"] for k in runs) / 2**20
    ratios = [swift[k]["meta_iterations_per_second"] / runs[k]["meta_iterations_per_second"]
              for k in sorted(runs) if k in swift]
    ratio = f"{statistics.median(ratios):.2f}x" if ratios and label != "metatrain" else "-"
    per_round = " ".join(f"{x:.4g}" for x in rates)
    print(f"{label:14s} {len(rates):6d} {statistics.median(rates):12.4g} {per_round:>30s} {rss:13.1f} {ratio:>15s}")
print("\nmetatrain / it: metatrain's rate divided by the implementation's, within each round; median over rounds.")
EOF
