#!/usr/bin/env bash
# Installs what slsim needs to build and test, from Debian packages only.
# Idempotent: apt-get runs only when a package is missing.
#   --fuzz   also clang and libFuzzer (Debian's clang and the matching
#            libclang-rt-dev), for the `fuzz` preset and tools/fuzz.sh
#   --browser   also Chromium and a font (fonts-dejavu-core), for the headless
#            browser test of the HTML reports (ctest report.browser)
#   --distributed   also GNU parallel and a single-node Slurm with munge, for
#            tools/sweep-parallel.sh, tools/sweep-slurm.sh and tools/ci-distributed.sh
set -euo pipefail
packages=(g++ cmake ninja-build pkg-config libboost-graph-dev libeigen3-dev libyaml-cpp-dev
          libfmt-dev catch2 libcli11-dev python3)
for arg in "$@"; do
  case "$arg" in
    --fuzz) packages+=(clang libclang-rt-dev) ;;
    --browser) packages+=(chromium fonts-dejavu-core) ;;
    --distributed) packages+=(parallel slurmctld slurmd slurm-client munge) ;;
    *) echo "setup: unknown argument '$arg' (known: --fuzz, --browser, --distributed)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
