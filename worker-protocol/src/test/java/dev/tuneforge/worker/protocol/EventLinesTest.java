package dev.tuneforge.worker.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The events' codec and {@code events.schema.json} agree: every kind of event the codec writes is a valid line,
 * the document's example lines are valid and read as events, and what a newer runtime may add is skipped.
 */
class EventLinesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One of each kind; the first test checks that none is missing. */
    private static List<WorkerEvent> oneOfEach() {
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("global_step", 6);
        metrics.put("early_stopped", false);
        metrics.put("valid_loss", 4.95);
        return List.of(
                new WorkerEvent.Started("train", "djl", "cpu", 6, 24, 8, 1536, 0),
                new WorkerEvent.Started("train", "torch", "cuda", 60, 240, null, 1536, 20, 8),
                new WorkerEvent.Progress(1, 6, 0.333, 5.71, 0.0, 1.93, 5210.4, 1.2),
                new WorkerEvent.Eval(3, 5.2, 0.07),
                new WorkerEvent.Checkpoint(4, "/work/out/checkpoint-4"),
                new WorkerEvent.Stopped(4, "/work/out/checkpoint-4", "SIGTERM"),
                new WorkerEvent.Stopped(0, null, "SIGTERM"),
                new WorkerEvent.Serving("127.0.0.1", 8000, "adapter", "http://127.0.0.1:8000/v1"),
                new WorkerEvent.Finished(6, Map.of("adapter", "/work/out/adapter"), metrics),
                new WorkerEvent.Failed(FailureCode.BAD_SPEC, "hyperparameters.learning_rate: must be > 0.0"),
                new WorkerEvent.Failed(FailureCode.OUT_OF_RESOURCES, "out of memory"),
                new WorkerEvent.Failed(FailureCode.INTERNAL, "java.lang.NullPointerException"));
    }

    @Test
    void everyEventTheCodecWritesIsAValidLineAndReadsBackAsItself() {
        Set<Class<?>> kinds = oneOfEach().stream().map(Object::getClass).collect(Collectors.toSet());
        assertEquals(Set.of(WorkerEvent.class.getPermittedSubclasses()), kinds, "one of each kind of event");
        for (WorkerEvent event : oneOfEach()) {
            String line = EventLines.write(event);
            assertFalse(line.contains("\n"), line);
            assertEquals(event, ProtocolSchemaValidator.validEvent(line));
        }
    }

    @Test
    void everyExampleLineOfTheDocumentIsValidAndReadsAsAnEvent() {
        List<String> lines = ProtocolDoc.blocks("events").stream().flatMap(String::lines)
                .filter(l -> !l.isBlank()).toList();
        Set<Class<?>> kinds = lines.stream().map(ProtocolSchemaValidator::validEvent).map(Object::getClass)
                .collect(Collectors.toSet());
        assertEquals(Set.of(WorkerEvent.Started.class, WorkerEvent.Progress.class, WorkerEvent.Eval.class,
                WorkerEvent.Checkpoint.class, WorkerEvent.Serving.class, WorkerEvent.Finished.class,
                WorkerEvent.Failed.class), kinds);
    }

    @Test
    void optionalFieldsAreLeftOutWhenNull() throws Exception {
        JsonNode started = JSON.readTree(EventLines.write(new WorkerEvent.Started("evaluate", "djl", "cpu", 8, 8, null,
                0, 0)));
        assertFalse(started.has("validation_examples"));
        assertFalse(started.has("world_size"));
        assertFalse(JSON.readTree(EventLines.write(new WorkerEvent.Stopped(0, null, "SIGTERM"))).has("checkpoint"));
    }

    @Test
    void fieldsANewerRuntimeAddsAreIgnored() {
        WorkerEvent event = EventLines.parse("{\"event\":\"eval\",\"step\":3,\"valid_loss\":5.2,\"token_accuracy\":0.07,"
                + "\"perplexity\":181.3,\"per_task\":{\"a\":1}}").orElseThrow();
        assertEquals(new WorkerEvent.Eval(3, 5.2, 0.07), event);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"event\":\"profiled\",\"step\":3,\"flops\":1e12}",
        "{\"step\":3,\"valid_loss\":5.2}",
        "{\"event\":7}",
        "{\"event\":\"eval\",\"step\":\"three\"}",
        "{\"event\":\"eval\",",
        "Loading libtorch from /tmp/djl",
        "",
        "[1, 2]",
    })
    void aLineThatIsNotAnEventThisVersionKnowsIsSkipped(String line) {
        assertEquals(Optional.empty(), EventLines.parse(line));
    }

    @Test
    void aNullLineIsSkipped() {
        assertEquals(Optional.empty(), EventLines.parse(null));
    }

    @Test
    void aFailureCodeThisVersionDoesNotKnowReadsAsInternalKeepingItsExitCodeAndMessage() {
        WorkerEvent.Failed failed = assertInstanceOf(WorkerEvent.Failed.class, EventLines.parse(
                "{\"event\":\"failed\",\"code\":\"bad_model\",\"exit_code\":2,\"message\":\"no config.json\"}")
                .orElseThrow());
        assertEquals(new WorkerEvent.Failed(FailureCode.INTERNAL, 2, "no config.json"), failed);
    }

    @Test
    void requiredFieldsAnOlderRuntimeLeftOutReadAsEmptyNotAsAFailure() {
        assertEquals(new WorkerEvent.Finished(4, Map.of(), Map.of()),
                EventLines.parse("{\"event\":\"finished\",\"best_step\":4}").orElseThrow());
        assertEquals(new WorkerEvent.Failed(FailureCode.INTERNAL, 1, "m"),
                EventLines.parse("{\"event\":\"failed\",\"exit_code\":1,\"message\":\"m\"}").orElseThrow());
    }

    @Test
    void finishedKeepsItsNumericMetricsForConsumersThatRecordNumbers() {
        WorkerEvent.Finished finished = (WorkerEvent.Finished) oneOfEach().get(8);
        assertEquals(Map.of("global_step", 6.0, "valid_loss", 4.95), finished.numericMetrics());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{\"event\":\"started\",\"command\":\"train\",\"runtime\":\"jax\",\"device\":\"cpu\",\"total_steps\":6,\"train_examples\":24,\"trainable_parameters\":1,\"resumed_from_step\":0}",
        "{\"event\":\"started\",\"command\":\"train\",\"runtime\":\"torch\",\"device\":\"cpu\",\"total_steps\":6,\"train_examples\":24,\"trainable_parameters\":1,\"resumed_from_step\":0,\"world_size\":0}",
        "{\"event\":\"started\",\"command\":\"train\",\"runtime\":\"djl\",\"device\":\"cpu\",\"train_examples\":24,\"trainable_parameters\":1,\"resumed_from_step\":0}",
        "{\"event\":\"eval\",\"step\":3,\"valid_loss\":5.2,\"token_accuracy\":0.07,\"perplexity\":181.3}",
        "{\"event\":\"failed\",\"code\":\"bad_spec\",\"exit_code\":1,\"message\":\"m\"}",
        "{\"event\":\"failed\",\"code\":\"bad_model\",\"exit_code\":2,\"message\":\"m\"}",
        "{\"event\":\"finished\",\"best_step\":6,\"outputs\":{\"adapter\":7},\"metrics\":{}}",
        "{\"event\":\"profiled\",\"step\":3}",
    })
    void theSchemaHoldsARuntimeToTheDocumentedEvents(String line) throws Exception {
        assertFalse(ProtocolSchemaValidator.problems(ProtocolSchemas.EVENTS, JSON.readTree(line)).isEmpty(),
                "the schema accepts " + line);
    }

    @Test
    void theSchemaAcceptsAMultiProcessStartOfTheTorchRuntime() throws Exception {
        String line = EventLines.write(new WorkerEvent.Started("train", "torch", "cuda:0", 60, 240, 24, 1536, 0, 8));
        assertTrue(JSON.readTree(line).path("world_size").canConvertToInt());
        assertEquals(Set.of(), ProtocolSchemaValidator.problems(ProtocolSchemas.EVENTS, JSON.readTree(line)));
        assertEquals(8, ((WorkerEvent.Started) EventLines.parse(line).orElseThrow()).worldSize());
    }
}
