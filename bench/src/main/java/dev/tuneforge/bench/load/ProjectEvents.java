package dev.tuneforge.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A project's events as its live stream ({@code GET /api/v1/events}, Server-Sent Events) brings them to this
 * process, from the project's first event, each with the {@link System#nanoTime()} at which it arrived: when a
 * client following its project learns that an upload is ready or a job has ended. One stream per project, so
 * waiting for many items costs the platform one open request rather than a poll per item and key. A stream that
 * drops is resumed after the last event seen ({@code after=<seq>}), as a client should; drops are counted.
 */
final class ProjectEvents implements AutoCloseable {

    /** One event as it arrived. */
    record Seen(long seq, String type, String subject, long arrivedAt) {
    }

    private final Map<String, List<Seen>> bySubject = new ConcurrentHashMap<>();
    private final AtomicInteger drops = new AtomicInteger();
    private final HttpClient http;
    private final String url;
    private final String key;
    private final Thread reader;
    private volatile long lastSeq;
    private volatile InputStream current;
    private volatile boolean closed;

    private ProjectEvents(HttpClient http, String url, String key, String project) {
        this.http = http;
        this.url = url;
        this.key = key;
        this.reader = Thread.ofPlatform().name("events-" + project).daemon().unstarted(this::readForever);
    }

    /** Follows the events of the project {@code key} belongs to, from its first. */
    static ProjectEvents follow(HttpClient http, String url, String key, String project) {
        ProjectEvents events = new ProjectEvents(http, url, key, project);
        events.reader.start();
        return events;
    }

    /**
     * The first event about {@code subject} of one of {@code types}, waiting for it until {@code deadline} (a
     * {@link System#nanoTime()} reading); empty if none came by then.
     */
    Optional<Seen> await(String subject, Set<String> types, long deadline) throws InterruptedException {
        synchronized (this) {
            while (true) {
                Optional<Seen> seen = bySubject.getOrDefault(subject, List.of()).stream()
                        .filter(s -> types.contains(s.type())).findFirst();
                long left = deadline - System.nanoTime();
                if (seen.isPresent() || left <= 0) {
                    return seen;
                }
                wait(Math.max(1, left / 1_000_000));
            }
        }
    }

    /** How many times the stream dropped and was resumed. */
    int drops() {
        return drops.get();
    }

    private void readForever() {
        while (!closed) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + "/api/v1/events?after=" + lastSeq))
                    .header("Authorization", "Bearer " + key).header("Accept", "text/event-stream").GET();
            try {
                HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
                current = response.body();
                if (response.statusCode() != 200) {
                    throw new IOException("the event stream answered " + response.statusCode() + ": "
                            + new String(response.body().readAllBytes(), StandardCharsets.UTF_8));
                }
                read(response.body());
                if (!closed) {
                    throw new IOException("the event stream ended");
                }
            } catch (IOException | RuntimeException e) {
                if (closed) {
                    return;
                }
                drops.incrementAndGet();
                System.err.println("load: event stream dropped (" + e.getMessage() + "); resuming after seq " + lastSeq);
                pause();
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Server-Sent Events: fields until a blank line; the data is the event as the API shows it. */
    private void read(InputStream body) throws IOException {
        BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
        StringBuilder data = new StringBuilder();
        String line;
        while ((line = lines.readLine()) != null) {
            if (line.isEmpty()) {
                if (!data.isEmpty()) {
                    arrived(TimedApi.JSON.readTree(data.toString()), System.nanoTime());
                    data.setLength(0);
                }
            } else if (line.startsWith("data:")) {
                data.append(line.substring(line.startsWith("data: ") ? 6 : 5));
            }
        }
    }

    private void arrived(JsonNode event, long at) {
        long seq = event.path("seq").asLong();
        if (seq <= lastSeq) {
            return;
        }
        lastSeq = seq;
        bySubject.computeIfAbsent(event.path("subject").asText(), s -> new CopyOnWriteArrayList<>())
                .add(new Seen(seq, event.path("type").asText(), event.path("subject").asText(), at));
        synchronized (this) {
            notifyAll();
        }
    }

    private void pause() {
        try {
            Thread.sleep(Duration.ofMillis(500));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        closed = true;
        InputStream stream = current;
        if (stream != null) {
            try {
                stream.close();
            } catch (IOException e) {
                // closing to end the read; nothing to do
            }
        }
        reader.interrupt();
        try {
            reader.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
