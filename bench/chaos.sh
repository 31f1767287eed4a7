#!/usr/bin/env bash
# Chaos matrix (issue #18; the matrix and its outcomes go to docs/RELIABILITY.md, "Chaos"):
#   bench/chaos.sh                      every component (5 services, Kafka, PostgreSQL, S3) killed with SIGKILL at
#                                       every moment of the demo's chain (validation, training, evaluation,
#                                       registration): 32 demo chains on the torch runtime, one kill each, on one
#                                       platform (about 4 minutes a chain on 2 cores)
#   bench/chaos.sh CELL[,CELL...]       only these cells, e.g. kafka@training,eval-service@evaluation
#   TUNEFORGE_CHAOS_SEED=N bench/chaos.sh ...   the same positions and downtimes as a run that printed seed N
# Each cell's outcome is printed as it ends and the whole matrix at the end ("chaos: matrix"): ok with when the part
# was killed and how long it took to be back, or FAILED with the first line of the failed check. It runs ChaosIT
# (system-tests) with -Dtuneforge.chaos.cells; its logs are in system-tests/target/chaos/logs. Builds what it needs
# into the modules' target/ (nothing goes to ~/.m2); Maven reads extra flags (e.g. -o) from MAVEN_ARGS.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
source "$repo/bin/lib/jdk.sh"
cd "$repo"
cells="${1:-all}"
seed_args=()
if [ -n "${TUNEFORGE_CHAOS_SEED:-}" ]; then
  seed_args=("-Dtuneforge.chaos.seed=$TUNEFORGE_CHAOS_SEED")
fi
# Only ChaosIT runs: no unit test (-Dtest=none), the torch runtime's pytest only collects.
./mvnw -B verify -pl system-tests -am -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false \
  -Dit.test=ChaosIT -Dfailsafe.failIfNoSpecifiedTests=false -Dpytest.args=--collect-only \
  -Dtuneforge.chaos.cells="$cells" ${seed_args[@]+"${seed_args[@]}"} \
  | grep --line-buffered -E '^chaos:|^  [a-z0-9-]+@|Tests run:|BUILD|ERROR'
