package dev.tuneforge.gateway.domain;

import dev.tuneforge.gateway.config.GatewayConfig;
import dev.tuneforge.gateway.storage.ApiKeyStore;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The event streams (Server-Sent Events) open on this replica, per caller. A stream lives no longer than the
 * key that opened it: revoking or rotating a key ends its streams here at once ({@link #endAll}, called once the
 * change is committed), and every stream looks its key up again every {@code tuneforge.events.key-check-interval},
 * which ends it on the other replicas too. A caller holds at most {@code tuneforge.events.max-streams-per-key}
 * streams at once (each holds a connection and polls the database); one more is a 429. An OIDC caller has no
 * key row to revoke: its streams end when its token expires ({@link Caller#expiresAt()}), as a request with that
 * token would then be refused, or with the connection.
 */
@ApplicationScoped
public class EventStreams {

    /** What a refused stream's {@code Retry-After} says: streams end when their clients go, at no set time. */
    static final long RETRY_AFTER_SECONDS = 5;

    private final ApiKeyStore keys;
    private final int maxPerKey;
    private final long checkIntervalNanos;
    private final ConcurrentMap<String, Set<Stream>> open = new ConcurrentHashMap<>();

    public EventStreams(ApiKeyStore keys, GatewayConfig config) {
        this.keys = keys;
        this.maxPerKey = config.events().maxStreamsPerKey();
        this.checkIntervalNanos = config.events().keyCheckInterval().toNanos();
    }

    /** Opens a stream for the caller, or refuses it (429) when the caller holds its maximum already. */
    public Stream open(Caller caller) {
        Optional<KeyView> key = keys.find(caller.keyId());
        Stream stream = new Stream(caller.keyId(), key.isPresent(), key.map(KeyView::rotatedAt).orElse(null),
                caller.expiresAt());
        open.compute(caller.keyId(), (id, streams) -> {
            Set<Stream> mine = streams == null ? ConcurrentHashMap.newKeySet() : streams;
            if (mine.size() >= maxPerKey) {
                throw DomainException.limited("too-many-streams", "Too many streams", "this caller has " + mine.size()
                        + " event streams open, the most it may (tuneforge.events.max-streams-per-key); close one,"
                        + " or retry in " + RETRY_AFTER_SECONDS + "s", RETRY_AFTER_SECONDS);
            }
            mine.add(stream);
            return mine;
        });
        return stream;
    }

    /** Ends every stream of the key on this replica (it was revoked or rotated). */
    public void endAll(String keyId) {
        Set<Stream> streams = open.get(keyId);
        if (streams != null) {
            streams.forEach(Stream::end);
        }
    }

    /** One open stream; {@link #live()} says whether it may go on, {@link #close()} gives its place back. */
    public final class Stream implements AutoCloseable {

        private final String keyId;
        private final boolean apiKey;
        private final OffsetDateTime rotatedAt;
        private final Instant expiresAt;
        private volatile boolean ended;
        private volatile long nextCheck;

        private Stream(String keyId, boolean apiKey, OffsetDateTime rotatedAt, Instant expiresAt) {
            this.keyId = keyId;
            this.apiKey = apiKey;
            this.rotatedAt = rotatedAt;
            this.expiresAt = expiresAt;
            this.nextCheck = System.nanoTime() + checkIntervalNanos;
        }

        /**
         * False once the key that opened the stream is revoked or rotated, or the token that opened it has expired;
         * looks the key up when the check interval has passed (a blocking call: from a worker thread).
         */
        public boolean live() {
            if (expiresAt != null && !Instant.now().isBefore(expiresAt)) {
                ended = true;
            }
            if (!ended && apiKey && System.nanoTime() - nextCheck >= 0) {
                nextCheck = System.nanoTime() + checkIntervalNanos;
                Optional<KeyView> key = keys.find(keyId);
                if (key.isEmpty() || key.get().revokedAt() != null
                        || !Objects.equals(key.get().rotatedAt(), rotatedAt)) {
                    ended = true;
                }
            }
            return !ended;
        }

        void end() {
            ended = true;
        }

        @Override
        public void close() {
            open.computeIfPresent(keyId, (id, streams) -> {
                streams.remove(this);
                return streams.isEmpty() ? null : streams;
            });
        }
    }
}
