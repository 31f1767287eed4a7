package dev.tuneforge.events;

import java.util.List;
import java.util.stream.Stream;

/**
 * Kafka topics: one per aggregate stream, each with a dead-letter twin. The platform creates them
 * up front with explicit partitions (Kafka key = aggregate id, so one aggregate stays ordered).
 */
public final class Topics {

    public static final String DATASETS = "tuneforge.datasets";
    public static final String TRAINING = "tuneforge.training";
    public static final String EVAL = "tuneforge.eval";
    public static final String REGISTRY = "tuneforge.registry";
    public static final String MONITORING = "tuneforge.monitoring";
    /** Requests from the gateway (train, cancel, promote, roll back, configure a pipeline). */
    public static final String COMMANDS = "tuneforge.commands";

    /** Partitions of every main topic; enough for a few consumer replicas per service. */
    public static final int PARTITIONS = 3;
    /** Dead-letter topics are read by people and tools, not scaled consumers. */
    public static final int DLQ_PARTITIONS = 1;

    public static final List<String> MAIN = List.of(DATASETS, TRAINING, EVAL, REGISTRY, MONITORING, COMMANDS);

    private Topics() {
    }

    public static String dlq(String topic) {
        return topic + ".dlq";
    }

    /** Every topic the platform creates: the main topics and their dead-letter twins. */
    public static List<String> all() {
        return Stream.concat(MAIN.stream(), MAIN.stream().map(Topics::dlq)).toList();
    }
}
