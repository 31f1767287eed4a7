package dev.tuneforge.kit.messaging;

/**
 * The headers a dead-letter record carries besides the original record's own (its {@code ce_*} headers are kept, so
 * a replay is the very same event). The {@code dead-letter-*} names are SmallRye's DLQ strategy's, so tools that know
 * those read ours; {@link #SERVICE} and {@link #CHANNEL} are ours: every consumer of a topic dead-letters to the
 * topic's one {@code <topic>.dlq}, and these say which consumer failed.
 */
public final class DeadLetterHeaders {

    /** Why: the last failure's message, with the event's type and id and how many attempts were made. */
    public static final String REASON = "dead-letter-reason";
    /** {@code malformed} (the record is not an event this build can read) or {@code failed} (its effect kept failing). */
    public static final String KIND = "dead-letter-kind";
    /** The class of the exception the consumer's effect threw (or the parse error of a malformed record). */
    public static final String EXCEPTION_CLASS = "dead-letter-exception-class-name";
    /** The innermost cause's class and message, when there is a cause. */
    public static final String CAUSE_CLASS = "dead-letter-cause-class-name";
    public static final String CAUSE = "dead-letter-cause";
    /** Where the record was consumed from. */
    public static final String TOPIC = "dead-letter-topic";
    public static final String PARTITION = "dead-letter-partition";
    public static final String OFFSET = "dead-letter-offset";
    /** The consuming service ({@code quarkus.application.name}, also its consumer group) and its channel. */
    public static final String SERVICE = "dead-letter-service";
    public static final String CHANNEL = "dead-letter-channel";
    /** How many times the effect was tried. */
    public static final String ATTEMPTS = "dead-letter-attempts";
    /** Every header this class names starts with this; a replay strips them. */
    public static final String PREFIX = "dead-letter-";

    /** On a replayed record: the dead letter it came from, {@code <dlq topic>:<partition>:<offset>}. */
    public static final String REPLAYED_FROM = "tuneforge-replayed-from";
    /**
     * On a marker record a replay appends to the DLQ topic (no value): the offset of the dead letter it replayed,
     * where the replay went ({@code <topic>-<partition>@<offset>}) and who asked.
     */
    public static final String MARKER_REPLAYED = "tuneforge-dlq-replayed-offset";
    public static final String MARKER_REPLAYED_TO = "tuneforge-dlq-replayed-to";
    public static final String MARKER_REPLAYED_BY = "tuneforge-dlq-replayed-by";

    public static final String KIND_MALFORMED = "malformed";
    public static final String KIND_FAILED = "failed";

    private DeadLetterHeaders() {
    }
}
