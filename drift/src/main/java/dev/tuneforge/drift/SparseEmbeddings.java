package dev.tuneforge.drift;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An embedding as JSON, sparse: {@code {"dimensions": D, "index": [...], "value": [...]}}, its non-zero entries in
 * ascending order. A {@link HashedNgrams} vector has about a hundred non-zero buckets of 512. The gateway's text-free
 * observation lines carry prompt embeddings so, and eval-service stores a baseline's so.
 */
public final class SparseEmbeddings {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SparseEmbeddings() {
    }

    public static ObjectNode write(double[] vector) {
        ObjectNode node = JSON.createObjectNode();
        node.put("dimensions", vector.length);
        ArrayNode index = node.putArray("index");
        ArrayNode value = node.putArray("value");
        for (int i = 0; i < vector.length; i++) {
            if (vector[i] != 0) {
                index.add(i);
                value.add(vector[i]);
            }
        }
        return node;
    }

    /**
     * The dense vector.
     *
     * @throws IllegalArgumentException saying what is wrong with {@code node}
     */
    public static double[] read(JsonNode node) {
        JsonNode dimensions = node.path("dimensions");
        JsonNode index = node.path("index");
        JsonNode value = node.path("value");
        if (!dimensions.isIntegralNumber() || dimensions.asInt() < 1) {
            throw new IllegalArgumentException("dimensions: must be a whole number >= 1, got " + dimensions);
        }
        if (!index.isArray() || !value.isArray() || index.size() != value.size()) {
            throw new IllegalArgumentException("index and value must be arrays of the same length");
        }
        double[] dense = new double[dimensions.asInt()];
        for (int i = 0; i < index.size(); i++) {
            JsonNode at = index.get(i);
            if (!at.isIntegralNumber() || at.asInt() < 0 || at.asInt() >= dense.length || !value.get(i).isNumber()) {
                throw new IllegalArgumentException("entry " + i + " (" + at + ", " + value.get(i)
                        + ") is not an index in [0, " + dense.length + ") with a number");
            }
            dense[at.asInt()] = value.get(i).asDouble();
        }
        return dense;
    }
}
