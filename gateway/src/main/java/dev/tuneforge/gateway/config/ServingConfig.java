package dev.tuneforge.gateway.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Optional;

/** {@code tuneforge.serving.*}: the local {@code worker serve} processes behind {@code /v1/chat/completions}. */
@ConfigMapping(prefix = "tuneforge.serving")
public interface ServingConfig {

    /** The djl worker's build directory (jar + worker.classpath); default: {@code worker/target}. */
    Optional<String> djlHome();

    /** Staged models (a cache, by name and digest) and the servers' logs. */
    @WithDefault("${java.io.tmpdir}/tuneforge-serving")
    String workDir();

    /** At most this many servers at once; the least recently used idle one stops for a new one. */
    @WithDefault("2")
    int maxServers();

    /** How long a server may take to load its model and print {@code serving}. */
    @WithDefault("3m")
    Duration startTimeout();

    /** BLAS threads of one server. */
    @WithDefault("1")
    int djlThreads();

    @WithDefault("2g")
    String djlMaxHeap();
}
