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
 * ({@link ObjectKeys#baseModel}) and kept: counting tokens needs exactly the model's own.
 */
@ApplicationScoped
public class BaseModelTokenizers {

    /** The files that make up a tokenizer in Hugging Face layout; all but tokenizer.json are optional. */
    private static final List<String> FILES = List.of(HfTokenizer.TOKENIZER_FILE, HfTokenizer.CONFIG_FILE,
            HfTokenizer.SPECIAL_TOKENS_FILE, "chat_template.jinja", "chat_template.json", "config.json");

    private final ObjectStore objects;
    private final Map<String, Optional<ModelTokenizer>> loaded = new ConcurrentHashMap<>();

    public BaseModelTokenizers(ObjectStore objects) {
        this.objects = objects;
    }

    /** Empty when the catalogue has no tokenizer for that model. */
    public Optional<ModelTokenizer> forModel(String baseModel) {
        return loaded.computeIfAbsent(baseModel, this::load);
    }

    private Optional<ModelTokenizer> load(String baseModel) {
        String prefix = ObjectKeys.baseModel(baseModel);
        if (!objects.exists(prefix + HfTokenizer.TOKENIZER_FILE)) {
            return Optional.empty();
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
            return Optional.of(new ModelTokenizer(baseModel, HfTokenizer.load(dir), contextWindow));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fetch the tokenizer of base model " + baseModel, e);
        }
    }

    void close(@Observes ShutdownEvent event) {
        loaded.values().forEach(tokenizer -> tokenizer.ifPresent(t -> t.tokenizer().close()));
    }
}
