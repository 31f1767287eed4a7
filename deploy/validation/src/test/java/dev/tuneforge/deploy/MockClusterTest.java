package dev.tuneforge.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.launcher.KubernetesAttempt;
import dev.tuneforge.launcher.KubernetesConnection;
import dev.tuneforge.launcher.KubernetesLauncher;
import dev.tuneforge.launcher.KubernetesManifests;
import dev.tuneforge.launcher.KubernetesSettings;
import dev.tuneforge.launcher.KubernetesWorker;
import dev.tuneforge.launcher.WorkerCommand;
import dev.tuneforge.worker.protocol.EventLines;
import dev.tuneforge.worker.protocol.ExitCode;
import dev.tuneforge.worker.protocol.WorkerEvent;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.kubernetes.client.vertx.VertxHttpClientFactory;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Each overlay applied to fabric8's API mock server (CRUD mode) as to a cluster whose operators are installed (their
 * CRDs first), and the Kubernetes launcher of trainer-service and of eval-service, each configured from its
 * rendered ConfigMap as the service configures it, running one attempt there: every request it makes must be one
 * the Role bound to that service's account grants, in its namespace (the mock server enforces no RBAC, so the test
 * checks it).
 */
@EnableKubernetesMockClient(crud = true, https = false)
class MockClusterTest {

    static final List<String> OVERLAYS = Overlays.ALL;
    private static final String NS = Overlays.NAMESPACE;

    KubernetesMockServer server;
    KubernetesClient client;
    private final StrictParser parser = new StrictParser(Path.of("src/test/resources/crds"));
    private final Map<String, String> properties = new HashMap<>();

    /** A service's kubernetes settings, as its config mapping reads them (TrainerConfig, EvalConfig). */
    public interface ServiceKubernetes extends KubernetesSettings {
    }

    @BeforeEach
    void inCluster() {
        // what a pod's service account gives the client in a cluster: its namespace; and no kubeconfig
        setProperty("kubernetes.namespace", NS);
        setProperty("kubernetes.auth.tryKubeConfig", "false");
        setProperty("kubernetes.auth.tryServiceAccount", "false");
    }

    private void setProperty(String key, String value) {
        properties.put(key, System.getProperty(key));
        System.setProperty(key, value);
    }

    @AfterEach
    void restore() {
        properties.forEach((k, v) -> {
            if (v == null) {
                System.clearProperty(k);
            } else {
                System.setProperty(k, v);
            }
        });
    }

    /** Applies the overlay, CRDs first, and returns the objects as the API server stored them. */
    private List<Manifest> apply(String overlay) {
        for (CustomResourceDefinition crd : parser.crds()) {
            client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
        }
        List<Manifest> objects = Overlays.render(overlay);
        List<Manifest> sorted = new ArrayList<>(objects);
        sorted.sort((a, b) -> Boolean.compare(!a.kind().equals("Namespace"), !b.kind().equals("Namespace")));
        for (Manifest m : sorted) {
            StrictParser.CustomKind custom = parser.customKind(m);
            if (custom != null) {
                GenericKubernetesResource r = StrictParser.SERIALIZATION.convertValue(m.tree(),
                        GenericKubernetesResource.class);
                var resources = client.genericKubernetesResources(context(custom));
                assertNotNull((custom.namespaced() ? resources.inNamespace(m.namespace()) : resources).resource(r)
                        .create(), m.id());
            } else {
                HasMetadata typed = (HasMetadata) StrictParser.SERIALIZATION.unmarshal(
                        StrictParser.SERIALIZATION.asJson(m.tree()));
                assertNotNull(client.resource(typed).create(), m.id());
            }
        }
        for (Manifest m : objects) {
            StrictParser.CustomKind custom = parser.customKind(m);
            Object stored = custom == null ? client.resource((HasMetadata) StrictParser.SERIALIZATION.unmarshal(
                    StrictParser.SERIALIZATION.asJson(m.tree()))).get()
                    : (custom.namespaced() ? client.genericKubernetesResources(context(custom)).inNamespace(NS)
                    : client.genericKubernetesResources(context(custom))).withName(m.name()).get();
            assertNotNull(stored, m.id() + " was not stored");
        }
        return objects;
    }

    private static ResourceDefinitionContext context(StrictParser.CustomKind custom) {
        return new ResourceDefinitionContext.Builder().withGroup(custom.group()).withVersion(custom.version())
                .withKind(custom.kind()).withPlural(custom.plural()).withNamespaced(custom.namespaced()).build();
    }

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void theOverlayAppliesAndTheLaunchersOfTrainerAndEvalRunAJobWithinTheirRoles(String overlay) throws Exception {
        List<Manifest> objects = apply(overlay);
        assertEquals(objects.stream().filter(m -> m.kind().equals("Deployment")).count(),
                client.apps().deployments().inNamespace(NS).list().getItems().size());
        runsAJobWithinItsRole(objects, "trainer-service", "tuneforge.trainer.kubernetes", "train");
        runsAJobWithinItsRole(objects, "eval-service", "tuneforge.eval.kubernetes", "evaluate");
    }

    private void runsAJobWithinItsRole(List<Manifest> objects, String service, String prefix, String command)
            throws Exception {
        String env0 = ConfigKeys.env(prefix.substring(0, prefix.lastIndexOf('.'))) + "_";
        String jobId = "ftjob-" + command;

        // the Role bound to the account the service runs as, as the API server has them
        String account = (String) Overlays.find(objects, "Deployment", service).podSpec()
                .get("serviceAccountName");
        List<PolicyRule> rules = new ArrayList<>();
        for (RoleBinding b : client.rbac().roleBindings().inNamespace(NS).list().getItems()) {
            if (b.getSubjects().stream().anyMatch(s -> s.getKind().equals("ServiceAccount")
                    && s.getName().equals(account) && NS.equals(s.getNamespace()))) {
                assertEquals("Role", b.getRoleRef().getKind());
                Role role = client.rbac().roles().inNamespace(NS).withName(b.getRoleRef().getName()).get();
                assertNotNull(role, b.getRoleRef().getName());
                rules.addAll(role.getRules());
            }
        }
        assertTrue(!rules.isEmpty(), "no Role is bound to " + account);

        // the service's settings: its ConfigMap, with the API server's address in place of in-cluster config
        Map<String, String> env = new HashMap<>();
        ((Map<?, ?>) Overlays.find(objects, "ConfigMap", service).tree().get("data"))
                .forEach((k, v) -> env.put(k.toString(), v.toString()));
        assertEquals("kubernetes", env.get(env0 + "LAUNCHER"));
        env.put(env0 + "KUBERNETES_MASTER_URL", client.getMasterUrl().toString());
        SmallRyeConfig config = new SmallRyeConfigBuilder().withSources(new EnvConfigSource(env, 300))
                .withConverter(Duration.class, 200, MockClusterTest::duration)
                .withMapping(ServiceKubernetes.class, prefix).build();
        ServiceKubernetes settings = config.getConfigMapping(ServiceKubernetes.class, prefix);
        assertEquals(Duration.ofDays(1), settings.ttlAfterFinished());
        assertEquals(Duration.ofSeconds(300), settings.terminationGracePeriod());
        drain();

        try (KubernetesConnection connection = KubernetesConnection.open(settings, prefix,
                new VertxHttpClientFactory(), env.get("TUNEFORGE_S3_ENDPOINT"), env.get("TUNEFORGE_S3_BUCKET"))) {
            KubernetesLauncher launcher = connection.launcher();
            KubernetesAttempt attempt = new KubernetesAttempt(jobId, 1,
                    WorkerCommand.torch(settings.torchPython(), 1), command, "{\"base_model\":\"models/base\"}",
                    List.of(new KubernetesAttempt.Input("base-models/tiny-llama/", "models/base"),
                            new KubernetesAttempt.Input("projects/p1/datasets/d1/v1/train.jsonl", "data/train.jsonl")),
                    "projects/p1/jobs/" + jobId + "/attempt-1/checkpoints/", "projects/p1/jobs/" + jobId + "/attempt-1/output/",
                    settings.nodes());
            KubernetesWorker worker = launcher.launch(attempt);
            List<RecordedRequest> made = new ArrayList<>(drain());

            Job job = client.batch().v1().jobs().inNamespace(NS).withName(worker.jobName()).get();
            PodSpec pod = job.getSpec().getTemplate().getSpec();
            assertEquals(env.get(env0 + "KUBERNETES_IMAGE"), pod.getContainers().get(0).getImage());
            assertNotNull(client.serviceAccounts().inNamespace(NS).withName(pod.getServiceAccountName()).get(),
                    "the workers' account " + pod.getServiceAccountName() + " exists");
            assertEquals(Map.of("nvidia.com/gpu.present", "true"), pod.getNodeSelector());
            assertEquals("true", Overlays.find(objects, "RuntimeClass", "nvidia").at("scheduling", "nodeSelector",
                    "nvidia.com/gpu.present"));
            // below the model servers, never preempting them, on the GPU pool's runtime, restricted like every pod
            Manifest priority = Overlays.find(objects, "PriorityClass", pod.getPriorityClassName());
            assertEquals("Never", priority.tree().get("preemptionPolicy"), pod.getPriorityClassName());
            Overlays.find(objects, "RuntimeClass", pod.getRuntimeClassName());
            @SuppressWarnings("unchecked")
            Map<String, Object> created = Serialization.jsonMapper().convertValue(job, Map.class);
            RestrictedPods.check(service + "'s worker Job", new Manifest(created));

            // the Job controller and the kubelet: a pod that ran the worker to its end
            String podName = worker.jobName() + "-0-abcde";
            client.pods().inNamespace(NS).resource(new PodBuilder().withNewMetadata().withName(podName)
                    .withLabels(job.getSpec().getTemplate().getMetadata().getLabels()).endMetadata()
                    .withSpec(pod).build()).create();
            client.pods().inNamespace(NS).withName(podName).editStatus(p -> new PodBuilder(p).withStatus(
                    new PodStatusBuilder().withPhase("Succeeded").addNewContainerStatus().withName("worker")
                            .withNewState().withNewTerminated().withExitCode(0).withReason("Completed").endTerminated()
                            .endState().endContainerStatus().build()).build());
            client.batch().v1().jobs().inNamespace(NS).withName(worker.jobName()).editStatus(j -> new JobBuilder(j)
                    .withNewStatus().addNewCondition().withType("Complete").withStatus("True").endCondition()
                    .endStatus().build());
            WorkerEvent finished = new WorkerEvent.Finished(4, Map.of("adapter", "/work/out/adapter"), Map.of());
            server.expect().get().withPath("/api/v1/namespaces/" + NS + "/pods/" + podName
                            + "/log?pretty=false&container=worker&timestamps=true&follow=true")
                    .andReturn(200, "2026-01-01T10:00:00Z " + EventLines.write(finished) + "\n").once();
            drain(); // the kubelet's, not the service's

            List<WorkerEvent> events = new ArrayList<>();
            assertEquals(ExitCode.DONE, worker.pumpEvents(events::add).code());
            assertEquals(List.of(finished), events);
            assertTrue(launcher.find(jobId, 1).isPresent(), "a restarted " + service + " finds the Job");
            worker.terminate();
            made.addAll(drain());

            List<RoleRules.Request> requests = made.stream()
                    .map(r -> RoleRules.parse(r.getMethod(), r.getPath())).toList();
            assertTrue(requests.stream().anyMatch(r -> r.resource().equals("jobs") && r.verb().equals("create")),
                    requests.toString());
            assertTrue(requests.stream().anyMatch(r -> r.resource().equals("pods/log")), requests.toString());
            for (RoleRules.Request r : requests) {
                assertEquals(NS, r.namespace(), "outside the Role's namespace: " + r);
                assertTrue(RoleRules.grants(rules, r), account + "'s Role does not grant " + r);
            }
        }
    }

    /** Durations as Quarkus reads them: {@code 2s}, {@code 500ms}, {@code 1d}, or ISO-8601. */
    private static Duration duration(String value) {
        Matcher m = Pattern.compile("(\\d+)(ms|s|m|h|d)").matcher(value.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a duration: [" + value + "]");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    private List<RecordedRequest> drain() throws InterruptedException {
        List<RecordedRequest> requests = new ArrayList<>();
        RecordedRequest r;
        while ((r = server.takeRequest(300, TimeUnit.MILLISECONDS)) != null) {
            requests.add(r);
        }
        return requests;
    }
}
