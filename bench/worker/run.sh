#!/usr/bin/env bash
# Training throughput of the djl worker runtime vs plain libtorch matmuls (see TrainingThroughput.java).
# Usage: bench/worker/run.sh [layers hidden intermediate seq batch steps]
set -euo pipefail
cd "$(dirname "$0")/../.."
./mvnw -B -q -o -pl worker compile
./mvnw -B -q -o -pl worker dependency:build-classpath -Dmdep.outputFile=target/worker.classpath
exec java --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true -Dai.djl.default_engine=PyTorch \
  -cp "worker/target/classes:$(cat worker/target/worker.classpath)" \
  bench/worker/TrainingThroughput.java "$@"
