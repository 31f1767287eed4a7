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
import org.junit.jupiter.api.Test;

/** deploy/k8s/trainer-service: the manifests parse, carry the labels, and the Role grants what the launcher calls. */
class DeployManifestsTest {

    private static final Path DIR = Path.of("../deploy/k8s/trainer-service");

    private static List<HasMetadata> load(String file) throws Exception {
        try (InputStream in = Files.newInputStream(DIR.resolve(file))) {
            Object parsed = Serialization.unmarshal(in);
            return parsed instanceof KubernetesList list ? list.getItems()
                    : parsed instanceof List<?> l ? l.stream().map(HasMetadata.class::cast).toList()
                    : List.of((HasMetadata) parsed);
        }
    }

    @Test
    void theRoleGrantsEveryCallOfTheLauncher() throws Exception {
        List<HasMetadata> rbac = load("rbac.yaml");
        Role role = rbac.stream().filter(Role.class::isInstance).map(Role.class::cast).findFirst().orElseThrow();
        // (api group, resource, verb) of every request KubernetesLauncher and KubernetesWorker make
        List<String> calls = List.of("batch/jobs/create", "batch/jobs/get", "batch/jobs/list", "batch/jobs/delete",
                "/pods/get", "/pods/list", "/pods/watch", "/pods/deletecollection", "/pods/log/get",
                "/services/create", "/services/get");
        for (String call : calls) {
            int verbAt = call.lastIndexOf('/');
            int groupAt = call.indexOf('/');
            String group = call.substring(0, groupAt);
            String resource = call.substring(groupAt + 1, verbAt);
            String verb = call.substring(verbAt + 1);
            assertTrue(role.getRules().stream().anyMatch(r -> grants(r, group, resource, verb)), call);
        }
        for (HasMetadata m : rbac) {
            assertEquals("tuneforge", m.getMetadata().getLabels().get("app.kubernetes.io/part-of"));
            assertTrue(m.getMetadata().getLabels().containsKey("app.kubernetes.io/name"));
        }
    }

    @Test
    void theDeploymentRunsAsTheServiceAccountTheRoleIsBoundTo() throws Exception {
        HasMetadata deployment = load("deployment.yaml").get(0);
        assertEquals("Deployment", deployment.getKind());
        String yaml = Files.readString(DIR.resolve("deployment.yaml"));
        assertTrue(yaml.contains("serviceAccountName: tuneforge-trainer"));
        assertEquals("tuneforge", deployment.getMetadata().getLabels().get("app.kubernetes.io/part-of"));
    }

    private static boolean grants(PolicyRule rule, String group, String resource, String verb) {
        return rule.getApiGroups().contains(group) && rule.getResources().contains(resource)
                && rule.getVerbs().contains(verb);
    }
}
