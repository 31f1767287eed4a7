package dev.tuneforge.dataset.tokens;

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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tokenizer and chat template of each base model in the catalogue, fetched once from S3
 * ({@link ObjectKeys#baseModel}) and kept: counting tokens needs exactly the model's own. Only a complete model is
 * fetched — its {@code manifest.json}, which the gateway writes after every other file — and a model not there
 * (yet) is looked up again at the next upload, never remembered as missing.
 */
@ApplicationScoped
public class BaseModelTokenizers {

    /** The files that make up a tokenizer in Hugging Face layout; all but tokenizer.json are optional. */
    private static final List<String> FILES = List.of(HfTokenizer.TOKENIZER_FILE, HfTokenizer.CONFIG_FILE,
            HfTokenizer.SPECIAL_TOKENS_FILE, "chat_template.jinja", "chat_template.json", "config.json");

    /** Written last by the gateway's catalogue: its presence means every file of the model is there. */
    private static final String MANIFEST = "manifest.json";

    private final ObjectStore objects;
    private final Map<String, ModelTokenizer> loaded = new ConcurrentHashMap<>();

    public BaseModelTokenizers(ObjectStore objects) {
        this.objects = objects;
    }

    /** Empty when the catalogue has no tokenizer for that model. */
    public Optional<ModelTokenizer> forModel(String baseModel) {
        return Optional.ofNullable(loaded.computeIfAbsent(baseModel, this::load));
    }

    /** The model's tokenizer, or null (not kept) while the catalogue has no complete model of that name. */
    private ModelTokenizer load(String baseModel) {
        String prefix = ObjectKeys.baseModel(baseModel);
        if (!objects.exists(prefix + MANIFEST) || !objects.exists(prefix + HfTokenizer.TOKENIZER_FILE)) {
            return null;
        }
        try {
            Path dir = Files.createTempDirectory("tuneforge-tokenizer-");
            for (String file : FILES) {
                if (objects.exists(prefix + file)) {
                    try (InputStream in = objects.get(prefix + file)) {
                        Files.copy(in, dir.resolve(file));
                    }
                }
            }
            Integer contextWindow = null;
            if (Files.exists(dir.resolve("config.json"))) {
                JsonNode config = EventCodec.mapper().readTree(dir.resolve("config.json").toFile());
                if (config.hasNonNull("max_position_embeddings")) {
                    contextWindow = config.get("max_position_embeddings").asInt();
                }
            }
            return new ModelTokenizer(baseModel, HfTokenizer.load(dir), contextWindow);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fetch the tokenizer of base model " + baseModel, e);
        }
    }

    void close(@Observes ShutdownEvent event) {
        loaded.values().forEach(tokenizer -> tokenizer.tokenizer().close());
    }
}
