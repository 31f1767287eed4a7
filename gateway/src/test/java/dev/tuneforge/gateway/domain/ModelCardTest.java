package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.junit.jupiter.api.Test;

import java.time.OffsetDateTime;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The model card's JSON, field by field: not a @QuarkusTest because it is the record's shape alone (the mapper is
 * configured as the gateway's: snake_case, ISO times). The job's fields are written inline, and left out, not null,
 * when the read model has no job; the card's own fields are written even when null.
 */
class ModelCardTest {

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
    private static final OffsetDateTime AT = OffsetDateTime.parse("2025-01-02T03:04:05Z");

    @Test
    void aCardWithoutItsJobHasNoneOfTheJobsFieldsAndItsOwnNullFieldsAsNull() throws Exception {
        ModelCard card = new ModelCard("m", 2, "candidate", List.of("champion"), AT, "k/", "abc", null, null, null);

        assertEquals("{\"name\":\"m\",\"version\":2,\"status\":\"candidate\",\"aliases\":[\"champion\"],"
                + "\"registered_at\":\"2025-01-02T03:04:05Z\",\"artifact_key\":\"k/\",\"artifact_sha256\":\"abc\","
                + "\"job_id\":null,\"eval\":null}", JSON.writeValueAsString(card));
    }

    @Test
    void aCardWithItsJobHasTheJobsFieldsBetweenJobIdAndEval() throws Exception {
        ModelCard.Recipe recipe = new ModelCard.Recipe(new ModelCard.BaseModel("tiny", null), "lora",
                JSON.readTree("{\"epochs\":1}"), new ModelCard.Dataset("d1", "support", 3, "def"),
                new ModelCard.Training("key-1", AT, null, AT, 40L, null));
        ModelCard card = new ModelCard("m", 1, "promoted", List.of(), AT, "k/", "abc", "j1", recipe, null);

        assertEquals("{\"name\":\"m\",\"version\":1,\"status\":\"promoted\",\"aliases\":[],"
                + "\"registered_at\":\"2025-01-02T03:04:05Z\",\"artifact_key\":\"k/\",\"artifact_sha256\":\"abc\","
                + "\"job_id\":\"j1\",\"base_model\":{\"name\":\"tiny\",\"sha256\":null},\"method\":\"lora\","
                + "\"hyperparameters\":{\"epochs\":1},"
                + "\"dataset\":{\"id\":\"d1\",\"name\":\"support\",\"version\":3,\"content_sha256\":\"def\"},"
                + "\"training\":{\"requested_by\":\"key-1\",\"requested_at\":\"2025-01-02T03:04:05Z\","
                + "\"started_at\":null,\"finished_at\":\"2025-01-02T03:04:05Z\",\"best_step\":40,\"metrics\":null},"
                + "\"eval\":null}", JSON.writeValueAsString(card));
    }
}
