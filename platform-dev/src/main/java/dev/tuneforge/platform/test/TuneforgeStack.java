package dev.tuneforge.platform.test;

import dev.tuneforge.platform.EmbeddedStack;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Quarkus test resource running a service's tests against the real stack:
 *
 * <pre>{@code
 * @QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "dataset"))
 * }</pre>
 *
 * One ephemeral stack serves the whole test JVM: Quarkus creates this class more than once (per test
 * profile, per restart), and starting a broker each time would cost seconds. The stack starts on first
 * use and stops when the JVM exits. {@link #stack()} gives tests the running stack, e.g. to kill the
 * broker or read a topic.
 */
public class TuneforgeStack implements QuarkusTestResourceLifecycleManager {

    /** Init arg naming the service's database, one of {@link EmbeddedStack#DATABASES}. */
    public static final String DATABASE = "database";

    private static EmbeddedStack shared;

    private String database = "gateway";

    /** The stack of this JVM, started if it is not yet. */
    public static synchronized EmbeddedStack stack() {
        if (shared == null) {
            // EmbeddedStack registers its own shutdown hook, which stops it when the test JVM ends.
            shared = EmbeddedStack.ephemeral().start();
        }
        return shared;
    }

    @Override
    public void init(Map<String, String> initArgs) {
        database = initArgs.getOrDefault(DATABASE, database);
        if (!EmbeddedStack.DATABASES.contains(database)) {
            throw new IllegalArgumentException("TuneforgeStack init arg '" + DATABASE + "' is '" + database
                    + "'; expected one of " + EmbeddedStack.DATABASES);
        }
    }

    @Override
    public Map<String, String> start() {
        return stack().serviceConfig(database);
    }

    @Override
    public void stop() {
        // Shared by every test class of the JVM; stopped by the JVM's shutdown hook.
    }
}
