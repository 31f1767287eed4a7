package dev.tuneforge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.UUID;
import java.util.function.LongConsumer;
import java.util.function.Predicate;

/**
 * The gateway's REST API as the CLI uses it. Problem details become a {@link CliException} whose
 * message is the problem's title and detail and whose exit code follows the status.
 *
 * <p>A gateway this process has reached once and cannot reach now is restarting (or what it depends on is), not
 * absent: for {@link #RETRY_FOR} a request it never received (connection refused) is sent again, and so is a GET that
 * failed on the way or was answered 500, 502, 503 or 504 (a GET changes nothing, so repeating it is safe); a POST or
 * DELETE is sent again only when answered 503 (the gateway's answer when its database or object store failed and the
 * request was rolled back, or no model server could take a chat request), never after a failure on the way or
 * another 5xx, which may have had an effect. A gateway never reached fails at once, saying how to
 * start it. Event streams reconnect the same way.
 */
public final class GatewayClient {

    /** How long a gateway reached before is waited for. */
    static final Duration RETRY_FOR = Duration.ofMinutes(2);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    /** Gateways (by URL) this process has had an answer from: the nested commands of the demo share it. */
    private static final java.util.Set<String> REACHED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** One Server-Sent Event. */
    public record SseEvent(String id, String name, String data) {
    }

    static final ObjectMapper JSON = new ObjectMapper();

    private final String url;
    private final String key;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public GatewayClient(String url, String key) {
        this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        this.key = key;
    }

    public String url() {
        return url;
    }

    public JsonNode get(String path, Map<String, ?> query) {
        return send(request(path, query).GET().build());
    }

    public JsonNode post(String path, Object body) {
        try {
            String json = body == null ? "{}" : JSON.writeValueAsString(body);
            return send(request(path, Map.of()).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json)).build());
        } catch (IOException e) {
            throw new CliException(ExitCodes.ERROR, "cannot write the request: " + e.getMessage());
        }
    }

    /**
     * Downloads a GET's body into {@code target} (written to a temporary file first, moved into place when
     * complete); returns its size. An error status is a {@link CliException} as for every other call.
     */
    public long download(String path, Map<String, ?> query, Path target) {
        HttpResponse<InputStream> response;
        try {
            response = http.send(request(path, query).setHeader("Accept", "*/*").GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
        } catch (ConnectException e) {
            throw new CliException(ExitCodes.ERROR, "cannot reach the gateway at " + url
                    + " (is it running? `bin/tuneforge up` starts it)");
        } catch (IOException e) {
            throw new CliException(ExitCodes.ERROR, "request to " + url + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.ERROR, "interrupted");
        }
        try (InputStream body = response.body()) {
            if (response.statusCode() / 100 != 2) {
                throw failure(response.statusCode(), new String(body.readAllBytes(), StandardCharsets.UTF_8));
            }
            Path absolute = target.toAbsolutePath();
            Path partial = absolute.resolveSibling(absolute.getFileName() + ".partial");
            long size = Files.copy(body, partial, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.move(partial, absolute, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return size;
        } catch (IOException e) {
            throw new CliException(ExitCodes.ERROR, "cannot download to " + target + ": " + e.getMessage());
        }
    }

    public JsonNode delete(String path) {
        return send(request(path, Map.of()).DELETE().build());
    }

    /** Sends a file as the raw body with its content type; {@code progress} hears the bytes sent so far. */
    public JsonNode postFile(String path, Map<String, ?> query, Path file, String contentType, LongConsumer progress) {
        try {
            long size = Files.size(file);
            return send(request(path, query).header("Content-Type", contentType)
                    .POST(counted(() -> Files.newInputStream(file), size, progress)).build());
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot read " + e.getMessage());
        }
    }

    /**
     * Uploads a file as the raw body, or as multipart ({@code file}, {@code validation_file} and text
     * fields) when there is a validation file; {@code progress} hears the bytes sent so far.
     */
    public JsonNode upload(String path, Map<String, ?> query, Path file, Path validationFile,
                           Map<String, String> fields, LongConsumer progress) {
        try {
            if (validationFile == null) {
                long size = Files.size(file);
                return send(request(path, query).header("Content-Type", "application/jsonl")
                        .POST(counted(() -> Files.newInputStream(file), size, progress)).build());
            }
            String boundary = "tuneforge-" + UUID.randomUUID();
            List<byte[]> head = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            fields.forEach((name, value) -> {
                if (value != null) {
                    text.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"")
                            .append(name).append("\"\r\n\r\n").append(value).append("\r\n");
                }
            });
            head.add(text.toString().getBytes(StandardCharsets.UTF_8));
            byte[] fileHead = partHead(boundary, "file", file);
            byte[] validationHead = partHead(boundary, "validation_file", validationFile);
            byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
            long size = head.get(0).length + fileHead.length + Files.size(file) + 2 + validationHead.length
                    + Files.size(validationFile) + tail.length;
            return send(request(path, query).header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(counted(() -> new SequenceInputStream(Collections.enumeration(List.of(
                            new ByteArrayInputStream(head.get(0)), new ByteArrayInputStream(fileHead),
                            Files.newInputStream(file), new ByteArrayInputStream("\r\n".getBytes(StandardCharsets.UTF_8)),
                            new ByteArrayInputStream(validationHead), Files.newInputStream(validationFile),
                            new ByteArrayInputStream(tail)))), size, progress)).build());
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot read " + e.getMessage());
        }
    }

    private static byte[] partHead(String boundary, String name, Path file) {
        return ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\""
                + file.getFileName() + "\"\r\nContent-Type: application/jsonl\r\n\r\n").getBytes(StandardCharsets.UTF_8);
    }

    private interface Opener {
        InputStream open() throws IOException;
    }

    /**
     * A body of known length (so the gateway can refuse an oversized one at once) that reports progress. An empty
     * one is sent as such ({@code Content-Length: 0}): the JDK's publishers take no length of 0, and an empty file
     * is the server's to judge (dataset-service reports it has no examples).
     */
    private static HttpRequest.BodyPublisher counted(Opener opener, long size, LongConsumer progress) {
        if (size == 0) {
            return HttpRequest.BodyPublishers.noBody();
        }
        return HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
            try {
                return new FilterInputStream(opener.open()) {
                    private long sent;

                    @Override
                    public int read(byte[] buffer, int offset, int length) throws IOException {
                        int read = super.read(buffer, offset, length);
                        if (read > 0) {
                            sent += read;
                            progress.accept(sent);
                        }
                        return read;
                    }
                };
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }), size);
    }

    /**
     * Follows {@code GET /api/v1/events} as Server-Sent Events from {@code lastEventId}, reconnecting
     * with Last-Event-ID when the connection drops, until {@code handler} returns false.
     */
    public void follow(String lastEventId, Predicate<SseEvent> handler) {
        follow("/api/v1/events", lastEventId, handler);
    }

    /**
     * Follows an event stream of the gateway ({@code /api/v1/events}, {@code /api/v1/jobs/{id}/events}) from
     * {@code lastEventId} (null: where the stream starts by default), reconnecting with Last-Event-ID when
     * the connection drops, until {@code handler} returns false.
     */
    public void follow(String path, String lastEventId, Predicate<SseEvent> handler) {
        String last = lastEventId;
        Retries retries = new Retries();
        while (true) {
            HttpRequest.Builder builder = request(path, Map.of()).setHeader("Accept", "text/event-stream");
            if (last != null) {
                builder.header("Last-Event-ID", last);
            }
            HttpResponse<InputStream> response;
            try {
                response = http.send(builder.GET().build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                sleep();
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            REACHED.add(url);
            if (TRANSIENT_STATUSES.contains(response.statusCode()) && retries.another()) {
                discard(response.body());
                continue;
            }
            if (response.statusCode() != 200) {
                try (InputStream body = response.body()) {
                    throw failure(response.statusCode(), new String(body.readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new CliException(ExitCodes.forStatus(response.statusCode()), "HTTP " + response.statusCode());
                }
            }
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String id = null;
                String name = null;
                StringBuilder data = new StringBuilder();
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (line.isEmpty()) {
                        if (!data.isEmpty()) {
                            if (id != null) {
                                last = id;
                            }
                            if (!handler.test(new SseEvent(id, name, data.toString()))) {
                                return;
                            }
                        }
                        id = null;
                        name = null;
                        data.setLength(0);
                    } else if (line.startsWith("id:")) {
                        id = field(line);
                    } else if (line.startsWith("event:")) {
                        name = field(line);
                    } else if (line.startsWith("data:")) {
                        data.append(data.isEmpty() ? "" : "\n").append(field(line));
                    }
                }
            } catch (IOException e) {
                // dropped: reconnect below, from the last event seen
            }
            retries = new Retries(); // it was connected: a later outage has its own window
            sleep();
        }
    }

    private static String field(String line) {
        String value = line.substring(line.indexOf(':') + 1);
        return value.startsWith(" ") ? value.substring(1) : value;
    }

    private HttpRequest.Builder request(String path, Map<String, ?> query) {
        StringJoiner params = new StringJoiner("&", "?", "").setEmptyValue("");
        new LinkedHashMap<>(query).forEach((name, value) -> {
            if (value != null) {
                params.add(name + "=" + URLEncoder.encode(value.toString(), StandardCharsets.UTF_8));
            }
        });
        HttpRequest.Builder builder;
        try {
            builder = HttpRequest.newBuilder(URI.create(url + path + params)).timeout(Duration.ofMinutes(10));
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "not a valid gateway URL: '" + url + "'");
        }
        if (key != null) {
            builder.header("Authorization", "Bearer " + key);
        }
        return builder.header("Accept", "application/json");
    }

    private JsonNode send(HttpRequest request) {
        boolean safe = request.method().equals("GET");
        Retries retries = new Retries();
        HttpResponse<String> response;
        while (true) {
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (ConnectException e) {
                if (REACHED.contains(url) && retries.another()) {
                    continue; // never sent: safe to send again, whatever it is
                }
                throw new CliException(ExitCodes.ERROR, "cannot reach the gateway at " + url
                        + (REACHED.contains(url) ? " (retried for " + RETRY_FOR.toMinutes() + " min)"
                        : " (is it running? `bin/tuneforge up` starts it)"));
            } catch (IOException e) {
                if (safe && REACHED.contains(url) && retries.another()) {
                    continue;
                }
                throw new CliException(ExitCodes.ERROR, "request to " + url + " failed: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(ExitCodes.ERROR, "interrupted");
            }
            REACHED.add(url);
            int status = response.statusCode();
            boolean again = safe ? TRANSIENT_STATUSES.contains(status) : status == NOT_DONE;
            if (!(again && retries.another())) {
                break;
            }
        }
        if (response.statusCode() / 100 != 2) {
            throw failure(response.statusCode(), response.body());
        }
        try {
            return response.body().isBlank() ? JSON.nullNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            throw new CliException(ExitCodes.ERROR, "the gateway answered something that is not JSON: " + e.getMessage());
        }
    }

    private static CliException failure(int status, String body) {
        String message = "HTTP " + status;
        try {
            JsonNode problem = JSON.readTree(body);
            if (problem != null && problem.hasNonNull("title")) {
                message = problem.path("title").asText() + " (" + status + ")"
                        + (problem.hasNonNull("detail") ? ": " + problem.path("detail").asText() : "");
            }
        } catch (IOException e) {
            // not a problem document; the status says enough
        }
        return new CliException(ExitCodes.forStatus(status), message);
    }

    /** Answers of a gateway that is restarting, or whose database or broker is: a GET is asked again. */
    private static final java.util.Set<Integer> TRANSIENT_STATUSES = java.util.Set.of(500, 502, 503, 504);
    /** The gateway's answer to a request it did not carry out (a fault it could roll back, busy model servers). */
    private static final int NOT_DONE = 503;

    /** One request's tries: another one, after a backoff (0.5 s doubling up to 5 s), until {@link #RETRY_FOR} is over. */
    private static final class Retries {
        private final long deadline = System.nanoTime() + RETRY_FOR.toNanos();
        private long backoffMillis = 500;

        boolean another() {
            if (System.nanoTime() + backoffMillis * 1_000_000 > deadline) {
                return false;
            }
            try {
                Thread.sleep(backoffMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CliException(ExitCodes.ERROR, "interrupted");
            }
            backoffMillis = Math.min(backoffMillis * 2, MAX_BACKOFF.toMillis());
            return true;
        }
    }

    private static void discard(InputStream body) {
        try (InputStream in = body) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (IOException e) {
            // the connection is dropped either way
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(ExitCodes.ERROR, "interrupted");
        }
    }
}
