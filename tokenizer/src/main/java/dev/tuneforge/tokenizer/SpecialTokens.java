package dev.tuneforge.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The named special tokens of {@code tokenizer_config.json} (falling back to
 * {@code special_tokens_map.json}); chat templates reference them as {@code bos_token},
 * {@code eos_token} and so on. Any may be null.
 */
public record SpecialTokens(String bos, String eos, String pad, String unk) {

    static SpecialTokens parse(JsonNode tokenizerConfig, JsonNode specialTokensMap) {
        return new SpecialTokens(
                token(tokenizerConfig, specialTokensMap, "bos_token"),
                token(tokenizerConfig, specialTokensMap, "eos_token"),
                token(tokenizerConfig, specialTokensMap, "pad_token"),
                token(tokenizerConfig, specialTokensMap, "unk_token"));
    }

    /** A token is spelled as a string or, in older files, as an AddedToken dict with "content". */
    private static String token(JsonNode primary, JsonNode fallback, String field) {
        for (JsonNode source : new JsonNode[] {primary, fallback}) {
            JsonNode v = source == null ? null : source.get(field);
            if (v == null || v.isNull()) {
                continue;
            }
            if (v.isTextual()) {
                return v.asText();
            }
            if (v.isObject() && v.hasNonNull("content")) {
                return v.get("content").asText();
            }
        }
        return null;
    }

    /** The variables transformers passes to a chat template; absent tokens are left undefined. */
    public Map<String, Object> templateVariables() {
        Map<String, Object> vars = new LinkedHashMap<>();
        if (bos != null) {
            vars.put("bos_token", bos);
        }
        if (eos != null) {
            vars.put("eos_token", eos);
        }
        if (pad != null) {
            vars.put("pad_token", pad);
        }
        if (unk != null) {
            vars.put("unk_token", unk);
        }
        return vars;
    }
}
