package dev.tuneforge.eval;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * A {@code worker evaluate} the tests script: a shell script in place of the torch runtime's python, started by the
 * real launcher as a real process, which behaves as the test tells it for each evaluation (and attempt) and writes
 * down its pid and the environment it was started with. An evaluation is known by its base model's name (the last
 * part of the spec's {@code base_model} path, before the digest), so each test gives its evaluations a base model of
 * their own; every subject of it (candidate, base model) behaves the same. It answers every held-out example with the
 * same text as its reference. Its directory holds the script and what the tests and it leave for each other:
 * {@code <model>.mode} or {@code <model>.attempt-<n>.mode} (what to do; without one it finishes at once),
 * {@code <model>.release} (a held worker finishes), {@code <model>.attempt-<n>.pid} and {@code .env} (its pid and
 * environment, one {@code NAME=value} a line).
 */
final class ScriptedWorker {

    /** What the worker does after its {@code started} line. */
    enum Mode {
        /** A progress line every half second until released, then the results and {@code finished}. */
        HOLD("hold"),
        /** Prints nothing more and ignores SIGTERM: a hang. */
        STALL("stall");

        final String word;

        Mode(String word) {
            this.word = word;
        }
    }

    private static final String SCRIPT = """
            #!/bin/sh
            # Called as python: -m tuneforge_worker evaluate --spec SPEC --workdir <work-dir>/<task>-<attempt>
            here=$(dirname "$0")
            spec=$5
            workdir=$7
            attempt=attempt-${workdir##*-}
            model=$(sed -n 's/.*"base_model" *: *"\\([^"]*\\)".*/\\1/p' "$spec")
            model=$(basename "$model")
            model=${model%%@*}
            data=$(sed -n 's/.*"file" *: *"\\([^"]*\\)".*/\\1/p' "$spec")
            echo $$ > "$here/$model.$attempt.pid"
            tr '\\0' '\\n' < /proc/$$/environ > "$here/$model.$attempt.env"
            mode=$(cat "$here/$model.$attempt.mode" 2>/dev/null || cat "$here/$model.mode" 2>/dev/null || echo finish)
            examples=$(grep -c . "$data")
            echo "{\\"event\\":\\"started\\",\\"command\\":\\"evaluate\\",\\"runtime\\":\\"torch\\",\\"device\\":\\"cpu\\",\\"total_steps\\":$examples,\\"train_examples\\":0,\\"trainable_parameters\\":0,\\"resumed_from_step\\":0}"
            case $mode in
              stall) trap '' TERM; while :; do sleep 1; done ;;
              hold)
                while [ ! -e "$here/$model.release" ]; do
                  echo "{\\"event\\":\\"progress\\",\\"step\\":0,\\"total_steps\\":$examples,\\"epoch\\":0.0,\\"train_loss\\":1.0,\\"learning_rate\\":0.0,\\"grad_norm\\":0.0,\\"tokens_per_second\\":1.0,\\"eta_seconds\\":1.0}"
                  sleep 0.5
                done ;;
            esac
            mkdir -p out/results
            i=0
            while [ $i -lt "$examples" ]; do
              echo "{\\"index\\":$i,\\"loss\\":1.0,\\"tokens\\":4,\\"token_accuracy\\":0.5,\\"generated\\":\\"answer $i\\",\\"reference\\":\\"answer $i\\"}"
              i=$((i + 1))
            done > out/results/results.jsonl
            echo "{\\"event\\":\\"finished\\",\\"best_step\\":0,\\"outputs\\":{\\"results\\":\\"$workdir/out/results/results.jsonl\\"},\\"metrics\\":{\\"examples\\":$examples}}"
            """;

    /**
     * Two torch slots whose python is the script; short leases, stop grace and stall timeout, so what takes minutes
     * in production takes seconds here.
     */
    public static class Profile implements QuarkusTestProfile {
        static final String LEASE = "6s";
        static final String STOP_GRACE = "1s";
        static final String STALL_TIMEOUT = "5s";

        @Override
        public Map<String, String> getConfigOverrides() {
            Path script = Path.of(System.getProperty("java.io.tmpdir"),
                    "tuneforge-scripted-eval-worker-" + UUID.randomUUID(), "python");
            try {
                Files.createDirectories(script.getParent());
                Files.writeString(script, SCRIPT);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            script.toFile().setExecutable(true);
            return Map.of("tuneforge.eval.slots", "cpu-0:torch,cpu-1:torch",
                    "tuneforge.eval.torch-python", script.toString(),
                    "tuneforge.eval.lease", LEASE,
                    "tuneforge.eval.worker.stop-grace", STOP_GRACE,
                    "tuneforge.eval.worker.stall-timeout", STALL_TIMEOUT,
                    "tuneforge.eval.max-attempts", "2");
        }
    }

    private final Path dir;

    /** @param python the profile's script as the application got it ({@code tuneforge.eval.torch-python}) */
    ScriptedWorker(String python) {
        this.dir = Path.of(python).getParent();
    }

    /** What the workers of the evaluation of {@code baseModel} do, every attempt unless one has its own. */
    void behave(String baseModel, Mode mode) throws IOException {
        Files.writeString(dir.resolve(baseModel + ".mode"), mode.word);
    }

    void behave(String baseModel, int attempt, Mode mode) throws IOException {
        Files.writeString(dir.resolve(baseModel + ".attempt-" + attempt + ".mode"), mode.word);
    }

    /** A held worker of the evaluation finishes, and so do its next ones. */
    void release(String baseModel) throws IOException {
        Files.writeString(dir.resolve(baseModel + ".release"), "");
    }

    /** The pid of the evaluation's last worker of {@code attempt}, once one started. */
    Optional<Long> pid(String baseModel, int attempt) throws IOException {
        Path file = dir.resolve(baseModel + ".attempt-" + attempt + ".pid");
        String pid = Files.exists(file) ? Files.readString(file).strip() : "";
        return pid.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(pid));
    }

    /** The environment the evaluation's worker of {@code attempt} was started with. */
    Map<String, String> environment(String baseModel, int attempt) throws IOException {
        return Files.readAllLines(dir.resolve(baseModel + ".attempt-" + attempt + ".env")).stream()
                .filter(line -> line.contains("="))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1),
                        (a, b) -> b));
    }
}
