package dev.tuneforge.kit.messaging.dlq;

import dev.tuneforge.events.Topics;
import dev.tuneforge.kit.messaging.DeadLetterHeaders;
import jakarta.enterprise.context.ApplicationScoped;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The dead-letter topics as an operator works with them: list what the consumers dead-lettered, show one, replay one
 * (or every one of a topic) to the topic it came from.
 *
 * <p>A replay sends the original record again — same key, value and {@code ce_*} headers, so the same event id — to
 * its original topic and partition. Every consumer of that topic sees it: those that processed the event find it in
 * their inbox and skip it; the one that dead-lettered it never recorded it (the inbox row commits with the effect, and
 * a malformed record is never recorded), so it runs the effect now. Then a marker record with no value is appended to
 * the DLQ topic naming the replayed offset: the topic itself says what was replayed, no database needed. A crash
 * between the two leaves a replayed dead letter unmarked; replaying it again is harmless for the same reason.
 *
 * <p>Dead-letter topics are small (one partition, read by people), so every call reads them whole.
 */
@ApplicationScoped
public class DeadLetters {

    /** Which dead letters {@link #list} returns. */
    public enum Status { PENDING, REPLAYED, ALL }

    /** A dead letter replayed: its id and where the copy went ({@code <topic>-<partition>@<offset>}). */
    public record Replayed(String id, String replayedTo) {
    }

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    private final String bootstrapServers;

    public DeadLetters(@ConfigProperty(name = "kafka.bootstrap.servers") String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * Dead letters in topic and offset order.
     *
     * @param topic   a main topic or its {@code .dlq}; null: every dead-letter topic
     * @param service only those this service dead-lettered; null: every service's
     */
    public List<DeadLetter> list(String topic, String service, Status status) {
        List<String> topics = topic == null ? Topics.MAIN.stream().map(Topics::dlq).toList() : List.of(dlqOf(topic));
        return read(topics, false).stream()
                .filter(letter -> service == null || service.equals(letter.service()))
                .filter(letter -> switch (status) {
                    case PENDING -> letter.replay() == null;
                    case REPLAYED -> letter.replay() != null;
                    case ALL -> true;
                })
                .toList();
    }

    /** One dead letter with its value and every header. */
    public DeadLetter get(String id) {
        DeadLetterId where = DeadLetterId.parse(id);
        return read(List.of(where.topic()), true).stream().filter(letter -> letter.id().equals(where.toString()))
                .findFirst()
                .orElseThrow(() -> DeadLetterException.notFound("no dead letter " + id + " (a marker of a replay or an"
                        + " offset past the end is none)"));
    }

    /** Replays one dead letter; refused when it was replayed already. */
    public synchronized Replayed replay(String id, String requestedBy) {
        DeadLetter letter = get(id);
        if (letter.replay() != null) {
            throw DeadLetterException.conflict(id + " was replayed already, to " + letter.replay().replayedTo() + " at "
                    + letter.replay().replayedAt() + "; if it failed again, its new dead letter can be replayed");
        }
        try (KafkaProducer<String, String> producer = producer()) {
            return replay(producer, letter, requestedBy);
        }
    }

    /** Replays every dead letter of the topic not replayed yet (only those of {@code service} unless null). */
    public synchronized List<Replayed> replayAll(String topic, String service, String requestedBy) {
        if (topic == null || topic.isBlank()) {
            throw DeadLetterException.invalid("name the topic whose dead letters to replay");
        }
        List<String> ids = list(topic, service, Status.PENDING).stream().map(DeadLetter::id).toList();
        List<Replayed> replayed = new ArrayList<>();
        try (KafkaProducer<String, String> producer = producer()) {
            for (String id : ids) {
                // Read with value and headers (the list leaves them out).
                replayed.add(replay(producer, get(id), requestedBy));
            }
        }
        return replayed;
    }

    private Replayed replay(KafkaProducer<String, String> producer, DeadLetter letter, String requestedBy) {
        if (letter.topic() == null || !Topics.MAIN.contains(letter.topic())) {
            throw DeadLetterException.invalid(letter.id() + " does not say which of the platform's topics it came from"
                    + " (header " + DeadLetterHeaders.TOPIC + " is '" + letter.topic() + "'); it cannot be replayed");
        }
        DeadLetterId where = DeadLetterId.parse(letter.id());
        RecordHeaders headers = new RecordHeaders();
        letter.headers().forEach((name, value) -> {
            if (!name.startsWith(DeadLetterHeaders.PREFIX) && !name.equals(DeadLetterHeaders.REPLAYED_FROM)) {
                add(headers, name, value);
            }
        });
        add(headers, DeadLetterHeaders.REPLAYED_FROM, letter.id());
        RecordMetadata sent = send(producer, new ProducerRecord<>(letter.topic(), letter.partition(), letter.key(),
                letter.value(), headers));
        String replayedTo = sent.topic() + "-" + sent.partition() + "@" + sent.offset();

        RecordHeaders marker = new RecordHeaders();
        add(marker, DeadLetterHeaders.MARKER_REPLAYED, Long.toString(where.offset()));
        add(marker, DeadLetterHeaders.MARKER_REPLAYED_TO, replayedTo);
        add(marker, DeadLetterHeaders.MARKER_REPLAYED_BY, requestedBy);
        send(producer, new ProducerRecord<>(where.topic(), where.partition(), letter.key(), null, marker));
        return new Replayed(letter.id(), replayedTo);
    }

    private List<DeadLetter> read(List<String> topics, boolean withContent) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = consumer()) {
            List<TopicPartition> partitions = topics.stream()
                    .flatMap(topic -> consumer.partitionsFor(topic, READ_TIMEOUT).stream()
                            .map(info -> new TopicPartition(topic, info.partition())))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, READ_TIMEOUT);
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p, READ_TIMEOUT) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topics + " to the end within " + READ_TIMEOUT);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        Map<String, DeadLetter.Replay> replays = new HashMap<>();
        for (ConsumerRecord<String, String> record : records) {
            String replayed = header(record, DeadLetterHeaders.MARKER_REPLAYED);
            if (replayed != null) {
                replays.putIfAbsent(new DeadLetterId(record.topic(), record.partition(), Long.parseLong(replayed))
                        .toString(), new DeadLetter.Replay(header(record, DeadLetterHeaders.MARKER_REPLAYED_TO),
                        Instant.ofEpochMilli(record.timestamp()), header(record, DeadLetterHeaders.MARKER_REPLAYED_BY)));
            }
        }
        return records.stream()
                .filter(record -> header(record, DeadLetterHeaders.MARKER_REPLAYED) == null)
                .map(record -> DeadLetter.of(record, replays.get(
                        new DeadLetterId(record.topic(), record.partition(), record.offset()).toString()), withContent))
                .toList();
    }

    private static String dlqOf(String topic) {
        String main = topic.endsWith(".dlq") ? topic.substring(0, topic.length() - ".dlq".length()) : topic;
        if (!Topics.MAIN.contains(main)) {
            throw DeadLetterException.notFound("'" + topic + "' is none of the platform's topics " + Topics.MAIN);
        }
        return Topics.dlq(main);
    }

    private static RecordMetadata send(KafkaProducer<String, String> producer, ProducerRecord<String, String> record) {
        try {
            return producer.send(record).get(READ_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot write to " + record.topic() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing to " + record.topic(), e);
        }
    }

    private KafkaConsumer<String, String> consumer() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return new KafkaConsumer<>(props);
    }

    private KafkaProducer<String, String> producer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        return new KafkaProducer<>(props);
    }

    private static String header(ConsumerRecord<String, String> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static void add(RecordHeaders headers, String name, String value) {
        if (value != null) {
            headers.add(name, value.getBytes(StandardCharsets.UTF_8));
        }
    }
}
