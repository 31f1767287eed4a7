package dev.tuneforge.dataset.validation;

/**
 * Everything the validator counts, after OpenAI's data-preparation checks plus what a streaming
 * platform must also catch. {@link Severity#ERROR} rejects the dataset; warnings are reported only.
 */
public enum Check {
    NOT_JSONL(Severity.ERROR, "the file is a compressed archive or binary, not JSONL text"),
    NON_UTF8(Severity.ERROR, "line is not valid UTF-8"),
    NUL_BYTE(Severity.ERROR, "line holds a NUL byte (0x00), which JSON text cannot hold: in a string write it as \\u0000,"
            + " else remove it"),
    LINE_TOO_LONG(Severity.ERROR, "line is longer than the maximum line length"),
    INVALID_JSON(Severity.ERROR, "line is not valid JSON"),
    TOO_DEEP(Severity.ERROR, "JSON is nested deeper than allowed"),
    NOT_AN_OBJECT(Severity.ERROR, "line is JSON but not an object"),
    UNKNOWN_FORMAT(Severity.ERROR, "object matches none of chat, alpaca, completion, preference"),
    MIXED_FORMATS(Severity.ERROR, "example is of another format than the dataset"),
    MISSING_MESSAGES(Severity.ERROR, "chat example has no 'messages' list"),
    MESSAGE_NOT_AN_OBJECT(Severity.ERROR, "a message is not an object"),
    MESSAGE_MISSING_KEY(Severity.ERROR, "a message lacks 'role' or 'content'"),
    UNRECOGNIZED_ROLE(Severity.ERROR, "a message has a role other than system, user, assistant"),
    MISSING_CONTENT(Severity.ERROR, "a message's content is missing, empty or not text"),
    INVALID_WEIGHT(Severity.ERROR, "'weight' must be 0 or 1 and only on assistant messages"),
    NO_ASSISTANT_MESSAGE(Severity.ERROR, "chat example has no assistant message to learn from"),
    MISSING_FIELD(Severity.ERROR, "a required field is missing or not text"),
    EMPTY_OUTPUT(Severity.ERROR, "the text to learn (completion, output, chosen, preferred_output) is empty"),
    INVALID_PREFERENCE_INPUT(Severity.ERROR, "'input' of a DPO pair must be an object with a non-empty 'messages'"
            + " list (the prompt)"),
    INVALID_PREFERENCE_OUTPUT(Severity.ERROR, "'preferred_output' and 'non_preferred_output' must each be a list of"
            + " exactly one message with role 'assistant' and text 'content'"),
    TOO_MANY_EXAMPLES(Severity.ERROR, "the dataset would hold more examples than a dataset may"
            + " (tuneforge.datasets.max-examples, counting the version it adds to); split the upload into datasets"),
    UNPAIRED_SURROGATE(Severity.ERROR, "a text holds an escaped UTF-16 surrogate (\\ud800 to \\udfff) that is not"
            + " half of a pair: it is no character, and UTF-8 cannot store it"),
    MESSAGE_UNRECOGNIZED_KEY(Severity.WARNING, "a message has a key other than role, content, weight, name"),
    UNRECOGNIZED_KEY(Severity.WARNING, "example has a key the format does not use"),
    DUPLICATE_EXAMPLE(Severity.WARNING, "example is a duplicate of an earlier one once case and spacing are ignored (removed)"),
    NEAR_DUPLICATE(Severity.WARNING, "example is nearly identical to an earlier one (removed)"),
    NEAR_DUPLICATE_CHECK_LIMITED(Severity.WARNING,
            "from this line on, examples were checked for near-duplicates against the earlier ones only"),
    CONTAMINATED(Severity.WARNING, "example's prompt is in a registered evaluation set (removed)"),
    TOO_LONG(Severity.WARNING, "example is longer than the context window and will be truncated"),
    EMPTY_LINE(Severity.WARNING, "blank line (skipped)");

    public enum Severity { ERROR, WARNING }

    private final Severity severity;
    private final String description;

    Check(Severity severity, String description) {
        this.severity = severity;
        this.description = description;
    }

    public Severity severity() {
        return severity;
    }

    public String description() {
        return description;
    }

    /** The stable name in reports and APIs, e.g. {@code invalid_json}. */
    public String code() {
        return name().toLowerCase();
    }
}
