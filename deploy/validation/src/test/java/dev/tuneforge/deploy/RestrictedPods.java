package dev.tuneforge.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

/**
 * The rule every pod tuneforge runs keeps, whether the manifests declare it or a launcher creates it (a worker Job):
 * the Pod Security Standard "restricted" — a non-root user, a read-only root filesystem, no privilege escalation,
 * no capabilities, the runtime's default seccomp profile.
 */
final class RestrictedPods {

    private RestrictedPods() {
    }

    /** Fails naming {@code where} and the container that breaks the rule. */
    static void check(String where, Manifest workload) {
        Map<String, Object> pod = workload.podSpec();
        for (Map<String, Object> c : workload.allContainers()) {
            String at = where + " container " + c.get("name");
            Object nonRoot = Manifest.at(c, "securityContext", "runAsNonRoot");
            nonRoot = nonRoot != null ? nonRoot : Manifest.at(pod, "securityContext", "runAsNonRoot");
            assertEquals(true, nonRoot, at + ": runAsNonRoot");
            Object user = Manifest.at(c, "securityContext", "runAsUser");
            user = user != null ? user : Manifest.at(pod, "securityContext", "runAsUser");
            assertTrue(user instanceof Number u && u.longValue() > 0, at + ": runs as user " + user);
            assertEquals(true, Manifest.at(c, "securityContext", "readOnlyRootFilesystem"), at);
            assertEquals(false, Manifest.at(c, "securityContext", "allowPrivilegeEscalation"), at);
            assertEquals(List.of("ALL"), Manifest.at(c, "securityContext", "capabilities", "drop"), at);
            assertEquals("RuntimeDefault", Manifest.at(pod, "securityContext", "seccompProfile", "type"), at);
        }
    }
}
