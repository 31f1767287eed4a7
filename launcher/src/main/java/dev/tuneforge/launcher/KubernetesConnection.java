package dev.tuneforge.launcher;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.HttpClient;

/**
 * A service's link to the cluster: the API client (from {@code master-url}, else in-cluster configuration or a
 * kubeconfig) and the {@link KubernetesLauncher} on it. trainer-service and eval-service each open one when
 * their launcher is {@code kubernetes}, on the HTTP client factory of their own Vert.x.
 */
public final class KubernetesConnection implements AutoCloseable {

    private final KubernetesClient client;
    private final KubernetesLauncher launcher;

    private KubernetesConnection(KubernetesClient client, KubernetesLauncher launcher) {
        this.client = client;
        this.launcher = launcher;
    }

    /**
     * @param prefix     the settings' property prefix, for error messages
     * @param s3Endpoint the service's S3 endpoint (the pods' default)
     */
    public static KubernetesConnection open(KubernetesSettings settings, String prefix, HttpClient.Factory http,
                                            String s3Endpoint, String s3Bucket) {
        Config clientConfig = Config.autoConfigure(null);
        settings.masterUrl().ifPresent(clientConfig::setMasterUrl);
        String namespace = settings.namespace().orElse(clientConfig.getNamespace() == null ? "default"
                : clientConfig.getNamespace());
        KubernetesLauncherConfig config = KubernetesLauncherConfig.from(settings, prefix, namespace, s3Endpoint,
                s3Bucket);
        KubernetesClient client = new KubernetesClientBuilder().withConfig(clientConfig).withHttpClientFactory(http)
                .build();
        return new KubernetesConnection(client, new KubernetesLauncher(client, config));
    }

    public KubernetesLauncher launcher() {
        return launcher;
    }

    @Override
    public void close() {
        client.close();
    }
}
