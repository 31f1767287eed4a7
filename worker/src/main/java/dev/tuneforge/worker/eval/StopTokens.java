package dev.tuneforge.worker.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tuneforge.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * The tokens that end a generation: the tokenizer's eos token and every {@code eos_token_id} of
 * config.json and generation_config.json (an id or a list), as transformers' generate uses them.
 */
public final class StopTokens {

    private StopTokens() {
    }

    public static Set<Long> of(Path modelDir, HfTokenizer tokenizer) {
        Set<Long> ids = new HashSet<>();
        tokenizer.tokenId(tokenizer.specialTokens().eos()).ifPresent(ids::add);
        for (String file : new String[] {"config.json", "generation_config.json"}) {
            Path path = modelDir.resolve(file);
            if (!Files.isRegularFile(path)) {
                continue;
            }
            try {
                JsonNode eos = new ObjectMapper().readTree(path.toFile()).get("eos_token_id");
                if (eos != null && eos.isIntegralNumber()) {
                    ids.add(eos.asLong());
                } else if (eos != null && eos.isArray()) {
                    eos.forEach(id -> ids.add(id.asLong()));
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot read " + path, e);
            }
        }
        return ids;
    }
}
