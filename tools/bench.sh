#!/usr/bin/env bash
# Builds the benchmarks with the release preset and runs every one of them,
# printing their tables.
#
# Usage: tools/bench.sh [--quick]
#   --quick   passed to every benchmark: smaller sizes, a smoke run of seconds
#
# Order: engine_hold, phold, then every other bench/*.cpp in name order (each
# bench/NAME.cpp builds an executable NAME, see bench/CMakeLists.txt, so a new
# benchmark is picked up without touching this script). Runs tools/setup.sh
# first; builds only the benchmark targets (and the libraries they link), not
# the tests. Exits non-zero if the build or a benchmark fails; missing a
# performance target is reported in the tables, not by the exit status.
set -euo pipefail

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }

args=()
for a in "$@"; do
  case "$a" in
    --quick) args+=(--quick) ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench.sh: unknown argument '$a'" >&2; usage >&2; exit 2 ;;
  esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash tools/setup.sh

names=(engine_hold phold)
for src in bench/*.cpp; do
  [ -e "$src" ] || continue
  stem="$(basename "$src" .cpp)"
  case " ${names[*]} " in *" $stem "*) ;; *) names+=("$stem") ;; esac
done
# engine_hold and phold first only if they exist.
present=()
for n in "${names[@]}"; do [ -e "bench/$n.cpp" ] && present+=("$n"); done

cmake --preset release >/dev/null
cmake --build --preset release --target "${present[@]}"

bin_dir="build/release/bench"
for n in "${present[@]}"; do
  echo
  echo "=== $n ${args[*]:-} ==="
  "$bin_dir/$n" "${args[@]}"
done
