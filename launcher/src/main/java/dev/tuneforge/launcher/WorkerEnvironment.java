package dev.tuneforge.launcher;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The environment a local worker starts with: the few variables of the service's own environment a runtime needs to
 * run at all, then the runtime's own ({@link WorkerCommand#env()}: thread counts, {@code PYTHONUNBUFFERED}). Nothing
 * else: the service's environment holds its S3 keys, its database password, a preset admin key, and a worker runs
 * code and data that users bring. A worker reads and writes only its work directory, which its launcher stages, so
 * it needs no credentials.
 */
public final class WorkerEnvironment {

    /**
     * Passed on when the service has them: where programs and the home directory are, language and time zone, the
     * temporary directory; the JDK for the djl runtime; native libraries and GPUs for libtorch (DJL's cache of it
     * and a preinstalled one); the torch runtime's speed levers, which only the environment can set.
     */
    public static final Set<String> INHERITED = Set.of("PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ",
            "TMPDIR", "JAVA_HOME", "LD_LIBRARY_PATH", "CUDA_HOME", "CUDA_VISIBLE_DEVICES", "DJL_CACHE_DIR",
            "ENGINE_CACHE_DIR", "PYTORCH_LIBRARY_PATH", "PYTORCH_VERSION", "PYTORCH_PRECXX11", "TUNEFORGE_COMPILE", "TUNEFORGE_ADAMW");

    private WorkerEnvironment() {
    }

    /** What a worker of {@code runtime} gets, from the service's {@code inherited} environment. */
    public static Map<String, String> of(WorkerCommand runtime, Map<String, String> inherited) {
        Map<String, String> env = new TreeMap<>();
        inherited.forEach((name, value) -> {
            if (INHERITED.contains(name) || name.startsWith("LC_")) {
                env.put(name, value);
            }
        });
        env.putAll(runtime.env());
        return env;
    }

    /** {@link #of(WorkerCommand, Map)} from this JVM's environment. */
    public static Map<String, String> of(WorkerCommand runtime) {
        return of(runtime, System.getenv());
    }
}
