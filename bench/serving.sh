#!/usr/bin/env bash
# Many adapters in one `worker serve --adapters` (issue #17 §1; results go to docs/PERFORMANCE.md):
#   bench/serving.sh    one real djl server over a 42 M-parameter Llama and 10 LoRA adapters: its resident memory
#                       after one version vs after ten (goal <= 1.3x), and time to first token for an adapter's
#                       first request (cold) vs later ones (warm), with the ratios
# Builds bench and what it needs (the worker's jar and classpath included) into the modules' target/ (nothing goes
# to ~/.m2) unless TUNEFORGE_BENCH_SKIP_BUILD=1 and a build exists; Maven reads extra flags (e.g. -o) from
# MAVEN_ARGS.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
source "$repo/bin/lib/jdk.sh"
cd "$repo"
[ -n "${TUNEFORGE_BENCH_SKIP_BUILD:-}" ] && [ -f bench/target/bench.classpath ] && [ -f worker/target/worker.classpath ] \
  || ./mvnw -B -q package -DskipTests -Dpytest.args=--collect-only -pl bench -am
exec java --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true -Dai.djl.default_engine=PyTorch \
  -cp "bench/target/classes:$(cat bench/target/bench.classpath)" dev.tuneforge.bench.serving.ServingBenchmark \
  worker/target
