#!/usr/bin/env bash
# Runs an slsim sweep as N shards with GNU parallel, on the local cores or on
# other hosts over ssh, then merges the parts (slsim merge) into OUT/sweep.json,
# OUT/sweep.csv and the table on stdout.
#
# Usage: tools/sweep-parallel.sh [options] -- SCENARIO SWEEP-OPTIONS...
#   --shards N          number of shards; default: the number of local cores
#   --jobs J            shards run at once on each host; default 1 per host with
#                       --sshlogin, else one per core
#   --sshlogin LOGINS   run the shards on these hosts (GNU parallel's syntax, e.g.
#                       "4/alice@node1,4/node2,:" where ":" is this machine). Each
#                       host needs slsim on its PATH; the scenario is copied to it
#                       (--basefile) and each part copied back (--return), so no
#                       shared file system is needed, but the scenario must then be
#                       given by a path relative to the current directory, and a
#                       file it names (a trace) must exist there on every host.
#   --out DIR           where the parts and the merged result go; default sweep-out
#   --slsim PATH        the slsim binary; default: slsim on the PATH, else
#                       build/release/slsim of this checkout (local runs only)
#   --threads T         --threads of each shard; default 1 (the shards fill the cores)
#
# Example: tools/sweep-parallel.sh --shards 8 -- scenarios/lambda/lambda-memory-vs-cost.yaml \
#              --vary services.resize.memory=128MB..3008MB:+64MB --replications 5
set -euo pipefail

usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; }

shards="" jobs="" sshlogin="" out=sweep-out slsim="" threads=1
while [ $# -gt 0 ]; do
  case "$1" in
    --shards) shards="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --sshlogin) sshlogin="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --slsim) slsim="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --) shift; break ;;
    -h|--help) usage; exit 0 ;;
    *) echo "sweep-parallel.sh: unknown option '$1' (the sweep's own options go after --)" >&2; usage >&2; exit 2 ;;
  esac
done
if [ $# -lt 1 ]; then echo "sweep-parallel.sh: give the scenario and the sweep's options after --" >&2; exit 2; fi
command -v parallel >/dev/null || { echo "sweep-parallel.sh: GNU parallel not found (apt-get install parallel)" >&2; exit 2; }
[ -n "$shards" ] || shards="$(nproc)"
case "$shards" in ''|*[!0-9]*|0) echo "sweep-parallel.sh: --shards takes a whole number above 0, not '$shards'" >&2; exit 2 ;; esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "$slsim" ]; then
  slsim="$(command -v slsim || true)"
  if [ -z "$slsim" ] && [ -z "$sshlogin" ]; then slsim="$root/build/release/slsim"; fi
  [ -n "$slsim" ] || slsim=slsim  # remote hosts: from their PATH
fi
mkdir -p "$out"
scenario="$1"
shift

args=(--jobs "${jobs:-100%}" --halt now,fail=1)
if [ -n "$sshlogin" ]; then
  case "$scenario" in /*|../*) echo "sweep-parallel.sh: with --sshlogin give the scenario relative to the current directory" >&2; exit 2 ;; esac
  case "$out" in /*|../*) echo "sweep-parallel.sh: with --sshlogin give --out relative to the current directory" >&2; exit 2 ;; esac
  args=(--jobs "${jobs:-1}" --halt now,fail=1 --sshlogin "$sshlogin" --basefile "$scenario"
        --return "$out/part-{}.json" --cleanup)
  # The remote side writes the part where --return fetches it from.
  pre="mkdir -p $(printf '%q' "$out") &&"
else
  pre=""
fi

# One job per shard: parallel substitutes {} with the shard number.
sweep_args="$(printf '%q ' "$@")"
parallel "${args[@]}" \
  "$pre $(printf '%q' "$slsim") sweep $(printf '%q' "$scenario") $sweep_args --threads $threads --quiet --shard {}/$shards --json $(printf '%q' "$out")/part-{}.json" \
  ::: $(seq 1 "$shards")

parts=()
for k in $(seq 1 "$shards"); do parts+=("$out/part-$k.json"); done
merge_bin="$slsim"
[ -x "$merge_bin" ] || merge_bin="$(command -v slsim || echo "$root/build/release/slsim")"
"$merge_bin" merge "${parts[@]}" --json "$out/sweep.json" --csv "$out/sweep.csv"
