package dev.tuneforge.eval.run;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One line of {@code worker evaluate}'s results (docs/WORKER_PROTOCOL.md).
 *
 * @param chosenLogp   preference pairs only: the summed log-probability of the chosen answer given the prompt (else
 *                     null); {@code rejectedLogp} that of the rejected one
 */
public record ExampleResult(int index, double loss, long tokens, double tokenAccuracy, String generated,
                            String reference, Double chosenLogp, Double rejectedLogp) {

    public ExampleResult(int index, double loss, long tokens, double tokenAccuracy, String generated,
                         String reference) {
        this(index, loss, tokens, tokenAccuracy, generated, reference, null, null);
    }

    public static ExampleResult of(JsonNode line) {
        return new ExampleResult(line.path("index").asInt(), line.path("loss").asDouble(),
                line.path("tokens").asLong(), line.path("token_accuracy").asDouble(),
                line.path("generated").asText(""), line.path("reference").asText(""),
                line.hasNonNull("chosen_logp") ? line.get("chosen_logp").asDouble() : null,
                line.hasNonNull("rejected_logp") ? line.get("rejected_logp").asDouble() : null);
    }

    /** Whether the worker scored the pair (both log-probabilities are there). */
    public boolean scoredPair() {
        return chosenLogp != null && rejectedLogp != null;
    }
}
