package dev.tuneforge.dataset.tokens;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.kit.storage.ObjectKeys;
import dev.tuneforge.kit.storage.ObjectStore;
import dev.tuneforge.tokenizer.HfTokenizer;
import dev.tuneforge.tokenizer.TokenizerFiles;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tokenizer and chat template of each base model in the catalogue, fetched once from S3
 * ({@link ObjectKeys#baseModel}, the files {@link TokenizerFiles} names, as eval-service's drift fetches them) and
 * kept: counting tokens needs exactly the model's own. Only a complete model is fetched — its {@code manifest.json},
 * which the gateway writes after every other file — and a model not there (yet) is looked up again at the next
 * upload, never remembered as missing.
 */
@ApplicationScoped
public class BaseModelTokenizers {

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
            TokenizerFiles.Fetched fetched = TokenizerFiles.fetch(name -> objects.exists(prefix + name)
                    ? Optional.of(objects.get(prefix + name)) : Optional.empty(), "tuneforge-tokenizer-");
            JsonNode contextWindow = fetched.modelConfig().path("max_position_embeddings");
            return new ModelTokenizer(baseModel, fetched.tokenizer(),
                    contextWindow.isMissingNode() || contextWindow.isNull() ? null : contextWindow.asInt());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fetch the tokenizer of base model " + baseModel, e);
        }
    }

    void close(@Observes ShutdownEvent event) {
        loaded.values().forEach(tokenizer -> tokenizer.tokenizer().close());
    }
}
