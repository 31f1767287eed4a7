package dev.tuneforge.kit.messaging;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Not a @QuarkusTest: the check reads property names and values, here from a map. */
class InboxChannelSettingsTest {

    private static final Duration HOLD = Duration.ofMinutes(51);

    private static List<String> problems(Map<String, String> properties) {
        return InboxChannelSettings.problems(properties.keySet(), name -> Optional.ofNullable(properties.get(name)),
                HOLD);
    }

    @Test
    void channelsThatFailAndLeaveTheAgeToTheInboxPass() {
        assertEquals(List.of(), problems(Map.of(
                "mp.messaging.incoming.eval-in.connector", "smallrye-kafka",
                "mp.messaging.incoming.eval-in.failure-strategy", "fail",
                "mp.messaging.incoming.eval-in.throttled.unprocessed-record-max-age.ms", "0")));
    }

    @Test
    void aChannelLeftAtSmallRyesSixtySecondAgeIsRefused() {
        // registry-service's commands channel before #18: a promotion waiting on the model's lock while a
        // registration copies for minutes closed the channel.
        assertEquals(List.of("mp.messaging.incoming.commands-in.throttled.unprocessed-record-max-age.ms is 60000; it"
                        + " must be 0 (off) or at least 3060000"),
                problems(Map.of("mp.messaging.incoming.commands-in.connector", "smallrye-kafka",
                        "mp.messaging.incoming.commands-in.failure-strategy", "fail")));
    }

    @Test
    void aChannelThatWouldDeadLetterWhatTheInboxKeepsIsRefused() {
        assertEquals(List.of("mp.messaging.incoming.datasets-in.failure-strategy is 'dead-letter-queue'; it must be"
                        + " 'fail'"),
                problems(Map.of("mp.messaging.incoming.datasets-in.connector", "smallrye-kafka",
                        "mp.messaging.incoming.datasets-in.failure-strategy", "dead-letter-queue",
                        "mp.messaging.incoming.datasets-in.throttled.unprocessed-record-max-age.ms", "0")));
    }

    @Test
    void connectorWideSettingsCountAndOtherConnectorsAreNotJudged() {
        assertEquals(List.of(), problems(Map.of(
                "mp.messaging.connector.smallrye-kafka.throttled.unprocessed-record-max-age.ms", "3600000",
                "mp.messaging.incoming.eval-in.connector", "smallrye-kafka",
                "mp.messaging.incoming.memory-in.connector", "smallrye-in-memory",
                "mp.messaging.incoming.memory-in.failure-strategy", "ignore")));
    }
}
