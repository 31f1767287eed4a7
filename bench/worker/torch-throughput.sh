#!/usr/bin/env bash
# Training-step throughput of the torch runtime vs a plain transformers loop, TRL's SFTTrainer and the djl runtime,
# side by side (see torch_throughput.py). Arguments go to torch_throughput.py, e.g.
#   bench/worker/torch-throughput.sh --suite cpu --threads 1 --steps 8 --rounds 2
#   bench/worker/torch-throughput.sh --suite gpu --steps 10
set -euo pipefail
cd "$(dirname "$0")/../.."
source bin/lib/jdk.sh
source bin/lib/python-env.sh
python="$(tuneforge_python_env "$PWD")"
classpath=""
if [ -f worker/target/worker.classpath ] || ./mvnw -B -q -pl worker -am package -DskipTests; then
  jar="$PWD/$(ls worker/target/tuneforge-worker-*.jar | grep -v -e '-sources.jar' -e '-tests.jar' | head -n 1)"
  classpath="$jar:$(cat worker/target/worker.classpath)"
fi
exec "$python" bench/worker/torch_throughput.py --java "$JAVA_HOME/bin/java" --djl-classpath "$classpath" "$@"
