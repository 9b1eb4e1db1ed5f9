#!/usr/bin/env bash
# CI: a small sweep run three ways must give the same JSON (wall-clock fields
# apart): in one process, as shards under GNU parallel (tools/sweep-parallel.sh),
# and as a Slurm job array with a merge job (tools/sweep-slurm.sh) on a
# single-node cluster this script starts from the Debian packages and stops
# again, whatever happens (trap). Needs root (it starts munged and the Slurm
# daemons directly, without systemd) and the release build (build/release/slsim).
#
# Usage: tools/ci-distributed.sh [--keep]   (--keep leaves the work directory for a look)
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
slsim="$root/build/release/slsim"
keep=0
[ "${1:-}" = "--keep" ] && keep=1
[ -x "$slsim" ] || { echo "ci-distributed: build the release preset first ($slsim is missing)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "ci-distributed: run as root (it starts munged, slurmctld and slurmd)" >&2; exit 2; }

bash tools/setup.sh --distributed

work="$(mktemp -d /tmp/slsim-ci-distributed.XXXXXX)"
chmod 755 "$work"
pids=()       # the daemons this script started, stopped by the trap
submitter=""  # tools/sweep-slurm.sh while it waits for the jobs

stop_daemons() {
  local status=$?
  trap - EXIT
  # The submitter and its sbatch --wait, by process id.
  [ -z "$submitter" ] || kill $(ps -o pid= --ppid "$submitter") "$submitter" 2>/dev/null || true
  # Jobs of an interrupted run first: every job of this private cluster is ours.
  # (Bounded: a client whose controller is gone retries for minutes.)
  if [ ${#pids[@]} -ge 3 ]; then
    timeout 10 scancel --full --quiet --partition=ci 2>/dev/null || true
    for _ in $(seq 20); do [ -z "$(timeout 5 squeue -h 2>/dev/null)" ] && break; sleep 0.5; done
  fi
  # Then Slurm (slurmd and slurmctld need munge to talk), then munged.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "${pids[i]}" 2>/dev/null || break; sleep 0.1; done
    kill -9 "${pids[i]}" 2>/dev/null || true
  done
  if [ "$keep" = 1 ]; then echo "ci-distributed: work directory kept: $work" >&2; else rm -rf "$work"; fi
  exit $status
}
# The cleanup runs once, on any exit; a signal exits (and so cleans up).
trap stop_daemons EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The sweep: 4 points x 3 replications = 12 pairs, split 4 ways.
scenario="$root/scenarios/lambda/lambda-memory-vs-cost.yaml"
sweep=(--vary services.resize.memory=128MB..1024MB:x2 --duration 5min --replications 3
       --goal 'workloads.uploads.latency_ms.p99<5000')
deterministic() { grep -v -E '"(wall_s|events_per_s)":' "$1"; }

echo "== one process =="
"$slsim" sweep "$scenario" "${sweep[@]}" --json "$work/single.json" --quiet
deterministic "$work/single.json" >"$work/single.det"

echo "== GNU parallel, 4 shards =="
tools/sweep-parallel.sh --shards 4 --out "$work/parallel" --slsim "$slsim" -- "$scenario" "${sweep[@]}" >/dev/null
deterministic "$work/parallel/sweep.json" >"$work/parallel.det"
cmp "$work/single.det" "$work/parallel.det"
echo "GNU parallel: the merged JSON equals the single process's"

echo "== Slurm: a single-node cluster on 127.0.0.1 =="
# munged with a key, socket and files of its own, as the munge user.
# Its key is private (0700); the socket's directory must let everyone through (0755).
mkdir -p /run/munge "$work/munge" "$work/munge-key"
chown munge:munge /run/munge "$work/munge" "$work/munge-key"
chmod 0755 "$work/munge"
chmod 0700 "$work/munge-key"
dd if=/dev/urandom of="$work/munge-key/munge.key" bs=1024 count=1 status=none
chown munge:munge "$work/munge-key/munge.key"
chmod 0400 "$work/munge-key/munge.key"
socket="$work/munge/munge.socket"
runuser -u munge -- /usr/sbin/munged --socket="$socket" --key-file="$work/munge-key/munge.key" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/munge-key/munged.log" --seed-file="$work/munge-key/munged.seed"
for _ in $(seq 50); do [ -s "$work/munge/munged.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$work/munge/munged.pid")")

mkdir -p "$work/ctld" "$work/slurmd"
chown slurm:slurm "$work/ctld"
cpus="$(nproc)"
export SLURM_CONF="$work/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=slsimci
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$work/ctld
SlurmctldPidFile=$work/ctld/slurmctld.pid
SlurmctldLogFile=$work/ctld/slurmctld.log
SlurmdSpoolDir=$work/slurmd
SlurmdPidFile=$work/slurmd/slurmd.pid
SlurmdLogFile=$work/slurmd/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
NodeName=slsimci-node NodeAddr=127.0.0.1 NodeHostname=localhost CPUs=$cpus State=UNKNOWN
PartitionName=ci Nodes=slsimci-node Default=YES MaxTime=INFINITE State=UP
EOF
/usr/sbin/slurmctld -f "$SLURM_CONF"
for _ in $(seq 100); do [ -s "$work/ctld/slurmctld.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$work/ctld/slurmctld.pid")")
/usr/sbin/slurmd -f "$SLURM_CONF" -N slsimci-node
for _ in $(seq 100); do [ -s "$work/slurmd/slurmd.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$work/slurmd/slurmd.pid")")
# Wait until the node is up.
for _ in $(seq 100); do
  state="$(sinfo -h -n slsimci-node -o %T 2>/dev/null || true)"
  case "$state" in idle*|mixed*|allocated*) break ;; esac
  sleep 0.2
done
echo "slurm node: ${state:-unknown}"

start=$(date +%s)
# In the background, so that a signal reaches the trap while the jobs run.
tools/sweep-slurm.sh --shards 4 --out "$work/slurm" --slsim "$slsim" --wait --sbatch "--time=10" -- \
  "$scenario" "${sweep[@]}" &
submitter=$!
wait "$submitter"
submitter=""
echo "Slurm: the job array and the merge job took $(( $(date +%s) - start )) s"
deterministic "$work/slurm/sweep.json" >"$work/slurm.det"
cmp "$work/single.det" "$work/slurm.det"
echo "Slurm: the merged JSON equals the single process's"
