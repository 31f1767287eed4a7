package dev.tuneforge.gateway;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A minimal Server-Sent Events client for tests: events land in a queue; close() disconnects. */
final class SseClient implements AutoCloseable {

    record Event(String id, String name, String data) {
    }

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final Thread reader;
    private volatile InputStream body;
    private volatile int status;
    private volatile boolean closing;
    private volatile boolean ended;

    private SseClient(HttpRequest request) {
        reader = Thread.ofPlatform().daemon().start(() -> read(request));
    }

    static SseClient open(URI uri, String key, String lastEventId) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream");
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        return new SseClient(request.GET().build());
    }

    private void read(HttpRequest request) {
        try {
            HttpResponse<InputStream> response = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
            status = response.statusCode();
            body = response.body();
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
                String id = null;
                String name = null;
                StringBuilder data = new StringBuilder();
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (line.isEmpty()) {
                        if (!data.isEmpty()) {
                            events.add(new Event(id, name, data.toString()));
                        }
                        id = null;
                        name = null;
                        data.setLength(0);
                    } else if (line.startsWith("id:")) {
                        id = line.substring(3).strip();
                    } else if (line.startsWith("event:")) {
                        name = line.substring(6).strip();
                    } else if (line.startsWith("data:")) {
                        data.append(line.substring(5).strip());
                    }
                }
            }
            ended = true;
        } catch (IOException e) {
            ended = !closing;
        } catch (InterruptedException e) {
            // closed by the test
        }
    }

    int status() {
        return status;
    }

    /** Whether the server ended the stream (not this client). */
    boolean ended() {
        return ended;
    }

    /** The next event, or null if none arrives within the timeout. */
    Event next(Duration timeout) throws InterruptedException {
        return events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Every event that arrives within {@code window}. */
    List<Event> drain(Duration window) throws InterruptedException {
        List<Event> received = new ArrayList<>();
        long deadline = System.nanoTime() + window.toNanos();
        while (System.nanoTime() < deadline) {
            Event event = events.poll(50, TimeUnit.MILLISECONDS);
            if (event != null) {
                received.add(event);
            }
        }
        return received;
    }

    @Override
    public void close() {
        closing = true;
        try {
            if (body != null) {
                body.close();
            }
        } catch (IOException ignored) {
            // already gone
        }
        reader.interrupt();
    }
}
