package dev.tuneforge.eval.run;

import com.fasterxml.jackson.databind.JsonNode;

/** One line of {@code worker evaluate}'s results (docs/WORKER_PROTOCOL.md). */
public record ExampleResult(int index, double loss, long tokens, double tokenAccuracy, String generated,
                            String reference) {

    public static ExampleResult of(JsonNode line) {
        return new ExampleResult(line.path("index").asInt(), line.path("loss").asDouble(),
                line.path("tokens").asLong(), line.path("token_accuracy").asDouble(),
                line.path("generated").asText(""), line.path("reference").asText(""));
    }
}
