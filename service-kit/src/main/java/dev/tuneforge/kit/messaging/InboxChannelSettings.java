package dev.tuneforge.kit.messaging;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import org.eclipse.microprofile.config.Config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Refuses to start a service whose Kafka channels are configured against the inbox. Every incoming
 * {@code smallrye-kafka} channel must have
 * <ul>
 *   <li>{@code failure-strategy=fail}: the inbox dead-letters poison itself; the only thing a channel ever sees fail
 *       is {@link InboxGaveUpException}, which must stop the channel with its offset uncommitted. SmallRye's
 *       {@code dead-letter-queue} strategy would dead-letter exactly the events the inbox refused to give up on;</li>
 *   <li>with the {@code throttled} commit strategy (the default), {@code throttled.unprocessed-record-max-age.ms} at
 *       0 (off; {@link InboxLiveness} watches instead) or at least {@link InboxProcessor#longestHold()}: SmallRye
 *       closes a channel whose oldest unacknowledged record is older than that, and the inbox may legitimately hold
 *       one for the transient retry window plus its attempts (the default 60 s killed registry-service's commands
 *       channel while a registration held the model's lock for a long copy).</li>
 * </ul>
 * It also registers each channel's inbox counters at zero ({@link InboxProcessor#registerMeters}).
 *
 * <p>SmallRye's consumer keeps polling while records are processed (it pauses the partitions instead), so
 * {@code max.poll.interval.ms} is not at risk from a held record and keeps Kafka's default.
 */
@ApplicationScoped
public class InboxChannelSettings {

    private static final String INCOMING = "mp.messaging.incoming.";
    private static final String CONNECTOR = "mp.messaging.connector.smallrye-kafka.";
    private static final long SMALLRYE_DEFAULT_MAX_AGE_MS = 60_000;

    void check(@Observes StartupEvent event, Config config, InboxProcessor processor) {
        Function<String, Optional<String>> property = name -> config.getOptionalValue(name, String.class);
        List<String> problems = problems(config.getPropertyNames(), property, processor.longestHold());
        if (!problems.isEmpty()) {
            throw new IllegalStateException("Kafka channels configured against the inbox (see service-kit's"
                    + " InboxChannelSettings): " + String.join("; ", problems));
        }
        for (String channel : channels(config.getPropertyNames(), property)) {
            processor.registerMeters(channel, attribute(property, channel, "topic").orElse(channel));
        }
    }

    /** Every misconfiguration found, each naming the property to change and the value it needs. */
    public static List<String> problems(Iterable<String> propertyNames, Function<String, Optional<String>> property,
                                        Duration longestHold) {
        List<String> problems = new ArrayList<>();
        for (String channel : channels(propertyNames, property)) {
            String strategy = attribute(property, channel, "failure-strategy").orElse("fail");
            if (!strategy.equals("fail")) {
                problems.add(INCOMING + channel + ".failure-strategy is '" + strategy + "'; it must be 'fail'");
            }
            String commit = attribute(property, channel, "commit-strategy").orElse("throttled");
            if (commit.equals("throttled")) {
                long maxAge = attribute(property, channel, "throttled.unprocessed-record-max-age.ms")
                        .map(Long::parseLong).orElse(SMALLRYE_DEFAULT_MAX_AGE_MS);
                if (maxAge > 0 && maxAge < longestHold.toMillis()) {
                    problems.add(INCOMING + channel + ".throttled.unprocessed-record-max-age.ms is " + maxAge
                            + "; it must be 0 (off) or at least " + longestHold.toMillis());
                }
            }
        }
        return problems;
    }

    /** The incoming channels of the Kafka connector, by name. */
    private static TreeSet<String> channels(Iterable<String> propertyNames, Function<String, Optional<String>> property) {
        TreeSet<String> channels = new TreeSet<>();
        for (String name : propertyNames) {
            if (name.startsWith(INCOMING) && name.endsWith(".connector")
                    && property.apply(name).filter("smallrye-kafka"::equals).isPresent()) {
                channels.add(name.substring(INCOMING.length(), name.length() - ".connector".length()));
            }
        }
        return channels;
    }

    private static Optional<String> attribute(Function<String, Optional<String>> property, String channel,
                                              String attribute) {
        return property.apply(INCOMING + channel + "." + attribute).or(() -> property.apply(CONNECTOR + attribute));
    }
}
