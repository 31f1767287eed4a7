package dev.tuneforge.eval;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.platform.test.TopicClient;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;

/**
 * What a user sees of an evaluation a test ran by hand ({@code EvalRunner.run}): its one {@code EvalPassed} or
 * {@code EvalFailed} on the topic, and the report in S3 the event names.
 */
final class RunOutcomes {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private final TopicClient topics;
    private final ObjectStore store;

    RunOutcomes(TopicClient topics, ObjectStore store) {
        this.topics = topics;
        this.store = store;
    }

    /** The job's outcome, of {@code type}; fails if it has the other or more than one. */
    <T> T outcome(String job, Class<T> type) {
        await().atMost(WAIT).until(() -> !topics.events(EvalFailed.class, job).isEmpty()
                || !topics.events(EvalPassed.class, job).isEmpty());
        List<?> events = type == EvalFailed.class ? topics.events(EvalFailed.class, job)
                : topics.events(EvalPassed.class, job);
        assertEquals(1, events.size(), () -> job + ": " + topics.events(EvalFailed.class, job)
                + topics.events(EvalPassed.class, job));
        return type.cast(events.getFirst());
    }

    JsonNode report(String key) throws Exception {
        try (InputStream in = store.get(key)) {
            return EventCodec.mapper().readTree(in);
        }
    }
}
