package dev.tuneforge.gateway;

import io.quarkus.test.junit.QuarkusTestProfile;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A gateway of its own, for what the shared test application cannot show:
 * <ul>
 * <li>its first start: its tables are a schema of their own, emptied at start, and no admin key is preset,
 *     so it creates the platform admin key and hands it over through {@code tuneforge.admin-key-file}
 *     ({@link #adminKey()}), as under {@code bin/tuneforge up};</li>
 * <li>its log, written to {@link #LOG} from the first line on;</li>
 * <li>limits small enough to reach: a per-key rate that a few dozen requests use up and that does not come
 *     back while a test runs (one request per 1000 s), however fast the machine; two event streams per key.</li>
 * </ul>
 * Every test class of this profile shares one application.
 */
public class OwnGateway implements QuarkusTestProfile {

    /** Requests a fresh key may make at once. */
    static final int RATE_CAPACITY = 40;
    /** Event streams a key may hold open at once. */
    static final int STREAMS_PER_KEY = 2;
    /**
     * This test JVM's own directory: named after the process, not a random name, because Quarkus loads this
     * class more than once (the profile and the tests see different copies of its statics).
     */
    private static final Path DIR = Path.of("target", "own-gateway-" + ProcessHandle.current().pid()).toAbsolutePath();
    /** Everything the application logs, DEBUG and up for tuneforge's own classes. */
    static final Path LOG = DIR.resolve("gateway.log");
    /** Where the first start writes the admin key's secret. */
    static final Path ADMIN_KEY_FILE = DIR.resolve("admin-key");

    private static final String SCHEMA = "own_gateway";

    @Override
    public Map<String, String> getConfigOverrides() {
        return Map.ofEntries(
                Map.entry("quarkus.datasource.jdbc.additional-jdbc-properties.currentSchema", SCHEMA),
                Map.entry("quarkus.flyway.schemas", SCHEMA),
                Map.entry("quarkus.flyway.clean-at-start", "true"),
                Map.entry("tuneforge.admin-key", ""),
                Map.entry("tuneforge.admin-key-file", ADMIN_KEY_FILE.toString()),
                Map.entry("quarkus.log.file.enabled", "true"),
                Map.entry("quarkus.log.file.path", LOG.toString()),
                Map.entry("quarkus.log.category.\"dev.tuneforge\".level", "DEBUG"),
                Map.entry("tuneforge.rate-limit.capacity", Integer.toString(RATE_CAPACITY)),
                Map.entry("tuneforge.rate-limit.refill-per-second", "0.001"),
                Map.entry("tuneforge.events.max-streams-per-key", Integer.toString(STREAMS_PER_KEY)));
    }

    /** The platform admin key this application created at its first start. */
    static String adminKey() {
        try {
            return Files.readString(ADMIN_KEY_FILE).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
