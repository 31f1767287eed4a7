package dev.tuneforge.gateway;

import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.platform.test.TopicClient;

import java.nio.charset.StandardCharsets;
import java.time.Duration;

import static dev.tuneforge.gateway.Gateway.as;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.is;

/** Test helpers: datasets uploaded through the API and made ready as dataset-service would. */
final class Datasets {

    static final Duration WAIT = Duration.ofSeconds(30);
    private static final String JSONL = "{\"prompt\":\"2+2?\",\"completion\":\"4\"}\n";

    private Datasets() {
    }

    static String upload(String key, String name) {
        return as(key).contentType("application/jsonl").body(JSONL.getBytes(StandardCharsets.UTF_8))
                .when().post("/api/v1/datasets?name=" + name).then().statusCode(202).extract().path("id");
    }

    /** A dataset whose version 1 is ready with {@code trainExamples} training examples. */
    static String ready(TopicClient topics, String project, String key, String name, long trainExamples) {
        return ready(topics, project, key, name, trainExamples, "completion");
    }

    /** A dataset of {@code format} (as dataset-service detected it) whose version 1 is ready. */
    static String ready(TopicClient topics, String project, String key, String name, long trainExamples,
                        String format) {
        String id = upload(key, name);
        await().atMost(WAIT).until(() -> topics.events(DatasetUploaded.class, id).size() == 1);
        topics.publish(new DatasetReady(project, id, 1, null, format, "c-" + id, "projects/" + project + "/t.jsonl",
                "s-" + id, trainExamples, null, null, 0, trainExamples, null, null, null), "dataset-service");
        await().atMost(WAIT).untilAsserted(() -> as(key).when().get("/api/v1/datasets/" + id)
                .then().statusCode(200).body("status", is("ready")));
        return id;
    }
}
