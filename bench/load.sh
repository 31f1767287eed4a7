#!/usr/bin/env bash
# Load test (issue #18, "Load"; results go to docs/RELIABILITY.md):
#   bench/load.sh [--name value ...]   the whole platform on an ephemeral stack (free loopback ports, as `up` runs it),
#                                      then concurrent dataset uploads, chat requests and tiny fine-tuning jobs, each
#                                      with N clients, a count and a time bound (bench/load.sh --help lists them);
#                                      prints throughput, p50/p99 latencies and the checks that nothing was lost.
# Exits 0 only if there was no error and nothing was lost or doubled. Builds the five services, the CLI, the worker
# and bench into the modules' target/ (nothing goes to ~/.m2); set TUNEFORGE_BENCH_SKIP_BUILD=1 to reuse a build;
# Maven reads extra flags (e.g. -o) from MAVEN_ARGS. The platform's logs stay in bench/target/load/logs.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
source "$repo/bin/lib/jdk.sh"
cd "$repo"
if [ -z "${TUNEFORGE_BENCH_SKIP_BUILD:-}" ] || [ ! -f bench/target/bench.classpath ]; then
  ./mvnw -B -q package -DskipTests \
    -pl gateway,dataset-service,trainer-service,eval-service,registry-service,cli,worker,bench -am
fi
cp="bench/target/classes:$(cat bench/target/bench.classpath)"
exec java --enable-native-access=ALL-UNNAMED -Dtuneforge.repo="$repo" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$cp" dev.tuneforge.bench.load.LoadTest "$@"
