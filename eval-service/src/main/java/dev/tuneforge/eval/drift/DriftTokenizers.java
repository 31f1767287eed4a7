package dev.tuneforge.eval.drift;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.tokenizer.HfTokenizer;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tokenizer of each base model drift counts tokens with, fetched once from the catalogue in S3
 * ({@link ObjectKeys#baseModel}: only the tokenizer's files) and kept; a model whose {@code tokenizer.json} is not
 * there is looked up again next time, never remembered as missing.
 */
@ApplicationScoped
public class DriftTokenizers {

    private static final List<String> FILES = List.of(HfTokenizer.TOKENIZER_FILE, HfTokenizer.CONFIG_FILE,
            HfTokenizer.SPECIAL_TOKENS_FILE, "chat_template.jinja", "chat_template.json", "config.json");

    /**
     * A base model's tokenizer and the size of its vocabulary: one more than the largest id of its
     * {@code tokenizer.json} (model and added tokens) or its config's {@code vocab_size}, whichever is larger.
     */
    public record BaseTokenizer(HfTokenizer tokenizer, int vocabularySize) { }

    private final ObjectStore objects;
    private final Map<String, BaseTokenizer> loaded = new ConcurrentHashMap<>();

    public DriftTokenizers(ObjectStore objects) {
        this.objects = objects;
    }

    /** Empty while the catalogue has no tokenizer of that model. */
    public Optional<BaseTokenizer> of(String baseModel) {
        return Optional.ofNullable(loaded.computeIfAbsent(baseModel, this::load));
    }

    private BaseTokenizer load(String baseModel) {
        String prefix = ObjectKeys.baseModel(baseModel);
        if (!objects.exists(prefix + HfTokenizer.TOKENIZER_FILE)) {
            return null;
        }
        try {
            Path dir = Files.createTempDirectory("tuneforge-drift-tokenizer-");
            for (String file : FILES) {
                if (objects.exists(prefix + file)) {
                    try (InputStream in = objects.get(prefix + file)) {
                        Files.copy(in, dir.resolve(file));
                    }
                }
            }
            int size = largestId(EventCodec.mapper().readTree(dir.resolve(HfTokenizer.TOKENIZER_FILE).toFile())) + 1;
            if (Files.exists(dir.resolve("config.json"))) {
                size = Math.max(size, EventCodec.mapper().readTree(dir.resolve("config.json").toFile())
                        .path("vocab_size").asInt(0));
            }
            return new BaseTokenizer(HfTokenizer.load(dir), size);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fetch the tokenizer of base model " + baseModel, e);
        }
    }

    private static int largestId(JsonNode tokenizer) {
        int largest = -1;
        for (Iterator<JsonNode> ids = tokenizer.path("model").path("vocab").elements(); ids.hasNext(); ) {
            largest = Math.max(largest, ids.next().asInt());
        }
        for (JsonNode added : tokenizer.path("added_tokens")) {
            largest = Math.max(largest, added.path("id").asInt());
        }
        return largest;
    }

    void close(@Observes ShutdownEvent event) {
        loaded.values().forEach(t -> t.tokenizer().close());
    }
}
