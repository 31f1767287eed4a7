package dev.tuneforge.eval.run;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** {@code tuneforge.eval.*}: how this instance runs {@code worker evaluate}. */
@ConfigMapping(prefix = "tuneforge.eval")
public interface EvalConfig {

    /** Work directories of evaluations (staged models, held-out data, results). */
    @WithDefault("${java.io.tmpdir}/tuneforge-eval")
    String workDir();

    /** The djl worker's build directory (jar + worker.classpath); default: the worker module's target/. */
    Optional<String> djlHome();

    @WithDefault("1")
    int djlThreads();

    @WithDefault("2g")
    String djlMaxHeap();

    /** Longest generated answer per held-out example. */
    @WithDefault("128")
    int maxNewTokens();

    @WithDefault("5m")
    Duration lease();

    /** Tries per evaluation before it is reported as failed. */
    @WithDefault("3")
    int maxAttempts();

    /** How often pending evaluations are looked for ({@code off} to drive by hand). */
    @WithDefault("1s")
    String tick();

    Optional<String> instanceId();
}
