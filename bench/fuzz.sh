#!/usr/bin/env bash
# Fuzzes each @FuzzTest harness with Jazzer for a bounded time (results go to docs/RELIABILITY.md, "Fuzzing"):
#   bench/fuzz.sh [seconds-per-target] [target...]
# Targets (default: all): validator-upload, validator-valid, archive-bytes, archive-entries, chat-request.
# Per target it prints the executions, the coverage reached (libFuzzer's covered edges and features over the
# instrumented classes: tuneforge's and the parser library's) and the crashes found. A crash stops that target; its
# input is written to the harness's inputs directory (src/test/resources/.../<Class>Inputs/<method>/crash-*), which
# the normal test run replays from then on: make it a named regression test and fix the code.
# The generated corpus accumulates in <module>/.cifuzz-corpus (git-ignored); delete it to start from the committed
# inputs. Maven runs as ./mvnw -B (set MAVEN_ARGS=-o to stay offline); logs go to target/fuzz/<target>.log.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
source "$repo/bin/lib/jdk.sh"
cd "$repo"

seconds="${1:-60}"
shift || true
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: bench/fuzz.sh [seconds-per-target] [target...]" >&2
  exit 2
fi

# name | module | test class | harness method | classes instrumented for coverage
all_targets=(
  "validator-upload|dataset-service|dev.tuneforge.dataset.validation.DatasetValidatorFuzzTest|anyUploadGetsOneConsistentReportWhoseFindingsNameItsLines|dev.tuneforge.**,com.fasterxml.jackson.core.**"
  "validator-valid|dataset-service|dev.tuneforge.dataset.validation.DatasetValidatorFuzzTest|aValidFileStaysValidWhateverTheTextOfItsExamples|dev.tuneforge.**,com.fasterxml.jackson.core.**"
  "archive-bytes|gateway|dev.tuneforge.gateway.domain.BaseModelArchiveFuzzTest|anyBodyUnpacksInsideItsDirectoryWithinItsBoundsOrIsRefusedClearly|dev.tuneforge.**,org.apache.commons.compress.**"
  "archive-entries|gateway|dev.tuneforge.gateway.domain.BaseModelArchiveFuzzTest|anArchiveOfAnyEntriesIsReadAsWrittenOrRefused|dev.tuneforge.**,org.apache.commons.compress.**"
  "chat-request|gateway|dev.tuneforge.gateway.api.ChatRequestFuzzTest|anyBodyIsARequestTheGatewayCanServeOrAnOpenAiStyleClientError|dev.tuneforge.**,com.fasterxml.jackson.core.**"
)
targets=()
for target in "${all_targets[@]}"; do
  if [ $# -eq 0 ] || [[ " $* " == *" ${target%%|*} "* ]]; then
    targets+=("$target")
  fi
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "bench/fuzz.sh: no such target: $*" >&2
  exit 2
fi

mkdir -p target/fuzz
results=()
crashed=0
for target in "${targets[@]}"; do
  IFS='|' read -r name module class method instrument <<<"$target"
  log="target/fuzz/$name.log"
  echo "== $name: $class#$method, ${seconds}s" >&2
  # -am builds the modules it depends on from this tree; only the one harness runs (the fuzz-inputs execution).
  JAZZER_FUZZ=1 JAZZER_MAX_DURATION="${seconds}s" JAZZER_INSTRUMENT="$instrument" \
    ./mvnw -B -pl "$module" -am test -Dtest="$class#$method" -Dsurefire.failIfNoSpecifiedTests=false \
    >"$log" 2>&1 && status=0 || status=$?
  # libFuzzer's own lines: "Done <runs> runs in <s> second(s)", "#<n> ... cov: <edges> ft: <features> corp: ...".
  runs=$(sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 in \2 s/p' "$log" | tail -n 1)
  coverage=$(grep -a -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*/[0-9a-zA-Z]*' "$log" | tail -n 1)
  crashes=$(grep -a -c 'Test unit written to' "$log" || true)
  if [ -z "$runs" ]; then
    runs="? (no libFuzzer summary; see $log)"
  fi
  if [ "$crashes" -gt 0 ]; then
    crashed=1
    finding=$(grep -a -m 1 'FuzzTestFindingException' "$log" | sed 's/^.*FuzzTestFindingException: //' | cut -c1-160)
    crashes="$crashes: $(grep -a -o 'Test unit written to .*' "$log" | sed 's/Test unit written to //' | xargs -n1 basename | tr '\n' ' ')— $finding"
  elif [ "$status" -ne 0 ]; then
    crashed=1
    crashes="0, but the run failed (exit $status; see $log)"
  fi
  results+=("$name|$runs|${coverage:-?}|$crashes")
done

printf '\n%-17s %-22s %-38s %s\n' target executions coverage crashes
for result in "${results[@]}"; do
  IFS='|' read -r name runs coverage crashes <<<"$result"
  printf '%-17s %-22s %-38s %s\n' "$name" "$runs" "$coverage" "$crashes"
done
exit "$crashed"
