package dev.tuneforge.gateway.domain;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tuneforge.drift.HashedNgrams;
import dev.tuneforge.drift.OutputValidity;
import dev.tuneforge.drift.SparseEmbeddings;

import java.io.ByteArrayOutputStream;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * The JSONL format of an observation batch in S3, the contract with its readers (eval-service's drift monitoring;
 * docs/ARCHITECTURE.md, <i>Observations</i>). One line per observation:
 * <pre>
 * {"id", "time" (ISO-8601, UTC), "model", "version" (int or null), "source" ("gateway" | "external"),
 *  "messages": [{"role", "content"}...], "completion",            -- only with the project's raw text on
 *  "latency_ms", "prompt_tokens", "completion_tokens",           -- null when not known
 *  "features": {"messages", "prompt_chars", "completion_chars", "completion_json_valid",
 *               "prompt_embedding": {"dimensions", "index", "value"}}}  -- the embedding only with raw text off
 * </pre>
 * {@code features} are derived from the text and always written, so a reader computes the same statistics whether
 * the project keeps the text or not; characters are Unicode code points, and {@code completion_json_valid} is the
 * platform's one strict rule ({@link OutputValidity#isJson}), the one eval-service judges completions by. With the project's
 * {@code observations.raw_text} off, {@code messages} and {@code completion} are absent (not null): no text of the
 * conversation is stored, and {@code features.prompt_embedding} carries the prompt's {@link HashedNgrams} vector
 * (of {@link HashedNgrams#promptText}, its non-zero buckets in ascending order), which eval-service would otherwise
 * compute from the text.
 */
public final class ObservationLines {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HashedNgrams NGRAMS = new HashedNgrams();

    private ObservationLines() {
    }

    /** The batch as JSONL (UTF-8, as Jackson writes bytes; one line per observation, each ending in a newline). */
    public static byte[] write(List<Observation> observations, boolean rawText) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(observations.size() * 512);
        for (Observation observation : observations) {
            try {
                out.write(JSON.writeValueAsBytes(line(observation, rawText)));
            } catch (java.io.IOException e) {
                throw new IllegalStateException("cannot write an observation as JSON", e);
            }
            out.write('\n');
        }
        return out.toByteArray();
    }

    static ObjectNode line(Observation o, boolean rawText) {
        ObjectNode line = JSON.createObjectNode();
        line.put("id", o.id());
        line.put("time", DateTimeFormatter.ISO_INSTANT.format(o.time()));
        line.put("model", o.model());
        line.put("version", o.version());
        line.put("source", o.source().value());
        if (rawText) {
            ArrayNode messages = line.putArray("messages");
            o.messages().forEach(m -> messages.addObject().put("role", m.role()).put("content", m.content()));
            line.put("completion", o.completion());
        }
        line.put("latency_ms", o.latencyMs());
        line.put("prompt_tokens", o.promptTokens());
        line.put("completion_tokens", o.completionTokens());
        ObjectNode features = line.putObject("features");
        features.put("messages", o.messages().size());
        features.put("prompt_chars", o.messages().stream().mapToLong(m -> chars(m.content())).sum());
        features.put("completion_chars", chars(o.completion()));
        features.put("completion_json_valid", OutputValidity.isJson(o.completion()));
        if (!rawText) {
            features.set("prompt_embedding", SparseEmbeddings.write(NGRAMS.embed(HashedNgrams.promptText(
                    o.messages().stream().map(Observation.Message::content).toList()))));
        }
        return line;
    }

    private static long chars(String text) {
        return text == null ? 0 : text.codePointCount(0, text.length());
    }
}
