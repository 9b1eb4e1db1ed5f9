#!/usr/bin/env bash
# Regenerates the golden results: tests/golden/NAME.json for every bundled
# scenario scenarios/**/NAME.yaml (the library is in folders), run with its own seed on one thread, without
# the wall-clock fields (run.wall_s, run.events_per_s). ctest compares a fresh
# run of each scenario with its golden exactly (golden.NAME), so that a change
# in model behaviour shows up in review as a diff of tests/golden/.
#
# Usage: tools/update-goldens.sh [NAME...]   (default: every scenario)
#
# Run it after a change that is meant to change results (a model fix, a new
# default, an edited scenario, a new scenario) and commit the goldens with the
# change, saying why they moved; never to make an unexplained failure go away.
# Uses build/release/slsim (build it first), or the binary in $SLSIM.
set -euo pipefail
cd "$(dirname "$0")/.."

slsim=${SLSIM:-build/release/slsim}
if [ ! -x "$slsim" ]; then
  echo "update-goldens: no $slsim: build first (cmake --preset release && cmake --build --preset release)" >&2
  exit 2
fi

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  while IFS= read -r scenario; do names+=("$(basename "$scenario" .yaml)"); done \
    < <(find scenarios -name '*.yaml' | sort)
  # Goldens of scenarios that no longer exist go too.
  for golden in tests/golden/*.json; do
    [ -e "$golden" ] || continue
    [ -n "$(find scenarios -name "$(basename "$golden" .json).yaml")" ] || { rm "$golden"; echo "removed $golden"; }
  done
fi

mkdir -p tests/golden
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for name in "${names[@]}"; do
  scenario=$(find scenarios -name "$name.yaml" | head -n 1)
  [ -n "$scenario" ] || { echo "update-goldens: no scenarios/**/$name.yaml" >&2; exit 2; }
  status=0
  "$slsim" run "$scenario" --threads 1 --quiet --json "$tmp" || status=$?
  # 1: an expectation failed (ctest's check.NAME says which); the result is still the golden.
  if [ "$status" -gt 1 ]; then echo "update-goldens: $scenario did not run (exit $status)" >&2; exit 2; fi
  # Drop the wall-clock lines of the "run" object (and the comma they leave).
  awk '
    /^  "run": [{]$/ { inrun = 1; n = 0; print; next }
    inrun && /^  [}]/ {
      if (n > 0) sub(/,$/, "", kept[n])
      for (i = 1; i <= n; i++) print kept[i]
      inrun = 0; print; next
    }
    inrun { if ($0 !~ /^    "(wall_s|events_per_s)": /) kept[++n] = $0; next }
    { print }
  ' "$tmp" > "tests/golden/$name.json"
  echo "tests/golden/$name.json"
done
