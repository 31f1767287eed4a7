#!/usr/bin/env bash
# Dataset pipeline benchmarks (results go to docs/PERFORMANCE.md):
#   bench/datasets.sh ratio        JMH: whole pipeline vs bare tokenisation, same JVM, same file
#   bench/datasets.sh large [MB]   one large file (default 1024 MB) through the pipeline with -Xmx256m
#   bench/datasets.sh ingest [MB] [ROUNDS] [LARGE_MB]
#                                  issue #21: the whole pipeline's MB/s on a seeded MB-sized file (default 32)
#                                  against Hugging Face tokenizers' encode_batch (Python, bench/.venv) on the same
#                                  file's rendered texts with the same tokenizer.json, ROUNDS times interleaved
#                                  (default 2), with the load average; then `large LARGE_MB` (default 1024, 0 skips)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
source "$repo/bin/lib/jdk.sh"
cd "$repo"
# Builds bench and what it needs into the modules' target/ (nothing goes to ~/.m2); set
# TUNEFORGE_BENCH_SKIP_BUILD=1 to reuse a build; Maven reads extra flags (e.g. -o) from MAVEN_ARGS.
if [ -z "${TUNEFORGE_BENCH_SKIP_BUILD:-}" ] || [ ! -f bench/target/bench.classpath ]; then
  ./mvnw -B -q package -DskipTests -pl bench -am
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
  ingest)
    mb="${2:-32}"
    rounds="${3:-2}"
    large="${4:-1024}"
    venv="$repo/bench/.venv"
    if ! { [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import tokenizers' 2>/dev/null; }; then
      python3 -m venv "$venv"
      "$venv/bin/pip" install -q tokenizers
    fi
    data="${TMPDIR:-/tmp}/tuneforge-ingest-${mb}mb.jsonl"
    echo "tokenizers $("$venv/bin/python" -c 'import tokenizers; print(tokenizers.__version__)'), $(java -version 2>&1 | head -n 1), $(nproc) cores"
    for round in $(seq "$rounds"); do
      echo "round $round, load average $(cut -d' ' -f1-3 /proc/loadavg)"
      ours=$(java "${java_opts[@]}" -cp "$cp" dev.tuneforge.bench.datasets.IngestThroughput "$mb" "$data" \
        "$data.rendered" | grep '^ours:')
      echo "  $ours"
      floor=$("$venv/bin/python" bench/datasets/encode_batch.py "$fixtures/tiny-llama-gqa/tokenizer.json" \
        "$data.rendered" "$data" | grep '^tokenizers:')
      echo "  $floor"
      echo "  load average $(cut -d' ' -f1-3 /proc/loadavg); ours / tokenizers encode_batch: $(awk -v a="$ours" \
        -v b="$floor" 'BEGIN { match(a, /[0-9.]+ MB\/s/); x = substr(a, RSTART); match(b, /[0-9.]+ MB\/s/);
        y = substr(b, RSTART); match(a, /[0-9.]+ CPU s/); c = substr(a, RSTART); match(b, /[0-9.]+ CPU s/);
        d = substr(b, RSTART); printf "%.2f in MB/s (goal >= 0.7), %.2f in CPU s per MB", x / y, d / c }')"
    done
    if [ "$large" != 0 ]; then
      echo "large: ${large} MB with -Xmx256m, load average $(cut -d' ' -f1-3 /proc/loadavg)"
      java -Xmx256m "${java_opts[@]}" -cp "$cp" dev.tuneforge.bench.datasets.LargeFileValidation "$large" \
        "${TMPDIR:-/tmp}/tuneforge-large-${large}mb.jsonl"
      echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
    fi
    ;;
  *)
    echo "usage: bench/datasets.sh ratio | large [MB] | ingest [MB] [ROUNDS] [LARGE_MB]" >&2
    exit 2
    ;;
esac
