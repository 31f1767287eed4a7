package dev.tuneforge.events;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventCodecTest {

    @Test
    void samplesCoverTheWholeCatalogue() {
        Set<EventType> sampled = EventSamples.all().stream().map(EventType::of).collect(Collectors.toSet());
        assertEquals(Set.of(EventType.values()), sampled);
    }

    @Test
    void everyTypeRoundTrips() {
        for (TuneforgeEvent event : EventSamples.all()) {
            EventType type = EventType.of(event);
            String json = EventCodec.toJson(event);
            TuneforgeEvent back = EventCodec.fromJson(type.typeName(), json).orElseThrow();
            assertEquals(event, back, type.typeName());
            assertEquals(EventSamples.PROJECT, back.projectId());
        }
    }

    @Test
    void typeNamesAreVersionedAndUnique() {
        for (EventType type : EventType.values()) {
            assertTrue(type.typeName().matches("dev\\.tuneforge\\.[a-z]+\\.[a-z-]+\\.v\\d+"), type.typeName());
            assertTrue(Topics.MAIN.contains(type.topic()), type.topic());
        }
        long distinct = Arrays.stream(EventType.values()).map(EventType::typeName).distinct().count();
        assertEquals(EventType.values().length, distinct);
    }

    @Test
    void oldConsumerIgnoresAnAddedOptionalField() throws Exception {
        TuneforgeEvent event = EventSamples.all().get(0);
        ObjectNode newer = (ObjectNode) EventCodec.mapper().readTree(EventCodec.toJson(event));
        newer.put("licence", "cc-by-4.0");
        newer.putObject("provenance").put("crawler", "v2");

        TuneforgeEvent read = EventCodec.fromJson(EventType.DATASET_UPLOADED.typeName(), newer.toString()).orElseThrow();

        assertEquals(event, read);
    }

    @Test
    void newConsumerReadsAnOlderEventWithoutTheOptionalField() throws Exception {
        DatasetReady ready = (DatasetReady) EventSamples.all().get(1);
        ObjectNode older = (ObjectNode) EventCodec.mapper().readTree(EventCodec.toJson(ready));
        older.remove("parentVersion");
        older.remove("tokenStats");

        DatasetReady read = (DatasetReady) EventCodec.read(EventType.DATASET_READY, older.toString());

        assertNull(read.parentVersion());
        assertNull(read.tokenStats());
        assertEquals(ready.trainKey(), read.trainKey());
    }

    @Test
    void jobEventsFromBeforeRuntimesReadWithoutOne() throws Exception {
        for (TuneforgeEvent event : EventSamples.all()) {
            if (event instanceof TrainingRequested || event instanceof TrainingFinished
                    || event instanceof PipelineConfigured) {
                ObjectNode older = (ObjectNode) EventCodec.mapper().readTree(EventCodec.toJson(event));
                older.remove("runtime");

                TuneforgeEvent read = EventCodec.read(EventType.of(event), older.toString());

                assertNull(switch (read) {
                    case TrainingRequested r -> r.runtime();
                    case TrainingFinished f -> f.runtime();
                    case PipelineConfigured p -> p.runtime();
                    default -> throw new IllegalStateException();
                });
            }
        }
    }

    @Test
    void unknownTypeIsSkippedNotFailed() {
        assertTrue(EventCodec.fromJson("dev.tuneforge.dataset.exploded.v7", "{\"x\":1}").isEmpty());
    }

    @Test
    void malformedDataOfAKnownTypeIsRejectedWithTheReason() {
        MalformedEventException notJson = assertThrows(MalformedEventException.class,
                () -> EventCodec.fromJson(EventType.DATASET_READY.typeName(), "{not json"));
        assertTrue(notJson.getMessage().contains("dev.tuneforge.dataset.ready.v1"), notJson.getMessage());

        MalformedEventException noIds = assertThrows(MalformedEventException.class,
                () -> EventCodec.fromJson(EventType.DATASET_READY.typeName(), "{\"version\":1}"));
        assertTrue(noIds.getMessage().contains("projectId"), noIds.getMessage());
    }

    @Test
    void envelopeUsesTheAggregateAsSubjectAndTheCataloguedTopic() {
        TuneforgeEvent finished = EventSamples.all().stream().filter(TrainingFinished.class::isInstance).findFirst().orElseThrow();
        EventEnvelope envelope = EventEnvelope.wrap(finished, "trainer-service");
        assertEquals("job_1", envelope.subject());
        assertEquals(Topics.TRAINING, envelope.topic());
        assertEquals(EventType.TRAINING_FINISHED, envelope.type());
    }
}
