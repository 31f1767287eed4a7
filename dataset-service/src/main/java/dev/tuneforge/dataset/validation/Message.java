package dev.tuneforge.dataset.validation;

/**
 * One turn of a conversation, after normalisation of any format to chat.
 *
 * @param weight 1 if the model learns this turn (assistant turns by default), 0 otherwise
 */
public record Message(String role, String content, int weight) {

    public static final String SYSTEM = "system";
    public static final String USER = "user";
    public static final String ASSISTANT = "assistant";
}
