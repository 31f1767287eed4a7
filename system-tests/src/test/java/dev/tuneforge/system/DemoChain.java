package dev.tuneforge.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tuneforge.events.CloudEventHeaders;
import dev.tuneforge.events.DatasetReady;
import dev.tuneforge.events.DatasetUploaded;
import dev.tuneforge.events.EvalFailed;
import dev.tuneforge.events.EvalPassed;
import dev.tuneforge.events.EventCodec;
import dev.tuneforge.events.EventType;
import dev.tuneforge.events.MalformedEventException;
import dev.tuneforge.events.ModelPromoted;
import dev.tuneforge.events.ModelRegistered;
import dev.tuneforge.events.TrainingFinished;
import dev.tuneforge.events.TrainingRequested;
import dev.tuneforge.events.TrainingStarted;
import dev.tuneforge.events.TuneforgeEvent;
import dev.tuneforge.platform.test.TopicClient;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * The chain of events {@code tuneforge demo} causes, read from the wire: DatasetUploaded → DatasetReady →
 * TrainingRequested → TrainingStarted → TrainingFinished → EvalPassed → ModelRegistered → ModelPromoted, each exactly
 * once, each linked to the ones before by ids and digests (and to the lineage the API showed), none earlier than the
 * one before ({@code ce_time}), and after it in its partition where two share one.
 *
 * <p>"Once" is by business key (the dataset version, the job, the model version) and by {@code ce_id}: one event, with
 * one id. The outbox relay publishes at least once, so a crash between its send and its commit puts a second copy of
 * the same record (same {@code ce_id}, same data) on the wire, which every consumer's inbox skips; copies count once,
 * and must be identical. After restarts ({@link #assertOnceDespiteRestarts}) a job may have had several attempts: each
 * started once, numbered from 1 without a gap, and the job finished once.
 */
record DemoChain(Seen uploaded, Seen ready, Seen requested, Seen started, Seen finished, Seen passed, Seen registered,
                 Seen promoted, int attempts) {

    /** One event on the wire: its record (topic, partition, offset, headers) and its data. */
    record Seen(ConsumerRecord<String, String> record, TuneforgeEvent event) {

        Instant time() {
            return OffsetDateTime.parse(TopicClient.header(record, CloudEventHeaders.TIME)).toInstant();
        }

        <T extends TuneforgeEvent> T as(Class<T> type) {
            return type.cast(event);
        }

        @Override
        public String toString() {
            return event.getClass().getSimpleName() + " at " + record.topic() + "-" + record.partition() + "@"
                    + record.offset() + " (" + time() + ")";
        }
    }

    /**
     * The chain of model {@code model} version 1, trained as {@code jobId} on {@code datasetId} version 1, checked
     * against its {@code lineage} from the API; fails unless it is complete, once, linked and in order.
     */
    static DemoChain assertOnceAndInOrder(TopicClient topics, String model, String datasetId, String jobId,
                                          JsonNode lineage) {
        DemoChain chain = assertChain(topics, model, datasetId, jobId, lineage);
        assertEquals(1, chain.attempts(), "the job ran once");
        return chain;
    }

    /** {@link #assertOnceAndInOrder}, where the job may have needed several attempts, each started once. */
    static DemoChain assertOnceDespiteRestarts(TopicClient topics, String model, String datasetId, String jobId,
                                               JsonNode lineage) {
        return assertChain(topics, model, datasetId, jobId, lineage);
    }

    private static DemoChain assertChain(TopicClient topics, String model, String datasetId, String jobId,
                                         JsonNode lineage) {
        Map<String, List<ConsumerRecord<String, String>>> wire = new HashMap<>();
        List<Seen> starts = events(topics, wire, TrainingStarted.class, s -> s.jobId().equals(jobId));
        assertEquals(IntStream.rangeClosed(1, starts.size()).boxed().toList(),
                starts.stream().map(s -> s.as(TrainingStarted.class).attempt()).toList(),
                "each attempt of the job started once, in order: " + starts);
        DemoChain chain = new DemoChain(
                once(topics, wire, DatasetUploaded.class,
                        u -> u.objectKey().equals(lineage.at("/upload/object_key").asText())),
                once(topics, wire, DatasetReady.class, r -> r.datasetId().equals(datasetId) && r.version() == 1),
                once(topics, wire, TrainingRequested.class,
                        r -> r.datasetId().equals(datasetId) && r.datasetVersion() == 1),
                once(topics, wire, TrainingStarted.class, s -> s.jobId().equals(jobId) && s.attempt() == 1),
                once(topics, wire, TrainingFinished.class, f -> f.jobId().equals(jobId)),
                once(topics, wire, EvalPassed.class, p -> p.jobId().equals(jobId)),
                once(topics, wire, ModelRegistered.class, r -> r.modelName().equals(model) && r.version() == 1),
                once(topics, wire, ModelPromoted.class,
                        p -> p.modelName().equals(model) && p.version() == 1 && p.previousVersion() == null),
                starts.size());
        assertEquals(List.of(), events(topics, wire, EvalFailed.class, f -> f.jobId().equals(jobId)));

        assertEquals(lineage.at("/upload/sha256").asText(), chain.uploaded.as(DatasetUploaded.class).sha256());
        DatasetReady ready = chain.ready.as(DatasetReady.class);
        assertEquals(lineage.at("/dataset_version/content_sha256").asText(), ready.contentSha256());
        assertEquals(lineage.at("/dataset_version/train_sha256").asText(), ready.trainSha256());
        assertEquals(jobId, chain.requested.as(TrainingRequested.class).jobId());
        assertEquals(model, chain.requested.as(TrainingRequested.class).modelName());
        assertEquals(1, chain.started.as(TrainingStarted.class).attempt());
        ModelRegistered version = chain.registered.as(ModelRegistered.class);
        assertEquals(jobId, version.jobId());
        assertEquals(chain.passed.as(EvalPassed.class).evalId(), version.evalId());
        assertEquals(chain.finished.as(TrainingFinished.class).artifactSha256(), version.artifactSha256());
        assertEquals(ready.contentSha256(), version.datasetSha256());
        assertEquals(version.artifactSha256(), lineage.at("/model/artifact_sha256").asText());

        List<Seen> inOrder = List.of(chain.uploaded, chain.ready, chain.requested, chain.started, chain.finished,
                chain.passed, chain.registered, chain.promoted);
        for (int i = 1; i < inOrder.size(); i++) {
            Seen before = inOrder.get(i - 1);
            Seen after = inOrder.get(i);
            assertFalse(after.time().isBefore(before.time()), before + " then " + after);
            if (before.record().topic().equals(after.record().topic())
                    && before.record().partition() == after.record().partition()) {
                assertTrue(before.record().offset() < after.record().offset(), before + " then " + after);
            }
        }
        return chain;
    }

    /** The one event of this type that {@code ofTheFlow} picks; fails if there is none or more than one. */
    private static <T extends TuneforgeEvent> Seen once(TopicClient topics,
            Map<String, List<ConsumerRecord<String, String>>> wire, Class<T> type, Predicate<T> ofTheFlow) {
        List<Seen> seen = events(topics, wire, type, ofTheFlow);
        assertEquals(1, seen.size(), type.getSimpleName() + " of the demo's flow: " + seen);
        return seen.getFirst();
    }

    /**
     * The record as an event; empty for a malformed one (poison a test put on the wire), which every consumer
     * dead-letters and no chain is made of.
     */
    private static java.util.Optional<Seen> decoded(EventType type, ConsumerRecord<String, String> record) {
        try {
            return java.util.Optional.of(new Seen(record, EventCodec.read(type, record.value())));
        } catch (MalformedEventException e) {
            return java.util.Optional.empty();
        }
    }

    /** The events of this type that {@code filter} picks, a record and its copies (same {@code ce_id}) as one. */
    private static <T extends TuneforgeEvent> List<Seen> events(TopicClient topics,
            Map<String, List<ConsumerRecord<String, String>>> wire, Class<T> type, Predicate<T> filter) {
        EventType eventType = Arrays.stream(EventType.values()).filter(t -> t.recordClass().equals(type))
                .findFirst().orElseThrow();
        Map<String, Seen> byId = new LinkedHashMap<>();
        wire.computeIfAbsent(eventType.topic(), topics::readAll).stream()
                .filter(r -> eventType.typeName().equals(TopicClient.header(r, CloudEventHeaders.TYPE)))
                .flatMap(r -> decoded(eventType, r).stream())
                .filter(s -> filter.test(type.cast(s.event())))
                .forEach(s -> {
                    Seen first = byId.putIfAbsent(TopicClient.header(s.record(), CloudEventHeaders.ID), s);
                    if (first != null) {
                        assertEquals(first.record().value(), s.record().value(), "two records with one ce_id: "
                                + first + " and " + s);
                    }
                });
        return List.copyOf(byId.values());
    }
}
