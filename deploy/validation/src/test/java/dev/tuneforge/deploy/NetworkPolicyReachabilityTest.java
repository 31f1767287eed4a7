package dev.tuneforge.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tuneforge.deploy.Reachability.Endpoint;
import dev.tuneforge.launcher.KubernetesManifests;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;

/**
 * The NetworkPolicies of each overlay, computed as a reachability matrix over every pod of the platform (the
 * rendered workloads, the pods the operators and the launcher create, with the labels they give them) and the
 * endpoints outside the namespace, equal the flows docs/DEPLOY.md lists: nothing more is open, nothing needed is
 * closed.
 */
class NetworkPolicyReachabilityTest {

    static final List<String> OVERLAYS = Overlays.ALL;
    private static final String NS = Overlays.NAMESPACE;

    /** Pods the manifests do not spell out: Strimzi's, CloudNativePG's (their documented labels), the launcher's. */
    private static List<Endpoint> managedPods() {
        return List.of(
                new Endpoint("kafka", NS, Map.of("strimzi.io/cluster", "tuneforge", "strimzi.io/kind", "Kafka",
                        "strimzi.io/name", "tuneforge-kafka", "strimzi.io/pool-name", "brokers"), false,
                        List.of("9090/TCP", "9091/TCP", "9092/TCP")),
                new Endpoint("kafka-entity-operator", NS, Map.of("strimzi.io/cluster", "tuneforge",
                        "strimzi.io/kind", "Kafka", "strimzi.io/name", "tuneforge-entity-operator"), false, List.of()),
                new Endpoint("postgres", NS, Map.of("cnpg.io/cluster", "tuneforge-pg", "cnpg.io/instanceRole", "primary"),
                        false, List.of("5432/TCP", "8000/TCP", "9187/TCP")),
                // a worker pod as KubernetesLauncher labels it; 40000: one of the ports NCCL picks
                new Endpoint("worker", NS, KubernetesManifests.labels("ftjob-1", 1), false,
                        List.of("29500/TCP", "40000/TCP")));
    }

    private static List<Endpoint> outsiders() {
        return List.of(
                new Endpoint("ingress-controller", "ingress-nginx", Map.of("app.kubernetes.io/name", "ingress-nginx"),
                        false, List.of("443/TCP")),
                new Endpoint("prometheus", "monitoring", Map.of("app.kubernetes.io/name", "prometheus"), false,
                        List.of("9090/TCP")),
                new Endpoint("kube-dns", "kube-system", Map.of("k8s-app", "kube-dns"), false,
                        List.of("53/UDP", "53/TCP")),
                new Endpoint("strimzi-operator", "strimzi", Map.of("name", "strimzi-cluster-operator"), false,
                        List.of()),
                new Endpoint("cnpg-operator", "cnpg-system", Map.of("app.kubernetes.io/name", "cloudnative-pg"), false,
                        List.of()),
                new Endpoint("other-namespace", "default", Map.of("app", "anything"), false, List.of("8080/TCP")),
                new Endpoint("api-server", null, Map.of(), true, List.of("443/TCP", "6443/TCP")),
                new Endpoint("internet", null, Map.of(), true, List.of("80/TCP")));
    }

    private static List<Endpoint> endpoints(List<Manifest> objects) {
        List<Endpoint> all = new ArrayList<>();
        for (Manifest w : objects) {
            if (w.podSpec() == null) {
                continue;
            }
            List<String> ports = new ArrayList<>();
            for (Map<String, Object> c : Manifest.maps(w.podSpec(), "containers")) {
                Manifest.maps(c, "ports").forEach(p -> ports.add(p.get("containerPort") + "/"
                        + (p.get("protocol") == null ? "TCP" : p.get("protocol"))));
            }
            @SuppressWarnings("unchecked")
            Map<String, String> labels = (Map<String, String>) w.at("spec", "template", "metadata", "labels");
            all.add(new Endpoint(w.name(), NS, labels, false, ports));
        }
        all.addAll(managedPods());
        all.addAll(outsiders());
        return all;
    }

    /** The allowed flows (docs/DEPLOY.md, network/policies.yaml), and DNS for every pod of the namespace. */
    private static Set<String> allowed(List<Endpoint> endpoints) {
        Set<String> flows = new TreeSet<>();
        for (Endpoint e : endpoints) {
            if (NS.equals(e.namespace())) {
                flows.add(e.name() + " -> kube-dns:53/UDP");
                flows.add(e.name() + " -> kube-dns:53/TCP");
            }
        }
        flows.add("ingress-controller -> gateway:8080/TCP");
        List<String> services = Overlays.SERVICES;
        List<String> ports = List.of("8080/TCP", "8081/TCP", "8082/TCP", "8083/TCP", "8084/TCP");
        for (int i = 0; i < services.size(); i++) {
            String s = services.get(i);
            flows.add("prometheus -> " + s + ":" + ports.get(i));
            flows.add(s + " -> kafka:9092/TCP");
            flows.add(s + " -> postgres:5432/TCP");
            flows.add(s + " -> minio:9000/TCP");
        }
        for (String launcher : List.of("trainer-service", "eval-service", "kafka-entity-operator", "postgres")) {
            flows.add(launcher + " -> api-server:443/TCP");
            flows.add(launcher + " -> api-server:6443/TCP");
        }
        flows.add("gateway -> serve-tiny-llama:8000/TCP");
        for (String s3Client : List.of("serve-tiny-llama", "worker", "minio-setup", "minio")) {
            flows.add(s3Client + " -> minio:9000/TCP");
        }
        flows.add("worker -> worker:29500/TCP");
        flows.add("worker -> worker:40000/TCP");
        for (String kafkaPeer : List.of("kafka", "strimzi-operator")) {
            flows.add(kafkaPeer + " -> kafka:9090/TCP");
            flows.add(kafkaPeer + " -> kafka:9091/TCP");
        }
        flows.add("kafka-entity-operator -> kafka:9091/TCP");
        flows.add("postgres -> postgres:5432/TCP");
        flows.add("cnpg-operator -> postgres:8000/TCP");
        return flows;
    }

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void theNetworkPoliciesAllowExactlyTheListedFlows(String overlay) {
        List<Manifest> objects = Overlays.render(overlay);
        List<Endpoint> endpoints = endpoints(objects);
        Set<String> actual = new Reachability(NS, Overlays.ofKind(objects, "NetworkPolicy")).flows(endpoints);
        Set<String> expected = allowed(endpoints);
        Set<String> unexpected = new TreeSet<>(actual);
        unexpected.removeAll(expected);
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(actual);
        assertEquals("", (unexpected.isEmpty() ? "" : "open but not allowed: " + unexpected)
                + (missing.isEmpty() ? "" : " closed but needed: " + missing), overlay);
    }

    @ParameterizedTest
    @FieldSource("OVERLAYS")
    void withoutThePoliciesEverythingWouldBeOpen(String overlay) {
        List<Endpoint> endpoints = endpoints(Overlays.render(overlay));
        Set<String> open = new Reachability(NS, List.of()).flows(endpoints);
        // the matrix is not trivially equal: it is the policies that close it
        assertEquals(true, open.contains("other-namespace -> minio:9000/TCP"));
        assertEquals(true, open.contains("worker -> kafka:9092/TCP"));
        assertEquals(true, open.size() > allowed(endpoints).size() * 3);
    }
}
