package dev.tuneforge.worker;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tuneforge.worker.protocol.EventLines;
import dev.tuneforge.worker.protocol.WorkerEvent;
import java.io.PrintStream;

/**
 * Writes the runtime's events to stdout as the protocol's JSON lines ({@link EventLines}), flushing each so a
 * launcher sees it at once; one line at a time, whichever thread emits.
 */
public final class EventSink {

    /** snake_case JSON for the files the worker writes beside its events (trainer state, evaluation results). */
    public static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private final PrintStream out;

    public EventSink(PrintStream out) {
        this.out = out;
    }

    public synchronized void emit(WorkerEvent event) {
        out.println(EventLines.write(event));
        out.flush();
    }
}
