package dev.tuneforge.kit;

import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.kit.messaging.InboxProcessor;
import dev.tuneforge.kit.storage.ObjectStore;
import io.agroal.api.AgroalDataSource;
import io.smallrye.common.annotation.Blocking;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A consumer whose effect is a row in {@code test_effects}. Upload names steer it: {@code flaky-N} fails N times
 * before succeeding, {@code always-fails} never succeeds, {@code fails-until-fixed} fails (a domain error) until
 * {@link #deployFix} is called for its dataset, {@code writes-to-s3} also writes {@link #objectKey} first,
 * {@code too-deep} always throws {@link StackOverflowError} (an Error, not an exception).
 */
@ApplicationScoped
public class TestConsumer {

    public static final String CHANNEL = "test-in";

    private static final Set<String> FIXED = ConcurrentHashMap.newKeySet();

    private final InboxProcessor inbox;
    private final AgroalDataSource dataSource;
    private final ObjectStore objects;
    private final Map<UUID, Integer> failuresSoFar = new ConcurrentHashMap<>();

    public TestConsumer(InboxProcessor inbox, AgroalDataSource dataSource, ObjectStore objects) {
        this.inbox = inbox;
        this.dataSource = dataSource;
        this.objects = objects;
    }

    /** From now on, {@code fails-until-fixed} events of this dataset succeed: a new release fixed the bug. */
    public static void deployFix(String datasetId) {
        FIXED.add(datasetId);
    }

    public static String objectKey(String datasetId) {
        return "projects/prj_test/test-effects/" + datasetId;
    }

    @Incoming(CHANNEL)
    @Blocking
    public void consume(ConsumerRecord<String, String> record) {
        inbox.process(CHANNEL, record, envelope -> {
            if (!(envelope.data() instanceof DatasetUploaded uploaded)) {
                return;
            }
            failIfAsked(envelope.id(), uploaded);
            if (uploaded.name().equals("writes-to-s3")) {
                objects.put(objectKey(uploaded.datasetId()), uploaded.name().getBytes(StandardCharsets.UTF_8),
                        "text/plain");
            }
            try (Connection connection = dataSource.getConnection();
                 PreparedStatement insert = connection.prepareStatement(
                         "INSERT INTO test_effects (event_id, dataset_id, name) VALUES (?, ?, ?)")) {
                insert.setObject(1, envelope.id());
                insert.setString(2, uploaded.datasetId());
                insert.setString(3, uploaded.name());
                insert.executeUpdate();
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private void failIfAsked(UUID eventId, DatasetUploaded uploaded) {
        String name = uploaded.name();
        if (name.equals("fails-until-fixed") && !FIXED.contains(uploaded.datasetId())) {
            throw new IllegalArgumentException("format " + uploaded.format() + " is not supported by this release");
        }
        if (name.equals("too-deep")) {
            throw new StackOverflowError("the effect recursed too deep for " + name);
        }
        if (name.equals("always-fails")) {
            throw new IllegalStateException("the effect always fails for " + name);
        }
        if (name.startsWith("flaky-")) {
            int allowed = Integer.parseInt(name.substring("flaky-".length()));
            int failed = failuresSoFar.merge(eventId, 1, Integer::sum);
            if (failed <= allowed) {
                throw new IllegalStateException("spurious failure " + failed + " of " + allowed);
            }
        }
    }
}
