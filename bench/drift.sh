#!/usr/bin/env bash
# Drift window statistics (issue #17; results go to docs/PERFORMANCE.md):
#   bench/drift.sh    JMH, one thread: WindowReport, feature extraction and a plain loop over the same arrays,
#                     windows of 500, 1,000 (the default) and 10,000 observations against a 2,000-observation reference
# Builds bench and what it needs into the modules' target/ (nothing goes to ~/.m2) unless
# TUNEFORGE_BENCH_SKIP_BUILD=1 and a build exists; Maven reads extra flags (e.g. -o) from MAVEN_ARGS.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
source "$repo/bin/lib/jdk.sh"
cd "$repo"
[ -n "${TUNEFORGE_BENCH_SKIP_BUILD:-}" ] && [ -f bench/target/bench.classpath ] \
  || ./mvnw -B -q package -DskipTests -pl bench -am
exec java -cp "bench/target/classes:$(cat bench/target/bench.classpath)" dev.tuneforge.bench.drift.DriftWindowBenchmark
