package dev.tuneforge.tokenizer;

/** A chat template failed to render, or called {@code raise_exception}. */
public class ChatTemplateException extends RuntimeException {
    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
