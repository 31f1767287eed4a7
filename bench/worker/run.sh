#!/usr/bin/env bash
# Training throughput of the djl worker runtime vs plain libtorch matmuls (see TrainingThroughput.java).
# Usage: bench/worker/run.sh [layers hidden intermediate seq batch steps]
# Set OMP_NUM_THREADS to fix libtorch's thread count (default: one per core).
set -euo pipefail
cd "$(dirname "$0")/../.."
# -am so the worker's sibling modules come from this checkout, not from a stale ~/.m2.
./mvnw -B -q -o -pl worker -am compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath
exec java --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true -Dai.djl.default_engine=PyTorch \
  -cp "worker/target/classes:$(cat worker/target/bench.classpath)" \
  bench/worker/TrainingThroughput.java "$@"
