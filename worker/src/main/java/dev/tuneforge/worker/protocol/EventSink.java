package dev.tuneforge.worker.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintStream;

/** Writes events as JSON lines, flushing each so a launcher sees it at once. */
public final class EventSink {

    public static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    private final PrintStream out;

    public EventSink(PrintStream out) {
        this.out = out;
    }

    public synchronized void emit(WorkerEvent event) {
        try {
            out.println(JSON.writerFor(WorkerEvent.class).writeValueAsString(event));
            out.flush();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + event, e);
        }
    }

    public static WorkerEvent parse(String line) {
        try {
            return JSON.readValue(line, WorkerEvent.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a worker event: " + line, e);
        }
    }
}
