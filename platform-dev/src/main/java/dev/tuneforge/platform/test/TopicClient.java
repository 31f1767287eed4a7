package dev.tuneforge.platform.test;

import dev.tuneforge.events.CloudEventHeaders;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventEnvelope;
import dev.tuneforge.events.EventType;
import dev.tuneforge.events.TuneforgeEvent;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * What tests see on the wire: reads whole topics and writes records with plain Kafka clients,
 * including CloudEvents binary-mode records exactly as the services' outbox relay writes them.
 */
public final class TopicClient {

    private final String bootstrap;

    public TopicClient(String bootstrapServers) {
        this.bootstrap = bootstrapServers;
    }

    /** Every record of the topic, from the beginning to its current end. */
    public List<ConsumerRecord<String, String>> readAll(String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + topic + " to its end");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    /** The events of one type on its topic, optionally only those of one aggregate (null: all). */
    public <T extends TuneforgeEvent> List<T> events(Class<T> type, String aggregateId) {
        EventType eventType = EventType.byName(typeName(type)).orElseThrow();
        return readAll(eventType.topic()).stream()
                .filter(r -> eventType.typeName().equals(header(r, CloudEventHeaders.TYPE)))
                .filter(r -> aggregateId == null || aggregateId.equals(r.key()))
                .map(r -> type.cast(EventCodec.read(eventType, r.value())))
                .toList();
    }

    /** Publishes an event as a service would, and returns its envelope (ce_id included). */
    public EventEnvelope publish(TuneforgeEvent event, String source) {
        EventEnvelope envelope = EventEnvelope.wrap(event, source);
        send(toRecord(envelope));
        return envelope;
    }

    /** The exact record the relay writes for this envelope; sending it twice is a redelivery. */
    public static ProducerRecord<String, String> toRecord(EventEnvelope envelope) {
        RecordHeaders headers = new RecordHeaders();
        add(headers, CloudEventHeaders.SPEC_VERSION, CloudEventHeaders.SPEC_VERSION_VALUE);
        add(headers, CloudEventHeaders.ID, envelope.id().toString());
        add(headers, CloudEventHeaders.TYPE, envelope.type().typeName());
        add(headers, CloudEventHeaders.SOURCE, envelope.source());
        add(headers, CloudEventHeaders.SUBJECT, envelope.subject());
        add(headers, CloudEventHeaders.TIME, envelope.time().toString());
        add(headers, CloudEventHeaders.CONTENT_TYPE, CloudEventHeaders.JSON);
        return new ProducerRecord<>(envelope.topic(), null, envelope.subject(), EventCodec.toJson(envelope.data()),
                headers);
    }

    /** Sends one record and returns where it landed. */
    public RecordMetadata send(ProducerRecord<String, String> record) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            return producer.send(record).get();
        } catch (Exception e) {
            throw new IllegalStateException("cannot send to " + record.topic(), e);
        }
    }

    /** Whether the consumer group has committed past this record: it was consumed and acknowledged. */
    public boolean consumed(String groupId, RecordMetadata record) {
        return consumed(groupId, new TopicPartition(record.topic(), record.partition()), record.offset());
    }

    /** Whether the consumer group has committed past this record: it was consumed and acknowledged. */
    public boolean consumed(String groupId, ConsumerRecord<?, ?> record) {
        return consumed(groupId, new TopicPartition(record.topic(), record.partition()), record.offset());
    }

    private boolean consumed(String groupId, TopicPartition partition, long offset) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(props)) {
            OffsetAndMetadata committed = admin.listConsumerGroupOffsets(groupId)
                    .partitionsToOffsetAndMetadata().get().get(partition);
            return committed != null && committed.offset() > offset;
        } catch (Exception e) {
            throw new IllegalStateException("cannot read offsets of group " + groupId, e);
        }
    }

    public static String header(ConsumerRecord<String, String> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static String typeName(Class<? extends TuneforgeEvent> type) {
        for (EventType candidate : EventType.values()) {
            if (candidate.recordClass().equals(type)) {
                return candidate.typeName();
            }
        }
        throw new IllegalArgumentException(type + " is not in the catalogue");
    }

    private static void add(RecordHeaders headers, String name, String value) {
        if (value != null) {
            headers.add(name, value.getBytes(StandardCharsets.UTF_8));
        }
    }
}
