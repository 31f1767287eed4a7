package dev.tuneforge.eval.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The corpus and the numbers sacreBLEU / rouge_score / NLTK produced for it (see reference/README.md). */
final class ReferenceData {

    record Pair(int id, String hyp, String ref) {
    }

    static final ObjectMapper MAPPER = new ObjectMapper();
    static final List<Pair> CORPUS = loadCorpus();
    static final JsonNode REFERENCE = load("/metrics/reference/reference.json");

    private ReferenceData() {
    }

    static List<String> hyps() {
        return CORPUS.stream().map(Pair::hyp).toList();
    }

    static List<String> refs() {
        return CORPUS.stream().map(Pair::ref).toList();
    }

    static JsonNode load(String resource) {
        try (InputStream in = ReferenceData.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + resource);
            }
            return MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Pair> loadCorpus() {
        String resource = "/metrics/reference/corpus.jsonl";
        try (InputStream in = ReferenceData.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + resource);
            }
            List<Pair> pairs = new ArrayList<>();
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (!line.isBlank()) {
                    JsonNode n = MAPPER.readTree(line);
                    pairs.add(new Pair(n.get("id").asInt(), n.get("hyp").asText(), n.get("ref").asText()));
                }
            }
            return List.copyOf(pairs);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
