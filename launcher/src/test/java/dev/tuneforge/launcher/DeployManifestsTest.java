package dev.tuneforge.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * deploy/k8s/trainer-service and eval-service: the manifests parse, carry the labels, and each Role grants what the
 * launcher calls for that service.
 */
class DeployManifestsTest {

    private static final Path DIR = Path.of("../deploy/k8s");
    /** (api group, resource, verb) of every request KubernetesLauncher and KubernetesWorker make for one node. */
    private static final List<String> SINGLE_NODE_CALLS = List.of("batch/jobs/create", "batch/jobs/get",
            "batch/jobs/list", "batch/jobs/delete", "/pods/get", "/pods/list", "/pods/watch", "/pods/deletecollection",
            "/pods/log/get");

    private static List<HasMetadata> load(String service, String file) throws Exception {
        try (InputStream in = Files.newInputStream(DIR.resolve(service).resolve(file))) {
            Object parsed = Serialization.unmarshal(in);
            return parsed instanceof KubernetesList list ? list.getItems()
                    : parsed instanceof List<?> l ? l.stream().map(HasMetadata.class::cast).toList()
                    : List.of((HasMetadata) parsed);
        }
    }

    @ParameterizedTest
    @CsvSource({"trainer-service, true", "eval-service, false"})
    void theRoleGrantsEveryCallOfTheLauncher(String service, boolean multiNode) throws Exception {
        List<HasMetadata> rbac = load(service, "rbac.yaml");
        Role role = rbac.stream().filter(Role.class::isInstance).map(Role.class::cast).findFirst().orElseThrow();
        List<String> calls = new java.util.ArrayList<>(SINGLE_NODE_CALLS);
        if (multiNode) {
            calls.addAll(List.of("/services/create", "/services/get")); // the headless Service of a torchrun Job
        }
        for (String call : calls) {
            int verbAt = call.lastIndexOf('/');
            int groupAt = call.indexOf('/');
            String group = call.substring(0, groupAt);
            String resource = call.substring(groupAt + 1, verbAt);
            String verb = call.substring(verbAt + 1);
            assertTrue(role.getRules().stream().anyMatch(r -> grants(r, group, resource, verb)), service + ": " + call);
        }
        for (HasMetadata m : rbac) {
            assertEquals("tuneforge", m.getMetadata().getLabels().get("app.kubernetes.io/part-of"));
            assertEquals(service, m.getMetadata().getLabels().get("app.kubernetes.io/name"));
        }
    }

    @ParameterizedTest
    @CsvSource({"trainer-service, tuneforge-trainer", "eval-service, tuneforge-eval"})
    void theDeploymentRunsAsTheServiceAccountTheRoleIsBoundTo(String service, String account) throws Exception {
        HasMetadata deployment = load(service, "deployment.yaml").get(0);
        assertEquals("Deployment", deployment.getKind());
        String yaml = Files.readString(DIR.resolve(service).resolve("deployment.yaml"));
        assertTrue(yaml.contains("serviceAccountName: " + account), service);
        assertEquals("tuneforge", deployment.getMetadata().getLabels().get("app.kubernetes.io/part-of"));
        String rbac = Files.readString(DIR.resolve(service).resolve("rbac.yaml"));
        assertTrue(rbac.contains("name: " + account), service);
    }

    private static boolean grants(PolicyRule rule, String group, String resource, String verb) {
        return rule.getApiGroups().contains(group) && rule.getResources().contains(resource)
                && rule.getVerbs().contains(verb);
    }
}
