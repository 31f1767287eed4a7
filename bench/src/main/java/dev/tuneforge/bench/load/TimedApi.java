package dev.tuneforge.bench.load;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The gateway's API as one load client calls it: one API key, every call timed and tallied in a {@link CallTally},
 * nothing asserted. A 429 (the per-key rate limit) is tallied and the call made again after its
 * {@code Retry-After}, so the limit costs time but never an item; a call that gets no answer (refused, reset,
 * timed out) is not made again: the load test counts it as an error.
 */
final class TimedApi {

    static final ObjectMapper JSON = new ObjectMapper();
    /** How many 429s in a row one call sits out before it counts as failed. */
    private static final int MAX_RATE_LIMITED = 30;

    /** What one call got. */
    sealed interface Outcome permits Answer, NoAnswer {
    }

    /**
     * An HTTP answer; {@code sentAt} and {@code answeredAt} are {@link System#nanoTime()} readings around the
     * call that got it (after any 429s).
     */
    record Answer(int status, String body, long sentAt, long answeredAt) implements Outcome {

        Duration latency() {
            return Duration.ofNanos(answeredAt - sentAt);
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("not JSON: " + body, e);
            }
        }
    }

    /** No HTTP answer at all. */
    record NoAnswer(Exception cause) implements Outcome {
    }

    private final HttpClient http;
    private final String url;
    private final String key;
    private final CallTally tally;
    private final Duration timeout;

    TimedApi(HttpClient http, String url, String key, CallTally tally, Duration timeout) {
        this.http = http;
        this.url = url;
        this.key = key;
        this.tally = tally;
        this.timeout = timeout;
    }

    /** The same gateway with another key, tallied in {@code into}. */
    TimedApi as(String otherKey, CallTally into) {
        return new TimedApi(http, url, otherKey, into, timeout);
    }

    /** The same key with another timeout for each call. */
    TimedApi withTimeout(Duration callTimeout) {
        return new TimedApi(http, url, key, tally, callTimeout);
    }

    String url() {
        return url;
    }

    String key() {
        return key;
    }

    Outcome get(String path) {
        return send("GET " + path, request(path).GET());
    }

    Outcome post(String path, String contentType, String body) {
        return send("POST " + path, request(path).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    Outcome postJson(String path, Object body) {
        try {
            return post(path, "application/json", JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** For setup, which must not fail: the JSON answer, if the call got {@code expected}. */
    static JsonNode require(Outcome outcome, int expected, String what) {
        if (outcome instanceof Answer answer && answer.status() == expected) {
            return answer.json();
        }
        throw new IllegalStateException(what + " failed: " + switch (outcome) {
            case Answer answer -> answer.status() + " " + answer.body();
            case NoAnswer none -> none.cause().toString();
        });
    }

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(url + path)).timeout(timeout).header("Authorization", "Bearer " + key);
    }

    private Outcome send(String call, HttpRequest.Builder request) {
        HttpRequest built = request.build();
        for (int limited = 0; ; limited++) {
            long sent = System.nanoTime();
            HttpResponse<String> response;
            try {
                response = http.send(built, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                tally.noAnswer(call, e);
                return new NoAnswer(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                tally.noAnswer(call, e);
                return new NoAnswer(e);
            }
            long answered = System.nanoTime();
            tally.answered(call, response.statusCode(), response.body());
            if (response.statusCode() != 429 || limited >= MAX_RATE_LIMITED) {
                return new Answer(response.statusCode(), response.body(), sent, answered);
            }
            long wait = response.headers().firstValueAsLong("Retry-After").orElse(1);
            try {
                Thread.sleep(Duration.ofSeconds(Math.max(1, wait)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Answer(response.statusCode(), response.body(), sent, answered);
            }
        }
    }
}
