#!/usr/bin/env bash
# Writes the djl runtime's logits for a model + PEFT adapter (LogitsWriter) for peft_parity.py;
# ADAPTER_DIR "none" for a fully fine-tuned model directory on its own.
# Usage: worker/parity/write-logits.sh MODEL_DIR ADAPTER_DIR|none [OUT.json]
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
args=()
for a in "$@"; do
  if [ "$a" = none ]; then args+=("$a"); else args+=("$(realpath -m "$a")"); fi
done
cd "$root"
./mvnw -B -q -o -pl worker -am compile dependency:build-classpath -Dmdep.outputFile=target/parity.classpath
exec java --enable-native-access=ALL-UNNAMED -Dai.djl.offline=true -Dai.djl.default_engine=PyTorch \
  -cp "worker/target/classes:$(cat worker/target/parity.classpath)" \
  dev.tuneforge.worker.parity.LogitsWriter "${args[@]}"
