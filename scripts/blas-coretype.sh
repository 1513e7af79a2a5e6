#!/usr/bin/env bash
# Prints the OpenBLAS core type for this CPU (same rule as BLASRuntime.recommendedCoreType),
# or nothing. OpenBLAS falls back to slow generic kernels on VMs with a generic CPU model.
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
has() { for f in "$@"; do [[ " $flags " == *" $f "* ]] || return 1; done; }
if has avx512f avx512bw avx512vl avx512dq avx512cd; then echo SkylakeX
elif has avx2 fma; then echo Haswell
elif has avx; then echo SandyBridge
fi
