#!/usr/bin/env bash
# Writes the djl runtime's logits for a model + PEFT adapter (LogitsWriter) for peft_parity.py.
# Usage: worker/parity/write-logits.sh MODEL_DIR ADAPTER_DIR [OUT.json]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
args=()
for a in "$@"; do args+=("$(realpath -m "$a")"); done
cd "$root"
./mvnw -B -q -o -pl worker -am test-compile dependency:build-classpath -Dmdep.outputFile=target/parity.classpath
exec java --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true -Dai.djl.default_engine=PyTorch \
  -cp "worker/target/test-classes:worker/target/classes:$(cat worker/target/parity.classpath)" \
  dev.tuneforge.worker.parity.LogitsWriter "${args[@]}"
