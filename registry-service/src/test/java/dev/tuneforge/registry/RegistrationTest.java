package dev.tuneforge.registry;

import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.events.ModelRegistered;
import dev.tuneforge.platform.test.TopicClient;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;

@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "registry"))
class RegistrationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Test
    void evaluatedCandidatesBecomeNumberedVersionsPassedOrRejected() {
        String model = "bot-" + UUID.randomUUID();
        TopicClient topics = new TopicClient(bootstrap);

        topics.publish(new EvalPassed("prj_test", "ev_1", "job_a-" + model, model, Map.of("exact_match", 0.9),
                "exact_match >= 0.8", null), "eval-service");
        await().atMost(WAIT).until(() -> topics.events(ModelRegistered.class, model).size() == 1);
        topics.publish(new EvalFailed("prj_test", "ev_2", "job_b-" + model, model, Map.of("exact_match", 0.2),
                "exact_match >= 0.8", "exact_match 0.2 < 0.8", null), "eval-service");
        await().atMost(WAIT).until(() -> topics.events(ModelRegistered.class, model).size() == 2);

        List<ModelRegistered> registered = topics.events(ModelRegistered.class, model);
        assertEquals(1, registered.get(0).version());
        assertEquals("candidate", registered.get(0).status());
        assertEquals(2, registered.get(1).version());
        assertEquals("rejected", registered.get(1).status());
    }

    @Test
    void readyWhenBrokerDatabaseAndObjectStoreAre() {
        RestAssured.when().get("/q/health/ready").then().statusCode(200).body("status", is("UP"));
    }
}
