package dev.tuneforge.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tuneforge.events.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * Every overlay of deploy/k8s renders, parses strictly, and meets the platform's rules: what a cluster would
 * refuse, or what would run but wrongly, fails here instead.
 */
class RenderedManifestsTest {

    static final List<String> OVERLAYS = Overlays.ALL;
    private static StrictParser parser;

    @BeforeAll
    static void schemas() {
        parser = new StrictParser(Path.of("src/test/resources/crds"));
    }

    private static List<Manifest> workloads(List<Manifest> objects) {
        return objects.stream().filter(m -> m.podSpec() != null).toList();
    }

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void everyObjectParsesStrictlyAgainstTheKubernetesModelOrItsCustomResourceDefinition(String overlay) {
        List<Manifest> objects = Overlays.render(overlay);
        assertTrue(objects.size() > 50, overlay + " rendered only " + objects.size() + " objects");
        List<String> errors = new ArrayList<>();
        objects.forEach(m -> errors.addAll(parser.errors(m)));
        assertEquals(List.of(), errors);
        Set<String> ids = new TreeSet<>();
        objects.forEach(m -> assertTrue(ids.add(m.id()), overlay + ": " + m.id() + " twice"));
    }

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void everyContainerHasRequestsAndLimitsAndEveryServerHasProbes(String overlay) {
        for (Manifest w : workloads(Overlays.render(overlay))) {
            for (Map<String, Object> c : w.allContainers()) {
                String where = overlay + " " + w.id() + " container " + c.get("name");
                for (String bound : List.of("requests", "limits")) {
                    for (String resource : List.of("cpu", "memory")) {
                        assertNotNull(Manifest.at(c, "resources", bound, resource), where + ": no " + bound + "." + resource);
                    }
                }
            }
            if (w.kind().equals("Job")) {
                continue; // runs once: nothing to probe
            }
            for (Map<String, Object> c : Manifest.maps(w.podSpec(), "containers")) {
                String where = overlay + " " + w.id() + " container " + c.get("name");
                assertNotNull(c.get("readinessProbe"), where + ": no readiness probe");
                assertNotNull(c.get("livenessProbe"), where + ": no liveness probe");
            }
        }
    }

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void theServicesProbeQuarkusHealth(String overlay) {
        List<Manifest> objects = Overlays.render(overlay);
        for (String service : Overlays.SERVICES) {
            Map<String, Object> c = Manifest.maps(Overlays.find(objects, "Deployment", service).podSpec(),
                    "containers").get(0);
            assertEquals("/q/health/ready", Manifest.at(c, "readinessProbe", "httpGet", "path"), service);
            assertEquals("/q/health/live", Manifest.at(c, "livenessProbe", "httpGet", "path"), service);
        }
    }

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void everyContainerRunsAsNonRootOnAReadOnlyRootFilesystemWithoutPrivileges(String overlay) {
        for (Manifest w : workloads(Overlays.render(overlay))) {
            RestrictedPods.check(overlay + " " + w.id(), w);
        }
    }

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void everyImageIsPinnedToATagOrDigestOtherThanLatest(String overlay) {
        List<String> images = new ArrayList<>();
        List<Manifest> objects = Overlays.render(overlay);
        workloads(objects).forEach(w -> w.allContainers().forEach(c -> images.add((String) c.get("image"))));
        for (Manifest cm : Overlays.ofKind(objects, "ConfigMap")) {
            Map<?, ?> data = (Map<?, ?>) cm.tree().getOrDefault("data", Map.of());
            data.forEach((k, v) -> {
                if (k.toString().endsWith("_IMAGE")) {
                    images.add(v.toString());
                }
            });
        }
        assertFalse(images.isEmpty());
        for (String image : images) {
            String rest = image.substring(Kustomize.imageName(image).length());
            assertTrue(rest.startsWith("@sha256:") || rest.startsWith(":") && !rest.equals(":latest"),
                    overlay + ": image " + image + " has no pinned tag or digest");
        }
    }

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void everyConfigKeyADeploymentSetsIsOneItsServiceReads(String overlay) {
        List<Manifest> objects = Overlays.render(overlay);
        for (String service : Overlays.SERVICES) {
            Set<String> known = ConfigKeys.of(service);
            Manifest deployment = Overlays.find(objects, "Deployment", service);
            Set<String> set = new TreeSet<>();
            for (Map<String, Object> c : Manifest.maps(deployment.podSpec(), "containers")) {
                Manifest.maps(c, "env").forEach(e -> set.add((String) e.get("name")));
                for (Map<String, Object> from : Manifest.maps(c, "envFrom")) {
                    if (Manifest.at(from, "configMapRef", "name") instanceof String name) {
                        Map<?, ?> data = (Map<?, ?>) Overlays.find(objects, "ConfigMap", name).tree().get("data");
                        data.keySet().forEach(k -> set.add(k.toString()));
                    }
                }
            }
            Set<String> unknown = new TreeSet<>(set);
            unknown.removeAll(known);
            assertEquals(Set.of(), unknown, overlay + ": " + service + " sets keys it does not read");
        }
    }

    @Test
    void aKeyNoServiceReadsIsCaught() {
        assertTrue(ConfigKeys.of("trainer-service").contains("TUNEFORGE_TRAINER_KUBERNETES_NODE_SELECTOR"));
        assertTrue(ConfigKeys.of("trainer-service").contains("QUARKUS_DATASOURCE_JDBC_URL"));
        assertTrue(ConfigKeys.of("gateway").contains("TUNEFORGE_SERVING_WORK_DIR"));
        assertFalse(ConfigKeys.of("trainer-service").contains("TUNEFORGE_TRAINER_KUBERNETES_NODESELECTOR"));
        assertFalse(ConfigKeys.of("dataset-service").contains("TUNEFORGE_TRAINER_SLOTS"), "another service's key");
    }

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void everyTopicAndItsDeadLetterTopicIsAKafkaTopicKeptForever(String overlay) {
        List<Manifest> objects = Overlays.render(overlay);
        Manifest kafka = Overlays.ofKind(objects, "Kafka").get(0);
        assertEquals(false, Manifest.at(kafka.tree(), "spec", "kafka", "config", "auto.create.topics.enable"));
        Map<String, Manifest> topics = new java.util.TreeMap<>();
        for (Manifest t : Overlays.ofKind(objects, "KafkaTopic")) {
            assertEquals(kafka.name(), t.labels().get("strimzi.io/cluster"), t.id());
            assertEquals(-1, Manifest.at(t.tree(), "spec", "config", "retention.ms"), t.id() + " must be kept forever");
            topics.put((String) Manifest.at(t.tree(), "spec", "topicName"), t);
        }
        assertEquals(new TreeSet<>(Topics.all()), topics.keySet());
        for (String topic : Topics.MAIN) {
            assertEquals(Topics.PARTITIONS, Manifest.at(topics.get(topic).tree(), "spec", "partitions"), topic);
            assertEquals(Topics.DLQ_PARTITIONS, Manifest.at(topics.get(Topics.dlq(topic)).tree(), "spec", "partitions"));
        }
    }

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void everyServiceHasAServiceADisruptionBudgetAnAutoscalerAndItsOwnDatabase(String overlay) {
        List<Manifest> objects = Overlays.render(overlay);
        Manifest pg = Overlays.ofKind(objects, "Cluster").get(0);
        Set<Object> roles = new TreeSet<>();
        Manifest.maps(pg.tree(), "spec", "managed", "roles").forEach(r -> roles.add(r.get("name")));
        for (String service : Overlays.SERVICES) {
            Manifest deployment = Overlays.find(objects, "Deployment", service);
            Map<?, ?> podLabels = (Map<?, ?>) Manifest.at(deployment.tree(), "spec", "template", "metadata", "labels");
            Overlays.find(objects, "Service", service);
            Map<?, ?> pdb = (Map<?, ?>) Manifest.at(Overlays.find(objects, "PodDisruptionBudget", service).tree(),
                    "spec", "selector", "matchLabels");
            assertTrue(podLabels.entrySet().containsAll(pdb.entrySet()), service + ": the PDB selects other pods");
            assertEquals(service, Manifest.at(Overlays.find(objects, "HorizontalPodAutoscaler", service).tree(),
                    "spec", "scaleTargetRef", "name"));
            Overlays.find(objects, "ServiceAccount", (String) deployment.podSpec().get("serviceAccountName"));
            String url = (String) ((Map<?, ?>) Overlays.find(objects, "ConfigMap", service).tree().get("data"))
                    .get("QUARKUS_DATASOURCE_JDBC_URL");
            String database = url.substring(url.lastIndexOf('/') + 1);
            assertTrue(roles.contains(database), service + ": no role " + database);
            assertTrue(Overlays.ofKind(objects, "Database").stream().anyMatch(d ->
                    database.equals(Manifest.at(d.tree(), "spec", "name"))
                            && database.equals(Manifest.at(d.tree(), "spec", "owner"))), service + ": no database");
        }
    }

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void onlyTheGatewayIsExposedAndOnlyOverTls(String overlay) {
        List<Manifest> ingresses = Overlays.ofKind(Overlays.render(overlay), "Ingress");
        assertEquals(1, ingresses.size());
        Manifest ingress = ingresses.get(0);
        assertEquals("gateway", Manifest.at(Manifest.maps(Manifest.maps(ingress.tree(), "spec", "rules").get(0),
                "http", "paths").get(0), "backend", "service", "name"));
        Map<String, Object> tls = Manifest.maps(ingress.tree(), "spec", "tls").get(0);
        assertEquals(Manifest.at(Manifest.maps(ingress.tree(), "spec", "rules").get(0), "host"),
                ((List<?>) tls.get("hosts")).get(0));
        assertNotNull(tls.get("secretName"));
    }

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void noSecretIsCommittedAndEverySecretReferencedIsOneTheDeployGuideTellsHowToCreate(String overlay)
            throws IOException {
        List<Manifest> objects = Overlays.render(overlay);
        assertEquals(List.of(), Overlays.ofKind(objects, "Secret"));
        String guide = Files.readString(Overlays.REPO.resolve("docs/DEPLOY.md"));
        Set<String> secrets = new TreeSet<>();
        for (Manifest w : workloads(objects)) {
            for (Map<String, Object> c : w.allContainers()) {
                Manifest.maps(c, "env").forEach(e -> {
                    if (Manifest.at(e, "valueFrom", "secretKeyRef", "name") instanceof String s) {
                        secrets.add(s);
                    }
                });
                Manifest.maps(c, "envFrom").forEach(e -> {
                    if (Manifest.at(e, "secretRef", "name") instanceof String s) {
                        secrets.add(s);
                    }
                });
            }
        }
        Manifest.maps(Overlays.ofKind(objects, "Cluster").get(0).tree(), "spec", "managed", "roles")
                .forEach(r -> secrets.add((String) Manifest.at(r, "passwordSecret", "name")));
        Overlays.ofKind(objects, "Ingress").forEach(i -> Manifest.maps(i.tree(), "spec", "tls")
                .forEach(t -> secrets.add((String) t.get("secretName"))));
        for (Manifest cm : Overlays.ofKind(objects, "ConfigMap")) {
            ((Map<?, ?>) cm.tree().getOrDefault("data", Map.of())).forEach((k, v) -> {
                if (k.toString().endsWith("_S3_CREDENTIALS_SECRET")) {
                    secrets.add(v.toString());
                }
            });
        }
        assertTrue(secrets.size() >= 8, secrets.toString());
        for (String secret : secrets) {
            assertTrue(guide.contains(secret), "docs/DEPLOY.md does not say how to create the Secret " + secret);
        }
    }

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void modelServersRunOnTheGpuPoolAboveTrainingWhichNeverPreempts(String overlay) {
        List<Manifest> objects = Overlays.render(overlay);
        Map<String, Integer> priority = new java.util.HashMap<>();
        Overlays.ofKind(objects, "PriorityClass").forEach(p -> priority.put(p.name(), (Integer) p.tree().get("value")));
        Manifest training = Overlays.find(objects, "PriorityClass", "tuneforge-training");
        assertEquals("Never", training.tree().get("preemptionPolicy"));
        Manifest runtime = Overlays.find(objects, "RuntimeClass", "nvidia");
        assertEquals(Map.of("nvidia.com/gpu.present", "true"), Manifest.at(runtime.tree(), "scheduling", "nodeSelector"));
        List<Manifest> servers = workloads(objects).stream()
                .filter(w -> "serving".equals(w.labels().get("app.kubernetes.io/component"))).toList();
        assertFalse(servers.isEmpty());
        for (Manifest s : servers) {
            Map<String, Object> pod = s.podSpec();
            assertEquals("nvidia", pod.get("runtimeClassName"), s.id());
            assertEquals(Map.of("nvidia.com/gpu.present", "true"), pod.get("nodeSelector"), s.id());
            assertTrue(Manifest.maps(pod, "tolerations").stream().anyMatch(t -> "nvidia.com/gpu".equals(t.get("key"))));
            assertTrue(priority.get((String) pod.get("priorityClassName")) > priority.get("tuneforge-training"));
            Map<String, Object> serve = Manifest.maps(pod, "containers").get(0);
            assertEquals(List.of("python", "-m", "tuneforge_worker", "serve"),
                    ((List<?>) serve.get("command")).subList(0, 4), s.id());
            assertNotNull(Manifest.at(serve, "resources", "limits", "nvidia.com/gpu"), s.id());
        }
        for (String service : List.of("trainer-service", "eval-service")) {
            Map<?, ?> config = (Map<?, ?>) Overlays.find(objects, "ConfigMap", service).tree().get("data");
            String prefix = service.equals("trainer-service") ? "TUNEFORGE_TRAINER_KUBERNETES_" : "TUNEFORGE_EVAL_KUBERNETES_";
            assertEquals("nvidia.com/gpu.present=true", config.get(prefix + "NODE_SELECTOR"), service);
            assertEquals("nvidia.com/gpu:NoSchedule", config.get(prefix + "TOLERATIONS"), service);
            Overlays.find(objects, "ServiceAccount", (String) config.get(prefix + "SERVICE_ACCOUNT"));
        }
        for (String service : Overlays.SERVICES) {
            Map<String, Object> pod = Overlays.find(objects, "Deployment", service).podSpec();
            assertTrue(pod.get("tolerations") == null && pod.get("runtimeClassName") == null,
                    service + " must stay off the GPU pool");
        }
    }

    /** kube-state-metrics' job and pod metrics the rules and dashboards use (its docs, metrics/workload/job.md, pod.md). */
    private static final Set<String> KUBE_STATE_METRICS = Set.of("kube_job_info", "kube_job_status_active",
            "kube_job_failed", "kube_job_complete", "kube_pod_status_phase", "kube_pod_container_resource_requests");

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void everyMetricTheAlertsAndDashboardsNameIsOneThatIsExported(String overlay) throws IOException {
        Set<String> exported = new TreeSet<>(KUBE_STATE_METRICS);
        java.util.regex.Pattern meter = java.util.regex.Pattern.compile("\"(tuneforge(?:\\.[a-z]+)+)\"");
        // Any module's main sources: service-kit's meters (outbox, inbox) and a service's own (eval-service's drift gauges).
        List<Path> sources;
        try (var modules = Files.list(Overlays.REPO)) {
            sources = modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).toList();
        }
        for (Path source : sources) {
            try (var files = Files.walk(source)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    String java = Files.readString(f);
                    if (java.contains("io.micrometer")) {
                        var m = meter.matcher(java);
                        while (m.find()) {
                            String name = m.group(1).replace('.', '_');
                            exported.add(name); // a gauge
                            exported.add(name + "_total"); // a counter
                        }
                    }
                }
            }
        }
        List<Manifest> objects = Overlays.render(overlay);
        List<String> expressions = new ArrayList<>();
        for (Manifest rule : Overlays.ofKind(objects, "PrometheusRule")) {
            for (Map<String, Object> group : Manifest.maps(rule.tree(), "spec", "groups")) {
                Manifest.maps(group, "rules").forEach(r -> expressions.add(r.get("expr").toString()));
            }
        }
        Map<?, ?> dashboards = (Map<?, ?>) Overlays.find(objects, "ConfigMap", "tuneforge-dashboards").tree().get("data");
        assertEquals(Set.of("tuneforge-jobs.json", "tuneforge-pipeline.json", "tuneforge-drift.json"), dashboards.keySet());
        for (Object json : dashboards.values()) {
            var dashboard = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json.toString());
            assertFalse(dashboard.path("uid").asText().isEmpty());
            dashboard.path("panels").forEach(p -> p.path("targets").forEach(t -> expressions.add(t.path("expr").asText())));
        }
        assertTrue(expressions.size() > 10, expressions.toString());
        java.util.regex.Pattern metric = java.util.regex.Pattern.compile("\\b(tuneforge_[a-z_]+|kube_[a-z_]+)\\b");
        for (String expr : expressions) {
            var m = metric.matcher(expr);
            assertTrue(m.find(), "names no metric: " + expr);
            do {
                assertTrue(exported.contains(m.group(1)), m.group(1) + " is exported by nothing: " + expr);
            } while (m.find());
        }
    }

    @Test
    void theTorchWorkerImageRunsAsTheModelServersUserAndBuildsOnlyFromABaseNamedByDigest() throws Exception {
        Path dir = Overlays.REPO.resolve("deploy/images/worker-torch");
        List<String> dockerfile = Files.readAllLines(dir.resolve("Dockerfile"));
        assertTrue(dockerfile.contains("FROM ${CUDA_BASE}"), "the base comes from CUDA_BASE");
        assertTrue(dockerfile.contains("ENTRYPOINT [\"python\", \"-m\", \"tuneforge_worker\"]"));
        Manifest server = Overlays.find(Overlays.render("prod"), "Deployment", "serve-tiny-llama");
        Object user = Manifest.at(server.podSpec(), "securityContext", "runAsUser");
        assertTrue(dockerfile.contains("USER " + user + ":" + user), "the image's user is the servers' " + user);
        assertTrue(dockerfile.stream().anyMatch(l -> l.contains("org.opencontainers.image.title")));

        ProcessBuilder tagged = new ProcessBuilder("bash", dir.resolve("build.sh").toString(), "registry.example/w:1")
                .redirectErrorStream(true);
        tagged.environment().put("CUDA_BASE", "nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04");
        tagged.environment().put("TORCH_INDEX", "https://download.pytorch.org/whl/cu128");
        Process refused = tagged.start();
        String output = new String(refused.getInputStream().readAllBytes());
        assertEquals(2, refused.waitFor(), output);
        assertTrue(output.contains("must name its image by digest"), output);
    }

    @Test
    void prodIsHighlyAvailableAndDevIsOneOfEach() {
        List<Manifest> prod = Overlays.render("prod");
        List<Manifest> dev = Overlays.render("dev");
        assertEquals(List.of(3, 3), replicasByRole(prod));
        assertEquals(List.of(1, 1), replicasByRole(dev));
        assertEquals(3, Manifest.at(Overlays.ofKind(prod, "Kafka").get(0).tree(), "spec", "kafka", "config",
                "default.replication.factor"));
        assertEquals(2, Manifest.at(Overlays.ofKind(prod, "Kafka").get(0).tree(), "spec", "kafka", "config",
                "min.insync.replicas"));
        assertEquals(3, Manifest.at(Overlays.ofKind(prod, "Cluster").get(0).tree(), "spec", "instances"));
        assertEquals(1, Manifest.at(Overlays.ofKind(dev, "Cluster").get(0).tree(), "spec", "instances"));
        assertEquals(4, Manifest.at(Overlays.find(prod, "StatefulSet", "minio").tree(), "spec", "replicas"));
        for (String service : Overlays.SERVICES) {
            assertEquals(2, Manifest.at(Overlays.find(prod, "Deployment", service).tree(), "spec", "replicas"));
            assertEquals(1, Manifest.at(Overlays.find(dev, "Deployment", service).tree(), "spec", "replicas"));
            assertEquals(1, Manifest.at(Overlays.find(dev, "HorizontalPodAutoscaler", service).tree(), "spec",
                    "minReplicas"));
        }
    }

    /** Kafka nodes that are controllers, then those that are brokers. */
    private static List<Integer> replicasByRole(List<Manifest> objects) {
        int controllers = 0;
        int brokers = 0;
        for (Manifest pool : Overlays.ofKind(objects, "KafkaNodePool")) {
            List<?> roles = (List<?>) Manifest.at(pool.tree(), "spec", "roles");
            int replicas = (Integer) Manifest.at(pool.tree(), "spec", "replicas");
            controllers += roles.contains("controller") ? replicas : 0;
            brokers += roles.contains("broker") ? replicas : 0;
        }
        return List.of(controllers, brokers);
    }
}
