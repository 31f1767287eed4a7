package dev.tuneforge.gateway.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * {@code tuneforge.serving.*}: the {@code worker serve} processes behind {@code /v1/chat/completions}, local ones and
 * remote ones.
 */
@ConfigMapping(prefix = "tuneforge.serving")
public interface ServingConfig {

    /** The djl worker's build directory (jar + worker.classpath); default: {@code worker/target}. */
    Optional<String> djlHome();

    /** Staged models (a cache, by name and digest) and the servers' logs. */
    @WithDefault("${java.io.tmpdir}/tuneforge-serving")
    String workDir();

    /**
     * At most this many server processes at once, those starting or stopping included; the least recently used
     * idle one stops for a new one.
     */
    @WithDefault("2")
    int maxServers();

    /** How long a server may take to load its model and print {@code serving}. */
    @WithDefault("3m")
    Duration startTimeout();

    /**
     * How long a request for a model without a server waits for a slot while every one holds a busy, starting or
     * stopping server; then it is answered 503 with {@code Retry-After}.
     */
    @WithDefault("30s")
    Duration queueTimeout();

    /** How long a server's {@code GET /health}, asked before each request, may take before it counts as hung. */
    @WithDefault("5s")
    Duration healthTimeout();

    /** How long a server may take to exit after SIGTERM before it is killed (SIGKILL). */
    @WithDefault("10s")
    Duration stopTimeout();

    /**
     * Base models served by a remote server instead of a local process ({@code tuneforge.serving.remote."<base
     * model>"=http://host:port}, e.g. a GPU serve Deployment, deploy/k8s/serving): chat with the base model and its
     * adapter versions goes there. An adapter reaches it through S3: it is copied to
     * {@code serving/<base model>/adapters/<id>/}, which the Deployment's sidecar mirrors into its adapters directory.
     */
    Map<String, String> remote();

    /**
     * The same as {@link #remote()} in one value, {@code <base model>=<url>[,<base model>=<url>...]}, for where a map
     * key cannot be written: an environment variable ({@code TUNEFORGE_SERVING_REMOTE_SERVERS}, as the Kubernetes
     * ConfigMap sets it) cannot name {@code remote."tiny-llama"}. An entry of {@link #remote()} wins over one here.
     */
    Optional<String> remoteServers();

    /** The URL of the server of {@code baseModel} elsewhere, from {@link #remote()} or {@link #remoteServers()}. */
    default Optional<String> remoteUrl(String baseModel) {
        String url = remote().get(baseModel);
        return url != null ? Optional.of(url)
                : Optional.ofNullable(RemoteServers.parse(remoteServers().orElse("")).get(baseModel));
    }

    /**
     * How long a request to a remote server that has not got the adapter yet (404 {@code model_not_found}: its sidecar
     * has not synced it) is asked again before that answer is passed on.
     */
    @WithDefault("2m")
    Duration remoteAdapterWait();

    /** BLAS threads of one server. */
    @WithDefault("1")
    int djlThreads();

    @WithDefault("2g")
    String djlMaxHeap();
}
