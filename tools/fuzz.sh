#!/usr/bin/env bash
# Fuzzes the scenario loader and a short simulation with libFuzzer: builds the
# `fuzz` preset (clang, ASan + UBSan), writes the dictionary from the declared
# schemas, seeds the corpus with scenarios/, bench/scenarios/ and the inputs of
# past findings (tests/fuzz/regressions/), and runs for SECONDS (default 60).
# A crash, leak, timeout or unbalanced accounting stops it with a non-zero
# exit and leaves the input in build/fuzz/artifacts/ (add it to
# tests/fuzz/regressions/ once fixed).
#
# Usage: tools/fuzz.sh [SECONDS] [--jobs N]
#   tools/setup.sh --fuzz installs clang and libFuzzer first; SLSIM_BUILD_JOBS (default 2)
#   sets the build parallelism.
#   Reproduce a finding: build/fuzz/tests/fuzz/slsim_fuzz build/fuzz/artifacts/crash-...
set -euo pipefail

seconds=60
jobs=1
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) jobs="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) seconds="$1"; shift ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "${SLSIM_BUILD_JOBS:-2}" --target slsim_fuzz slsim_fuzz_dictionary

out="build/fuzz"
mkdir -p "$out/corpus" "$out/artifacts"
# The corpus keeps what earlier runs found; the bundled scenarios and the inputs
# of past findings (tests/fuzz/regressions/) are its seeds.
find scenarios bench/scenarios tests/fuzz/regressions -type f ! -name '*.csv' -exec cp -n -t "$out/corpus/" {} + 2>/dev/null || true
"$out/tests/fuzz/slsim_fuzz_dictionary" > "$out/scenario.dict"

# -timeout: one input may take 10 s at most (a hang otherwise); -rss_limit_mb: memory per run.
args=(-max_total_time="$seconds" -dict="$out/scenario.dict" -timeout=10 -rss_limit_mb=2048
      -max_len=65536 -artifact_prefix="$out/artifacts/" -print_final_stats=1)
if [ "$jobs" -gt 1 ]; then
  args+=(-jobs="$jobs" -workers="$jobs")
fi
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  "$out/tests/fuzz/slsim_fuzz" "${args[@]}" "$out/corpus"
