#!/usr/bin/env bash
# Trainer control-plane overhead (issue #6; results go to docs/PERFORMANCE.md):
#   bench/trainer.sh [JOBS]   JOBS tiny LoRA jobs through trainer-service (default 10) vs the same worker
#                             started directly JOBS times, interleaved, in one program (ControlPlaneOverhead)
#   bench/trainer.sh JOBS key=value ...   the same with trainer-service properties set (e.g. a shorter tick)
# Builds trainer-service's jar, the worker and bench into the modules' target/ (nothing goes to ~/.m2);
# set TUNEFORGE_BENCH_SKIP_BUILD=1 to reuse a build; Maven reads extra flags (e.g. -o) from MAVEN_ARGS.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
source "$repo/bin/lib/jdk.sh"
cd "$repo"
if [ -z "${TUNEFORGE_BENCH_SKIP_BUILD:-}" ] || [ ! -f bench/target/bench.classpath ]; then
  ./mvnw -B -q package -DskipTests -pl trainer-service,worker,bench -am
fi
cp="bench/target/classes:$(cat bench/target/bench.classpath)"
exec java --enable-native-access=ALL-UNNAMED -Dtuneforge.repo="$repo" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$cp" dev.tuneforge.bench.trainer.ControlPlaneOverhead "${1:-10}" "${@:2}"
