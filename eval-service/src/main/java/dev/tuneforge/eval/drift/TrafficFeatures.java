package dev.tuneforge.eval.drift;

import dev.tuneforge.drift.HashedNgrams;
import dev.tuneforge.drift.Observation;
import dev.tuneforge.drift.OutputValidity;
import dev.tuneforge.drift.TrafficSample;
import dev.tuneforge.tokenizer.ChatMessage;
import dev.tuneforge.tokenizer.HfTokenizer;
import java.util.List;

/**
 * Turns conversations into drift's features, the same way for a version's training examples and for its traffic, so
 * the two samples compare: the prompt (every message before the answer) in tokens as the base model's chat template
 * renders it with the generation prompt (its plain encoding without a template), the completion's tokens, the
 * prompt's {@code HashedNgrams} embedding of its messages' contents joined by newlines, and the completion's validity
 * (JSON, plus the pipeline gate's schema when it has one). A text-free line adds the token counts its server reported,
 * the prompt embedding the gateway computed the same way ({@code features.prompt_embedding}) and, only when the
 * validity is plain JSON validity, the gateway's {@code completion_json_valid}.
 */
public final class TrafficFeatures {

    private final DriftTokenizers.BaseTokenizer tokenizer;
    private final boolean schemaChecked;
    private final TrafficSample.Builder builder;
    private long unmeasured;

    public TrafficFeatures(DriftTokenizers.BaseTokenizer tokenizer, OutputValidity validity, boolean schemaChecked) {
        this.tokenizer = tokenizer;
        this.schemaChecked = schemaChecked;
        this.builder = new TrafficSample.Builder(new HashedNgrams(), validity, tokenizer.vocabularySize());
    }

    public void add(List<ChatMessage> prompt, String completion) {
        HfTokenizer t = tokenizer.tokenizer();
        long[] promptTokens = t.chatTemplate().isPresent() ? t.encodeChat(prompt, true)
                : t.encode(promptText(prompt), true);
        builder.add(Observation.withText(promptText(prompt), ints(promptTokens), completion,
                ints(t.encode(completion, false))));
    }

    public void add(ObservedLine line) {
        if (line.hasText()) {
            add(line.messages(), line.completion());
        } else if (line.promptTokens() != null && line.completionTokens() != null) {
            builder.addDerived(line.promptTokens(), line.completionTokens(), line.promptEmbedding(),
                    schemaChecked ? null : line.jsonValid());
        } else {
            unmeasured++;
        }
    }

    /** Text-free lines without token counts: not in the sample. */
    public long unmeasured() {
        return unmeasured;
    }

    public TrafficSample sample() {
        return builder.build();
    }

    static String promptText(List<ChatMessage> prompt) {
        return HashedNgrams.promptText(prompt.stream().map(ChatMessage::content).toList());
    }

    private static int[] ints(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }
}
