package dev.tuneforge.kit;

import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;

/**
 * The shared test stack ({@link TuneforgeStack}, database {@code gateway}) with the kit's database and S3 reached
 * through {@link TcpLink}s, so a test can take either away for a while and bring it back. Kafka is reached directly
 * (the stack can stop and start its broker itself).
 */
public class OutageProneStack implements QuarkusTestResourceLifecycleManager {

    private static TcpLink database;
    private static TcpLink objectStore;

    static synchronized TcpLink database() {
        return database;
    }

    static synchronized TcpLink objectStore() {
        return objectStore;
    }

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new HashMap<>(TuneforgeStack.stack().serviceConfig("gateway"));
        synchronized (OutageProneStack.class) {
            URI jdbc = URI.create(config.get("quarkus.datasource.jdbc.url").substring("jdbc:".length()));
            URI s3 = URI.create(config.get("tuneforge.s3.endpoint"));
            if (database == null) {
                database = new TcpLink(jdbc.getHost(), jdbc.getPort());
                objectStore = new TcpLink(s3.getHost(), s3.getPort());
            }
            config.put("quarkus.datasource.jdbc.url",
                    "jdbc:postgresql://127.0.0.1:" + database.port() + jdbc.getRawPath());
            config.put("tuneforge.s3.endpoint", "http://127.0.0.1:" + objectStore.port());
        }
        return config;
    }

    @Override
    public void stop() {
        // Links live as long as the test JVM, like the stack behind them.
    }
}
