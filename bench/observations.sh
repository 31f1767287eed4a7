#!/usr/bin/env bash
# Observation intake (issue #17 §2, results in docs/PERFORMANCE.md):
#   bench/observations.sh [--observations N] [--batch N] [--clients N] [--chars N]
# starts the gateway from its jar on an ephemeral stack and posts the same batches to POST
# /api/v1/models/{name}/observations and to the paths it is compared with (ObservationIntakeBench); prints
# observations/s and the checks. Builds the gateway and bench into the modules' target/ (nothing goes to ~/.m2); set
# TUNEFORGE_BENCH_SKIP_BUILD=1 to reuse a build; Maven reads extra flags (e.g. -o) from MAVEN_ARGS.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
source "$repo/bin/lib/jdk.sh"
cd "$repo"
if [ -z "${TUNEFORGE_BENCH_SKIP_BUILD:-}" ] || [ ! -f bench/target/bench.classpath ]; then
  ./mvnw -B -q package -DskipTests -pl gateway,bench -am
fi
cp="bench/target/classes:$(cat bench/target/bench.classpath)"
exec java --enable-native-access=ALL-UNNAMED -Dtuneforge.repo="$repo" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$cp" dev.tuneforge.bench.observations.ObservationIntakeBench "$@"
