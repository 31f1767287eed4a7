package dev.tuneforge.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tuneforge.platform.ServiceConfig;
import dev.tuneforge.platform.test.TuneforgeStack;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
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
 * V6 scopes dataset versions and cached results by project. A results row written before it keeps its meaning: it
 * gets the project its results key is under; one whose key names no project is dropped (it is only a cache). Runs the
 * service's migrations into a schema of its own, stopping at V5 to write rows as the old code did, over connections of
 * its own (never the application's pool, whose connections must keep their search path).
 */
@QuarkusTest
@QuarkusTestResource(value = TuneforgeStack.class, initArgs = @ResourceArg(name = "database", value = "eval"))
class ProjectScopedLookupsMigrationTest {

    private static final String SCHEMA = "v6_project_scope";

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
    void cachedResultsKeepTheProjectTheirKeyIsUnderAndTheSameDatasetIdMayExistInTwoProjects() throws SQLException {
        flyway("5").clean();
        flyway("5").migrate();
        try (Connection c = connection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO eval_cache (subject, runtime, dataset_id, dataset_version, results_key) VALUES "
                    + "('base:tiny@abc', 'djl', 'ds_1', 1, 'projects/prj_a/eval/cache/h1/ds_1-v1/results/results.jsonl'),"
                    + "('base:tiny@abc', 'torch', 'ds_1', 1, 'elsewhere/results.jsonl')");
            s.execute("INSERT INTO dataset_versions (dataset_id, version, project_id, validation_key, validation_examples)"
                    + " VALUES ('ds_1', 1, 'prj_a', 'projects/prj_a/datasets/ds_1/v1/validation.jsonl', 3)");
        }
        flyway("6").migrate();

        List<String> cache = new ArrayList<>();
        List<String> versions = new ArrayList<>();
        try (Connection c = connection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO eval_cache (project_id, subject, runtime, dataset_id, dataset_version, results_key) "
                    + "VALUES ('prj_b', 'base:tiny@abc', 'djl', 'ds_1', 1, "
                    + "'projects/prj_b/eval/cache/h1/ds_1-v1/results/results.jsonl')");
            s.execute("INSERT INTO dataset_versions (dataset_id, version, project_id, validation_key, validation_examples)"
                    + " VALUES ('ds_1', 1, 'prj_b', 'projects/prj_b/datasets/ds_1/v1/validation.jsonl', 5)");
            try (ResultSet r = s.executeQuery("SELECT project_id, runtime FROM eval_cache ORDER BY project_id")) {
                while (r.next()) {
                    cache.add(r.getString(1) + " " + r.getString(2));
                }
            }
            try (ResultSet r = s.executeQuery("SELECT project_id, validation_examples FROM dataset_versions "
                    + "ORDER BY project_id")) {
                while (r.next()) {
                    versions.add(r.getString(1) + " " + r.getLong(2));
                }
            }
        } finally {
            flyway("6").clean();
        }
        assertEquals(List.of("prj_a djl", "prj_b djl"), cache);
        assertEquals(List.of("prj_a 3", "prj_b 5"), versions);
    }
}
