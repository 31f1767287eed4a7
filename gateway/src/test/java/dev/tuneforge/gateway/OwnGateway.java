package dev.tuneforge.gateway;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.util.Map;

/**
 * A gateway of its own for the tests whose limits the shared test application must not have: a per-key
 * rate that a few dozen requests use up and that does not come back while a test runs (one request per
 * 1000 s), however fast the machine. Every test class of this profile shares one application.
 */
public class OwnGateway implements QuarkusTestProfile {

    /** Requests a fresh key may make at once. */
    static final int RATE_CAPACITY = 40;

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.of(
                "tuneforge.rate-limit.capacity", Integer.toString(RATE_CAPACITY),
                "tuneforge.rate-limit.refill-per-second", "0.001");
    }
}
