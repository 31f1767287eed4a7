package dev.tuneforge.launcher;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.util.Comparator;
import java.util.Optional;

/**
 * Runs attempts as Kubernetes Jobs on the GPU node pool (DESIGN §7; objects in {@link KubernetesManifests}).
 *
 * <p>Kubernetes keeps a Job when the service that created it dies. A Job's name follows from its job id and
 * attempt, so a restarted trainer that launches the same attempt again gets the running Job back instead of a
 * second one ({@link #launch} adopts on a name conflict), and {@link #find} looks one up by its labels. This
 * is what a local process cannot offer: an orphaned process can only be killed, a Job can be adopted with
 * its progress.
 */
public final class KubernetesLauncher {

    private final KubernetesClient client;
    private final KubernetesLauncherConfig config;
    private final KubernetesManifests manifests;

    public KubernetesLauncher(KubernetesClient client, KubernetesLauncherConfig config) {
        this.client = client;
        this.config = config;
        this.manifests = new KubernetesManifests(config);
    }

    public KubernetesManifests manifests() {
        return manifests;
    }

    /**
     * Creates the attempt's Job (and, for several nodes, its headless Service). If the Job exists already — the
     * same attempt launched by an earlier instance of the service — it is adopted as it is.
     *
     * @throws IllegalStateException if that Job is being deleted: the attempt is over, launch the next one
     */
    public KubernetesWorker launch(KubernetesAttempt attempt) {
        Job job = manifests.job(attempt);
        String name = job.getMetadata().getName();
        Job created;
        try {
            created = client.batch().v1().jobs().inNamespace(config.namespace()).resource(job).create();
        } catch (KubernetesClientException e) {
            if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                throw e;
            }
            created = client.batch().v1().jobs().inNamespace(config.namespace()).withName(name).get();
            if (created == null) {
                throw e;
            }
            if (created.getMetadata().getDeletionTimestamp() != null) {
                throw new IllegalStateException("job " + name + " of attempt " + attempt.attempt() + " of "
                        + attempt.jobId() + " is being deleted");
            }
        }
        if (attempt.nodes() > 1) {
            Service service = manifests.service(created);
            var existing = client.services().inNamespace(config.namespace()).withName(name);
            if (existing.get() == null) {
                client.services().inNamespace(config.namespace()).resource(service).create();
            }
        }
        return worker(created);
    }

    /**
     * The Job of this attempt if Kubernetes still has it (running, or finished and not yet removed by its TTL),
     * for a trainer that restarted while it ran. A Job being deleted is not returned.
     */
    public Optional<KubernetesWorker> find(String jobId, int attempt) {
        return job(jobId, attempt).map(this::worker);
    }

    /**
     * Whether a restarted trainer should take this attempt over rather than launch the next one: its Job exists
     * and has not failed (it runs, or it completed while no trainer followed it and its log tells the result).
     */
    public boolean adoptable(String jobId, int attempt) {
        return job(jobId, attempt).filter(j -> j.getStatus() == null || j.getStatus().getConditions() == null
                || j.getStatus().getConditions().stream()
                        .noneMatch(c -> "Failed".equals(c.getType()) && "True".equals(c.getStatus())))
                .isPresent();
    }

    private Optional<Job> job(String jobId, int attempt) {
        return client.batch().v1().jobs().inNamespace(config.namespace())
                .withLabels(KubernetesManifests.labels(jobId, attempt))
                .list().getItems().stream()
                .filter(j -> j.getMetadata().getDeletionTimestamp() == null)
                .max(Comparator.comparing(j -> j.getMetadata().getCreationTimestamp(),
                        Comparator.nullsFirst(Comparator.naturalOrder())));
    }

    private KubernetesWorker worker(Job job) {
        Integer completions = job.getSpec().getCompletions();
        return new KubernetesWorker(client, config, job.getMetadata().getName(), job.getMetadata().getLabels(),
                completions == null ? 1 : completions);
    }
}
