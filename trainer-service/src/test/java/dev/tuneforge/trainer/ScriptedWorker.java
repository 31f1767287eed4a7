package dev.tuneforge.trainer;

import io.quarkus.test.junit.QuarkusTestProfile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * A worker the tests script: a shell script in place of the torch runtime's python, started by the real launcher as a
 * real process, which behaves as the test tells it for each job (and attempt) and writes down the environment it was
 * started with. Its directory holds the script and what the tests and it leave for each other:
 * {@code <job>.mode} or {@code <job>.attempt-<n>.mode} (what to do; without one it finishes at once),
 * {@code <job>.release} (a held worker finishes), {@code <job>.attempt-<n>.env} (its environment, one
 * {@code NAME=value} a line).
 */
final class ScriptedWorker {

    /** What the worker does after its {@code started} line. */
    enum Mode {
        /** A progress line every half second until released, then the adapter and {@code finished}. */
        HOLD("hold"),
        /** As {@link #HOLD}, ignoring SIGTERM. */
        IGNORE_TERM("ignore-term"),
        /** Prints nothing more and ignores SIGTERM: a hang. */
        STALL("stall");

        final String word;

        Mode(String word) {
            this.word = word;
        }
    }

    private static final String SCRIPT = """
            #!/bin/sh
            # Called as python: -m tuneforge_worker train --spec SPEC --workdir <work-dir>/<job>/attempt-<n>
            here=$(dirname "$0")
            workdir=$7
            attempt=${workdir##*/}
            job=$(basename "$(dirname "$workdir")")
            tr '\\0' '\\n' < /proc/$$/environ > "$here/$job.$attempt.env"
            mode=$(cat "$here/$job.$attempt.mode" 2>/dev/null || cat "$here/$job.mode" 2>/dev/null || echo finish)
            echo '{"event":"started","command":"train","runtime":"torch","device":"cpu","total_steps":100,"train_examples":8,"trainable_parameters":1,"resumed_from_step":0}'
            case $mode in
              ignore-term) trap '' TERM ;;
              stall) trap '' TERM; while :; do sleep 1; done ;;
            esac
            step=0
            if [ "$mode" != finish ]; then
              while [ ! -e "$here/$job.release" ]; do
                step=$((step + 1))
                echo "{\\"event\\":\\"progress\\",\\"step\\":$step,\\"total_steps\\":100,\\"epoch\\":0.1,\\"train_loss\\":1.0,\\"learning_rate\\":0.001,\\"grad_norm\\":1.0,\\"tokens_per_second\\":1.0,\\"eta_seconds\\":1.0}"
                sleep 0.5
              done
            fi
            mkdir -p "$workdir/out/adapter"
            echo '{"r":4}' > "$workdir/out/adapter/adapter_config.json"
            echo "weights of $job $attempt" > "$workdir/out/adapter/adapter_model.safetensors"
            echo "{\\"event\\":\\"finished\\",\\"best_step\\":$step,\\"outputs\\":{\\"adapter\\":\\"$workdir/out/adapter\\"},\\"metrics\\":{}}"
            """;

    /**
     * Two torch slots whose python is the script; short leases, grace and stall timeout, so what takes minutes in
     * production takes seconds here.
     */
    public static class Profile implements QuarkusTestProfile {
        static final String LEASE = "6s";
        static final String STOP_GRACE = "1s";
        static final String STALL_TIMEOUT = "5s";

        @Override
        public Map<String, String> getConfigOverrides() {
            Path script = Path.of(System.getProperty("java.io.tmpdir"),
                    "tuneforge-scripted-worker-" + UUID.randomUUID(), "python");
            try {
                Files.createDirectories(script.getParent());
                Files.writeString(script, SCRIPT);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            script.toFile().setExecutable(true);
            return Map.of("tuneforge.trainer.slots", "cpu-0:torch,cpu-1:torch",
                    "tuneforge.trainer.default-runtime", "torch",
                    "tuneforge.trainer.worker.torch-python", script.toString(),
                    "tuneforge.trainer.lease", LEASE,
                    "tuneforge.trainer.worker.stop-grace", STOP_GRACE,
                    "tuneforge.trainer.worker.stall-timeout", STALL_TIMEOUT,
                    "tuneforge.trainer.max-attempts", "2");
        }
    }

    private final Path dir;

    /** @param python the profile's script as the application got it ({@code tuneforge.trainer.worker.torch-python}) */
    ScriptedWorker(String python) {
        this.dir = Path.of(python).getParent();
    }

    /** What the job's workers do, every attempt unless one has its own. */
    void behave(String jobId, Mode mode) throws IOException {
        Files.writeString(dir.resolve(jobId + ".mode"), mode.word);
    }

    void behave(String jobId, int attempt, Mode mode) throws IOException {
        Files.writeString(dir.resolve(jobId + ".attempt-" + attempt + ".mode"), mode.word);
    }

    /** A held worker of the job finishes. */
    void release(String jobId) throws IOException {
        Files.writeString(dir.resolve(jobId + ".release"), "");
    }

    /** The environment the job's worker of {@code attempt} was started with. */
    Map<String, String> environment(String jobId, int attempt) throws IOException {
        return Files.readAllLines(dir.resolve(jobId + ".attempt-" + attempt + ".env")).stream()
                .filter(line -> line.contains("="))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf('=')), l -> l.substring(l.indexOf('=') + 1)));
    }
}
