package dev.tuneforge.gateway.domain;

import dev.tuneforge.gateway.config.GatewayConfig;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Per-key token buckets, in memory: {@code capacity} requests at once, refilled at
 * {@code refill-per-second}. Per gateway replica; good enough to stop a runaway script.
 */
@ApplicationScoped
public class RateLimiter {

    private final double capacity;
    private final double refillPerSecond;
    private final ConcurrentMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    public RateLimiter(GatewayConfig config) {
        this.capacity = config.rateLimit().capacity();
        this.refillPerSecond = config.rateLimit().refillPerSecond();
    }

    /** @return 0 when the request may go ahead, otherwise the seconds to wait before the next one */
    public long acquire(String keyId) {
        return buckets.computeIfAbsent(keyId, id -> new Bucket()).take();
    }

    private final class Bucket {
        private double tokens = capacity;
        private long refilledAt = System.nanoTime();

        synchronized long take() {
            long now = System.nanoTime();
            tokens = Math.min(capacity, tokens + (now - refilledAt) / 1e9 * refillPerSecond);
            refilledAt = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return Math.max(1, (long) Math.ceil((1 - tokens) / refillPerSecond));
        }
    }
}
