package dev.tuneforge.kit.messaging;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Liveness;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * Not live while a consumer has held one record longer than the inbox's design allows
 * ({@link InboxProcessor#longestHold()}: every attempt at its transaction timeout plus the transient retry window):
 * its effect hangs, and a restart redelivers the record. This replaces SmallRye's unprocessed-record age check, which
 * the inbox channels switch off because it measures from the poll: a record queued behind a long effect ages while it
 * waits, so no age is both safe and useful there.
 */
@Liveness
@ApplicationScoped
public class InboxLiveness implements HealthCheck {

    private final InboxProcessor processor;

    public InboxLiveness(InboxProcessor processor) {
        this.processor = processor;
    }

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder response = HealthCheckResponse.named("inbox").up();
        Duration limit = processor.longestHold();
        Instant now = Instant.now();
        for (Map.Entry<String, Instant> held : processor.holding().entrySet()) {
            Duration heldFor = Duration.between(held.getValue(), now);
            if (heldFor.compareTo(limit) > 0) {
                response.down().withData(held.getKey(), "one record held for " + heldFor.toSeconds()
                        + " s, over the " + limit.toSeconds() + " s its retries may take");
            }
        }
        return response.build();
    }
}
