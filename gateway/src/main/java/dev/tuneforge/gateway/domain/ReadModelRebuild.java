package dev.tuneforge.gateway.domain;

import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.MalformedEventException;
import dev.tuneforge.events.Topics;
import dev.tuneforge.gateway.storage.ReadModelTables;
import dev.tuneforge.kit.db.Jdbc;
import dev.tuneforge.kit.messaging.IncomingEvents;
import io.quarkus.narayana.jta.QuarkusTransaction;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Rebuilds the read model from the topics alone: replays every main topic from its first offset into
 * fresh twin tables with the live {@link Projection}, then, holding the live tables' lock, catches up
 * to the topics' current end and swaps the rows in. Live consumers keep running; what they apply
 * after the swap is deduplicated by the events table.
 *
 * <p>{@code events.seq} of an event the live table already had is kept, so SSE clients' Last-Event-ID
 * stays valid; events new to the gateway get fresh numbers after every existing one.
 */
@ApplicationScoped
public class ReadModelRebuild {

    /** What a rebuild did. */
    public record Result(long records, long events, long datasets, long millis) {
    }

    private static final Logger LOG = Logger.getLogger(ReadModelRebuild.class);
    private static final Duration READ_TIMEOUT = Duration.ofMinutes(10);
    private static final List<String> REBUILD_TABLES =
            ReadModelTables.BASE_NAMES.stream().map(ReadModelTables.REBUILD::table).toList();

    private final Jdbc jdbc;
    private final Projection projection;
    private final String bootstrapServers;
    private final AtomicBoolean running = new AtomicBoolean();

    public ReadModelRebuild(Jdbc jdbc, Projection projection,
                            @ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.jdbc = jdbc;
        this.projection = projection;
        this.bootstrapServers = bootstrapServers;
    }

    public Result rebuild() {
        if (!running.compareAndSet(false, true)) {
            throw DomainException.conflict("a rebuild of the read model is running already");
        }
        long start = System.nanoTime();
        try (KafkaConsumer<String, String> consumer = consumer()) {
            QuarkusTransaction.requiringNew().run(() -> {
                jdbc.update("DROP TABLE IF EXISTS " + String.join(", ", REBUILD_TABLES));
                // INCLUDING ALL keeps events.seq's sequence as the default: numbers never collide.
                for (String table : ReadModelTables.BASE_NAMES) {
                    jdbc.update("CREATE TABLE " + ReadModelTables.REBUILD.table(table) + " (LIKE "
                            + ReadModelTables.LIVE.table(table) + " INCLUDING ALL)");
                }
            });
            List<TopicPartition> partitions = Topics.MAIN.stream()
                    .flatMap(topic -> consumer.partitionsFor(topic).stream()
                            .map(info -> new TopicPartition(topic, info.partition())))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long bulk = replayToEnd(consumer, partitions, true);
            long[] caughtUp = new long[1];
            QuarkusTransaction.requiringNew().timeout((int) READ_TIMEOUT.toSeconds()).run(() -> {
                projection.lockEvents();
                jdbc.update("LOCK TABLE " + String.join(", ", ReadModelTables.BASE_NAMES) + " IN EXCLUSIVE MODE");
                caughtUp[0] = replayToEnd(consumer, partitions, false);
                swap();
            });
            Result result = new Result(bulk + caughtUp[0], count("events"), count("datasets"),
                    (System.nanoTime() - start) / 1_000_000);
            LOG.infof("rebuilt the read model from %d records: %d events, %d datasets in %d ms",
                    result.records(), result.events(), result.datasets(), result.millis());
            return result;
        } finally {
            running.set(false);
        }
    }

    private void swap() {
        // Events the live table lacks: numbered now, after every committed live event, in replay order.
        jdbc.update("""
                UPDATE events_rebuild r SET seq = fresh.seq FROM (
                    SELECT event_id, nextval(pg_get_serial_sequence('events', 'seq')) AS seq FROM (
                        SELECT event_id FROM events_rebuild x
                        WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = x.event_id)
                        ORDER BY seq) ordered
                ) fresh WHERE r.event_id = fresh.event_id""");
        // Events it has keep their number.
        jdbc.update("UPDATE events_rebuild r SET seq = e.seq FROM events e WHERE r.event_id = e.event_id");
        jdbc.update("DELETE FROM events");
        jdbc.update("INSERT INTO events SELECT * FROM events_rebuild");
        for (String table : ReadModelTables.BASE_NAMES.subList(1, ReadModelTables.BASE_NAMES.size())) {
            jdbc.update("DELETE FROM " + ReadModelTables.LIVE.table(table));
            jdbc.update("INSERT INTO " + ReadModelTables.LIVE.table(table) + " SELECT * FROM "
                    + ReadModelTables.REBUILD.table(table));
        }
        jdbc.update("DROP TABLE " + String.join(", ", REBUILD_TABLES));
    }

    /** Applies records until every partition is at the end it had when this started; returns how many. */
    private long replayToEnd(KafkaConsumer<String, String> consumer, List<TopicPartition> partitions,
                             boolean transactionPerBatch) {
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
        long applied = 0;
        while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("could not read the topics to their end within " + READ_TIMEOUT);
            }
            ConsumerRecords<String, String> batch = consumer.poll(Duration.ofMillis(500));
            if (transactionPerBatch) {
                QuarkusTransaction.requiringNew().run(() -> batch.forEach(this::apply));
            } else {
                batch.forEach(this::apply);
            }
            applied += batch.count();
        }
        return applied;
    }

    private void apply(ConsumerRecord<String, String> record) {
        Optional<EventEnvelope> envelope;
        try {
            envelope = IncomingEvents.parse(record);
        } catch (MalformedEventException e) {
            // The live consumer dead-lettered it too.
            return;
        }
        envelope.ifPresent(e -> projection.apply(ReadModelTables.REBUILD, e, record.topic(), record.value()));
    }

    private long count(String table) {
        return jdbc.queryOne("SELECT count(*) FROM " + table, row -> row.getLong(1)).orElse(0L);
    }

    private KafkaConsumer<String, String> consumer() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, "gateway-read-model-rebuild");
        return new KafkaConsumer<>(props);
    }
}
