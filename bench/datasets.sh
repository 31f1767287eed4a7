#!/usr/bin/env bash
# Dataset pipeline benchmarks (results go to docs/PERFORMANCE.md):
#   bench/datasets.sh ratio        JMH: whole pipeline vs bare tokenisation, same JVM, same file
#   bench/datasets.sh large [MB]   one large file (default 1024 MB) through the pipeline with -Xmx256m
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
source "$repo/bin/lib/jdk.sh"
cd "$repo"
if [ ! -f bench/target/bench.classpath ]; then
  ./mvnw -B -q install -DskipTests -pl bench -am
fi
fixtures="${TUNEFORGE_FIXTURES:-$repo/../shared/fixtures}"
cp="bench/target/classes:$(cat bench/target/bench.classpath)"
java_opts=(--enable-native-access=ALL-UNNAMED -Dai.djl.offline=true "-Dtuneforge.fixtures.dir=$fixtures"
  -Djava.util.logging.manager=org.jboss.logmanager.LogManager)
case "${1:-ratio}" in
  ratio)
    exec java "${java_opts[@]}" -cp "$cp" dev.tuneforge.bench.datasets.DatasetPipelineBenchmark
    ;;
  large)
    exec java -Xmx256m "${java_opts[@]}" -cp "$cp" dev.tuneforge.bench.datasets.LargeFileValidation "${2:-1024}" \
      "${TMPDIR:-/tmp}/tuneforge-large-${2:-1024}mb.jsonl"
    ;;
  *)
    echo "usage: bench/datasets.sh ratio | large [MB]" >&2
    exit 2
    ;;
esac
