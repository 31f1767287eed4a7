package dev.tuneforge.bench.trainer;

import dev.tuneforge.events.CloudEventHeaders;
import dev.tuneforge.events.Topics;
import dev.tuneforge.platform.test.TopicClient;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Every record on {@code tuneforge.training}, as it arrives, with three instants: the CloudEvents
 * {@code ce_time} (when trainer-service wrote the event into its outbox), the Kafka record timestamp (when
 * the outbox relay handed it to its producer) and when this process polled it. One long-lived consumer,
 * so waiting for an event costs the measured machine almost nothing.
 */
final class TrainingEventWatch implements AutoCloseable {

    /** One event of a job as seen here. */
    record Seen(String type, Instant ceTime, Instant kafkaTime, Instant seenAt) { }

    private final Map<String, List<Seen>> byJob = new ConcurrentHashMap<>();
    private final Thread poller;
    private volatile boolean closed;

    TrainingEventWatch(String bootstrapServers) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props);
        List<TopicPartition> partitions = consumer.partitionsFor(Topics.TRAINING).stream()
                .map(p -> new TopicPartition(Topics.TRAINING, p.partition())).toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        poller = Thread.ofPlatform().name("training-watch").daemon().start(() -> {
            try (consumer) {
                while (!closed) {
                    for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(100))) {
                        Instant seenAt = Instant.now();
                        String ceTime = TopicClient.header(r, CloudEventHeaders.TIME);
                        byJob.computeIfAbsent(r.key(), k -> new CopyOnWriteArrayList<>()).add(new Seen(
                                TopicClient.header(r, CloudEventHeaders.TYPE),
                                ceTime == null ? null : OffsetDateTime.parse(ceTime).toInstant(),
                                Instant.ofEpochMilli(r.timestamp()), seenAt));
                    }
                }
            }
        });
    }

    Optional<Seen> first(String jobId, String type) {
        return byJob.getOrDefault(jobId, List.of()).stream().filter(s -> type.equals(s.type())).findFirst();
    }

    /** Waits for the job's first event of {@code type}; fails at once if the job failed instead. */
    Seen await(String jobId, String type, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<Seen> seen = first(jobId, type);
            if (seen.isPresent()) {
                return seen.get();
            }
            if (first(jobId, "dev.tuneforge.training.failed.v1").isPresent()) {
                throw new IllegalStateException("job " + jobId + " failed; see trainer-service's log");
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("no " + type + " for " + jobId + " within " + timeout + "; saw "
                + new ArrayList<>(byJob.getOrDefault(jobId, List.of())));
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        poller.join(5000);
    }
}
