package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.drift.HashedNgrams;
import dev.tuneforge.drift.SparseEmbeddings;
import dev.tuneforge.gateway.config.ObservationsConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The intake's checks and the JSONL line, without the stack (not a @QuarkusTest: pure functions of a body; the
 * endpoint itself is ObservationsApiTest's). Small limits, so that each bound is reached with a small body.
 */
class ObservationBatchReaderTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-12-06T12:00:00Z");
    private static final ObservationBatchReader READER = new ObservationBatchReader(new ObservationsConfig() {
        public int maxBatch() {
            return 3;
        }

        public int maxMessages() {
            return 2;
        }

        public int maxTextChars() {
            return 10;
        }

        public Duration maxClockSkew() {
            return Duration.ofMinutes(5);
        }

        public int flushCount() {
            return 1;
        }

        public Duration flushInterval() {
            return Duration.ofSeconds(1);
        }

        public int maxBuffered() {
            return 1;
        }
    });

    @Test
    void aValidObservationIsReadWithItsDefaults() throws Exception {
        ObservationBatchReader.Result result = read("""
                {"observations": [{"id": "x", "version": 2, "messages": [{"role": "user", "content": "hi"}],
                  "completion": "hello"}]}""");
        assertEquals(List.of(), result.errors());
        Observation o = result.observations().get(0);
        assertEquals(NOW, o.time());
        assertEquals(2, o.version());
        assertEquals("m", o.model());
        assertEquals(Observation.Source.EXTERNAL, o.source());
        assertNull(o.latencyMs());
    }

    @Test
    void eachBoundIsNamedWithItsPath() throws Exception {
        ObservationBatchReader.Result result = read("""
                {"observations": [
                  {"id": "a", "version": 1, "messages": [{"role": "user", "content": "01234567890"}],
                   "completion": "ok", "time": "2026-12-06T12:04:59Z", "latency_ms": -1},
                  {"id": "b", "version": 1.5, "messages": [{"role": "user", "content": "x"},
                   {"role": "user", "content": "y"}, {"role": "user", "content": "z"}],
                   "completion": "ok", "time": "yesterday", "prompt_tokens": "7"},
                  {"id": "", "version": 3, "messages": [["user", "x"]], "completion": "01234567890",
                   "time": "2026-12-06T12:05:01Z"}],
                 "extra": true}""", version -> version == 1);
        assertTrue(result.observations().isEmpty(), "nothing of an invalid batch");
        assertEquals(List.of(
                "extra: unknown field; the body is {\"observations\": [...]}",
                "observations[0].messages[0].content: at most 10 characters, got 11",
                "observations[0].latency_ms: must be an integer >= 0, was -1",
                "observations[1].version: must be a version number (an integer >= 1), was 1.5",
                "observations[1].messages: at most 2 messages, got 3",
                "observations[1].time: must be an ISO-8601 time with an offset, e.g. 2026-01-31T12:00:00Z; was"
                        + " 'yesterday'",
                "observations[1].prompt_tokens: must be an integer >= 0, was \"7\"",
                "observations[2].id: must not be empty",
                "observations[2].version: model 'm' has no version 3",
                "observations[2].messages[0]: must be an object {\"role\", \"content\"}",
                "observations[2].completion: at most 10 characters, got 11",
                "observations[2].time: 2026-12-06T12:05:01Z is in the future (more than 300 s after the gateway's"
                        + " clock, 2026-12-06T12:00:00Z)"), result.errors());
    }

    @Test
    void aBatchOverTheLimitOrNotAnObjectIsRefusedWhole() throws Exception {
        String one = "{\"id\": \"i\", \"version\": 1, \"messages\": [{\"role\": \"user\", \"content\": \"x\"}],"
                + " \"completion\": \"y\"}";
        assertEquals(List.of("observations: at most 3 in one request, got 4; send them in several"),
                read("{\"observations\": [" + String.join(",", one, one, one, one) + "]}").errors());
        assertEquals(List.of("the body must be a JSON object {\"observations\": [...]}"), read("[1]").errors());
        assertEquals(List.of("observations: must be a non-empty array"), read("{}").errors());
    }

    @Test
    void aLineWithoutRawTextHasTheFeaturesButNoText() {
        Observation o = new Observation("id", NOW, "m", 1, Observation.Source.GATEWAY,
                List.of(new Observation.Message("user", "héllo 😀")), " {\"a\": [1]} ", 5L, null, 3);
        JsonNode raw = ObservationLines.line(o, true);
        JsonNode bare = ObservationLines.line(o, false);
        assertEquals("2026-12-06T12:00:00Z", raw.path("time").asText());
        assertEquals("héllo 😀", raw.path("messages").path(0).path("content").asText());
        assertFalse(bare.has("messages"));
        assertFalse(bare.has("completion"));
        assertTrue(bare.path("prompt_tokens").isNull());
        assertEquals(7, bare.path("features").path("prompt_chars").asInt(), "code points, not UTF-16 units");
        assertTrue(bare.path("features").path("completion_json_valid").asBoolean());
        ObjectNode withoutEmbedding = bare.path("features").deepCopy();
        withoutEmbedding.remove("prompt_embedding");
        assertEquals(raw.path("features"), withoutEmbedding);
        // The text-free line carries the prompt's hashed n-gram vector, sparse, as eval-service computes it from text.
        assertArrayEquals(new HashedNgrams().embed("héllo 😀"),
                SparseEmbeddings.read(bare.at("/features/prompt_embedding")));
        assertFalse(raw.path("features").has("prompt_embedding"));
        // completion_json_valid is the platform's one strict rule: one value, nothing after it; blank is not JSON.
        for (String notJson : List.of("{\"a\": 1} trailing", " ", "{'a': 1}")) {
            Observation invalid = new Observation("id", NOW, "m", 1, Observation.Source.GATEWAY, o.messages(), notJson,
                    5L, null, 3);
            assertFalse(ObservationLines.line(invalid, false).at("/features/completion_json_valid").asBoolean(),
                    notJson);
        }
    }

    private static ObservationBatchReader.Result read(String body) throws Exception {
        return read(body, version -> true);
    }

    private static ObservationBatchReader.Result read(String body, java.util.function.IntPredicate versions)
            throws Exception {
        return READER.read(JSON.readTree(body), "m", NOW, versions);
    }
}
