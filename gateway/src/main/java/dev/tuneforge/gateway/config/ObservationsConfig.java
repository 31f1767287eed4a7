package dev.tuneforge.gateway.config;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

import java.time.Duration;

/**
 * {@code tuneforge.observations.*}: what the gateway records of the chats it serves and accepts from servers
 * elsewhere ({@code POST /api/v1/models/{name}/observations}); what each is for is in {@code application.properties}.
 * Its own mapping, so that the recorder's tests can build one.
 */
@ConfigMapping(prefix = "tuneforge.observations")
public interface ObservationsConfig {

    /** At most this many observations in one request to the intake; more is a 422 and nothing is stored. */
    @WithDefault("1000")
    int maxBatch();

    /** At most this many messages in one observation. */
    @WithDefault("256")
    int maxMessages();

    /** At most this many characters in one message's content, or in a completion. */
    @WithDefault("100000")
    int maxTextChars();

    /** How far in the future an observation's {@code time} may be (clocks differ). */
    @WithDefault("5m")
    Duration maxClockSkew();

    /** Served chats are written as a batch once this many are buffered ... */
    @WithDefault("500")
    int flushCount();

    /** ... or this long after the first of them. */
    @WithDefault("2s")
    Duration flushInterval();

    /**
     * At most this many served chats wait in memory (while S3 or the database is away, say); one more is not recorded
     * (logged and counted), so that recording never holds up a chat nor the gateway's memory.
     */
    @WithDefault("50000")
    int maxBuffered();
}
