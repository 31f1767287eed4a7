package dev.tuneforge.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A typo anywhere in a manifest fails the build: the strict parser itself, on objects made wrong on purpose. */
class StrictParserTest {

    private static StrictParser parser;

    @BeforeAll
    static void schemas() {
        parser = new StrictParser(Path.of("src/test/resources/crds"));
    }

    private static Manifest rendered(String kind, String name) {
        return Overlays.find(Overlays.render("prod"), kind, name);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Manifest m, String... path) {
        return (Map<String, Object>) m.at(path);
    }

    @Test
    void theRenderedObjectsUsedBelowAreValidAsTheyAre() {
        for (Manifest m : List.of(rendered("Deployment", "trainer-service"), rendered("Kafka", "tuneforge"),
                rendered("KafkaTopic", "tuneforge-training"), rendered("Cluster", "tuneforge-pg"),
                rendered("PrometheusRule", "tuneforge-platform"), rendered("NetworkPolicy", "kafka"))) {
            assertEquals(List.of(), parser.errors(m), m.id());
        }
    }

    @Test
    void aMisspelledFieldOfAKubernetesKindIsAnErrorNamingWhere() {
        Manifest deployment = rendered("Deployment", "trainer-service");
        map(deployment, "spec").put("replica", 3);
        Map<String, Object> container = Manifest.maps(deployment.podSpec(), "containers").get(0);
        container.put("imagePullPolicyy", "Always");
        assertEquals(List.of("Deployment/tuneforge/trainer-service: unknown field(s) [imagePullPolicyy] at "
                                + ".spec.template.spec.containers[0]",
                        "Deployment/tuneforge/trainer-service: unknown field(s) [replica] at .spec"),
                parser.errors(deployment).stream().sorted().toList());
    }

    @Test
    void aMisspelledFieldOfACustomResourceIsAnErrorToo() {
        Manifest kafka = rendered("Kafka", "tuneforge");
        map(kafka, "spec", "kafka").put("listners", List.of());
        List<String> errors = parser.errors(kafka);
        assertEquals(1, errors.size(), errors.toString());
        assertTrue(errors.get(0).contains("listners"), errors.toString());

        Manifest topic = rendered("KafkaTopic", "tuneforge-training");
        map(topic, "spec").put("partitions", "three");
        assertTrue(parser.errors(topic).stream().anyMatch(e -> e.contains("partitions")), parser.errors(topic).toString());

        Manifest pg = rendered("Cluster", "tuneforge-pg");
        map(pg, "spec").put("instance", 3);
        assertTrue(parser.errors(pg).stream().anyMatch(e -> e.contains("instance")), parser.errors(pg).toString());

        Manifest rule = rendered("PrometheusRule", "tuneforge-platform");
        Manifest.maps(rule.tree(), "spec", "groups").get(0).put("interval_", "1m");
        assertTrue(parser.errors(rule).stream().anyMatch(e -> e.contains("interval_")), parser.errors(rule).toString());
    }

    @Test
    void aKindNeitherKubernetesNorAVendoredCrdDefinesIsAnError() {
        Manifest kafka = rendered("Kafka", "tuneforge");
        kafka.tree().put("apiVersion", "kafka.strimzi.io/v1beta1");
        assertEquals(List.of("Kafka/tuneforge/tuneforge: kafka.strimzi.io/v1beta1 Kafka is neither a Kubernetes "
                + "kind fabric8's model knows nor a vendored CRD's"), parser.errors(kafka));
    }
}
