#!/usr/bin/env bash
# Runs an slsim sweep on a Slurm cluster: a job array with one task per shard
# (slsim sweep ... --shard K/N --json OUT/part-K.json), then a merge job that
# starts when every task has succeeded (slsim merge, writing OUT/sweep.json,
# OUT/sweep.csv and OUT/sweep.txt, the table).
#
# Usage: tools/sweep-slurm.sh [options] -- SCENARIO SWEEP-OPTIONS...
#   --shards N        number of shards (array tasks); default 4
#   --out DIR         where the parts and the merged result go; default sweep-out
#   --slsim PATH      the slsim binary the jobs run; default: slsim on the PATH,
#                     else build/release/slsim of this checkout
#   --sbatch ARGS     extra sbatch options for every job, e.g. "--partition=short --time=30"
#   --wait            wait for the merge job to end; exit with its status
#
# The nodes must see the binary, the scenario (and the files it names) and DIR
# at the same paths, as on a shared file system. Example:
#   tools/sweep-slurm.sh --shards 8 --out /shared/mem -- scenarios/lambda/lambda-memory-vs-cost.yaml \
#       --vary services.resize.memory=128MB..3008MB:+64MB --replications 5
set -euo pipefail

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }

shards=4 out=sweep-out slsim="" sbatch_extra="" wait=0
while [ $# -gt 0 ]; do
  case "$1" in
    --shards) shards="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --slsim) slsim="$2"; shift 2 ;;
    --sbatch) sbatch_extra="$2"; shift 2 ;;
    --wait) wait=1; shift ;;
    --) shift; break ;;
    -h|--help) usage; exit 0 ;;
    *) echo "sweep-slurm.sh: unknown option '$1' (the sweep's own options go after --)" >&2; usage >&2; exit 2 ;;
  esac
done
if [ $# -lt 1 ]; then echo "sweep-slurm.sh: give the scenario and the sweep's options after --" >&2; exit 2; fi
case "$shards" in ''|*[!0-9]*|0) echo "sweep-slurm.sh: --shards takes a whole number above 0, not '$shards'" >&2; exit 2 ;; esac
command -v sbatch >/dev/null || { echo "sweep-slurm.sh: sbatch not found: is this a Slurm login node?" >&2; exit 2; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -z "$slsim" ]; then
  slsim="$(command -v slsim || true)"
  [ -n "$slsim" ] || slsim="$root/build/release/slsim"
fi
[ -x "$slsim" ] || { echo "sweep-slurm.sh: no slsim binary at '$slsim' (build it, or give --slsim)" >&2; exit 2; }
slsim="$(cd "$(dirname "$slsim")" && pwd)/$(basename "$slsim")"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# The sweep's own arguments, quoted for the job's shell.
sweep_args="$(printf '%q ' "$@")"
read -r -a extra <<<"$sbatch_extra"

# Each task runs its shard; the array index is the shard number (1..N).
array_id=$(sbatch --parsable "${extra[@]}" --job-name=slsim-sweep --array="1-$shards" --chdir="$PWD" \
  --output="$out/part-%a.log" \
  --wrap="exec $(printf '%q' "$slsim") sweep $sweep_args --shard \$SLURM_ARRAY_TASK_ID/$shards --json $(printf '%q' "$out")/part-\$SLURM_ARRAY_TASK_ID.json")
array_id="${array_id%%;*}"

parts=""
for k in $(seq 1 "$shards"); do parts+="$(printf '%q' "$out/part-$k.json") "; done
merge_cmd="$(printf '%q' "$slsim") merge $parts --json $(printf '%q' "$out/sweep.json") --csv $(printf '%q' "$out/sweep.csv") > $(printf '%q' "$out/sweep.txt")"
wait_flag=()
[ "$wait" = 1 ] && wait_flag=(--wait)
echo "sweep-slurm.sh: array job $array_id ($shards shards); merge job follows" >&2
set +e
merge_id=$(sbatch --parsable "${extra[@]}" "${wait_flag[@]}" --job-name=slsim-merge --dependency="afterok:$array_id" \
  --kill-on-invalid-dep=yes --chdir="$PWD" --output="$out/merge.log" --wrap="$merge_cmd")
status=$?
set -e
echo "sweep-slurm.sh: merge job ${merge_id%%;*}: results in $out/sweep.json, sweep.csv, sweep.txt" >&2
exit $status
