package dev.tuneforge.eval.drift;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.tokenizer.HfTokenizer;
import dev.tuneforge.tokenizer.TokenizerFiles;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tokenizer of each base model drift counts tokens with, fetched once from the catalogue in S3
 * ({@link ObjectKeys#baseModel}: only the tokenizer's files, as {@link TokenizerFiles} fetches them for dataset-service
 * too) and kept; a model whose {@code tokenizer.json} is not there is looked up again next time, never remembered as
 * missing.
 */
@ApplicationScoped
public class DriftTokenizers {

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
            TokenizerFiles.Fetched fetched = TokenizerFiles.fetch(name -> objects.exists(prefix + name)
                    ? Optional.of(objects.get(prefix + name)) : Optional.empty(), "tuneforge-drift-tokenizer-");
            int size = largestId(EventCodec.mapper().readTree(
                    fetched.directory().resolve(HfTokenizer.TOKENIZER_FILE).toFile())) + 1;
            size = Math.max(size, fetched.modelConfig().path("vocab_size").asInt(0));
            return new BaseTokenizer(fetched.tokenizer(), size);
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
