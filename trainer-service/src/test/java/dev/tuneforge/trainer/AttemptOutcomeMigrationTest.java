package dev.tuneforge.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tuneforge.platform.ServiceConfig;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.config.ConfigProvider;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * V5 turns the first word of each attempt's old outcome text into the outcome column, keeping the rest as the
 * message: rows written before it are counted as crashes exactly as before. Runs the service's migrations into a
 * schema of its own, stopping at V4 to write rows as the old code did, over connections of its own (never the
 * application's pool, whose connections must keep their search path).
 */
@QuarkusTest
@TestProfile(LeaseAndQueueTest.NoSchedulerLoop.class)
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "trainer"))
class AttemptOutcomeMigrationTest {

    private static final String SCHEMA = "v5_backfill";

    private static String config(String name) {
        return ConfigProvider.getConfig().getValue(name, String.class);
    }

    private static Flyway flyway(String target) {
        return Flyway.configure().dataSource(config(ServiceConfig.DATASOURCE_JDBC_URL),
                        config(ServiceConfig.DATASOURCE_USERNAME), config(ServiceConfig.DATASOURCE_PASSWORD))
                .schemas(SCHEMA).cleanDisabled(false)
                .locations("classpath:db/migration", "classpath:db/tuneforge-kit").target(target).load();
    }

    private static Connection connection() throws SQLException {
        Connection c = DriverManager.getConnection(config(ServiceConfig.DATASOURCE_JDBC_URL),
                config(ServiceConfig.DATASOURCE_USERNAME), config(ServiceConfig.DATASOURCE_PASSWORD));
        try (Statement s = c.createStatement()) {
            s.execute("SET search_path TO " + SCHEMA);
        }
        return c;
    }

    @Test
    void theOldMessagesFirstWordBecomesTheOutcomeAndTheRestTheMessage() throws SQLException {
        flyway("4").clean();
        flyway("4").migrate();
        String[] old = {"succeeded", "cancelled: worker exited with 143 (stopped by SIGTERM)",
            "paused: worker exited with 143 (stopped by SIGTERM)", "failed: worker exited with 2 (bad spec or data)",
            "stopped: the trainer instance is shutting down", "crashed: worker exited with 137 (killed by signal 9)",
            "lost: trainer instance trainer-a stopped renewing its lease", null};
        try (Connection c = connection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO jobs (job_id, project_id, state, base_model, dataset_id, dataset_version, method, "
                    + "hyperparameters) VALUES ('job_v5', 'p', 'running', 'b', 'd', 1, 'lora', '{}')");
            for (int i = 0; i < old.length; i++) {
                s.execute("INSERT INTO attempts (job_id, attempt, owner, slot, runtime, workdir, host, ended_at, outcome)"
                        + " VALUES ('job_v5', " + (i + 1) + ", 'o', 's', 'djl', 'w', 'h', "
                        + (old[i] == null ? "NULL, NULL)" : "now(), '" + old[i] + "')"));
            }
        }
        flyway("5").migrate();

        List<String> rows = new ArrayList<>();
        try (Connection c = connection(); Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("SELECT outcome, outcome_message FROM attempts ORDER BY attempt")) {
                while (r.next()) {
                    rows.add(r.getString(1) + " | " + r.getString(2));
                }
            }
            assertThrows(SQLException.class, () -> s.execute("UPDATE attempts SET outcome = 'EXPLODED' WHERE attempt = 1"),
                    "only the outcomes the trainer knows");
        } finally {
            flyway("5").clean();
        }
        assertEquals(List.of("SUCCEEDED | null",
                "CANCELLED | worker exited with 143 (stopped by SIGTERM)",
                "PAUSED | worker exited with 143 (stopped by SIGTERM)",
                "FAILED | worker exited with 2 (bad spec or data)",
                "STOPPED | the trainer instance is shutting down",
                "CRASHED | worker exited with 137 (killed by signal 9)",
                "LOST | trainer instance trainer-a stopped renewing its lease",
                "null | null"), rows);
    }
}
