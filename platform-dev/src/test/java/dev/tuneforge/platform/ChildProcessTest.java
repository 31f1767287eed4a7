package dev.tuneforge.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** What a child's log says about how it was started. */
class ChildProcessTest {

    @Test
    void theStartLineInALogShowsNoCredentials() {
        List<String> command = List.of("java", "-Dquarkus.datasource.password=postgres",
                "-Dtuneforge.s3.access-key=tuneforge", "-Dtuneforge.s3.secret-key=tuneforge-secret",
                "-Dtuneforge.admin-key=tf_abc", "-Dtuneforge.admin-key-file=/data/admin-key",
                "-Dquarkus.oidc.credentials.secret=s", "-Dquarkus.http.port=8080", "-jar", "app.jar");
        assertEquals("java -Dquarkus.datasource.password=*** -Dtuneforge.s3.access-key=*** "
                + "-Dtuneforge.s3.secret-key=*** -Dtuneforge.admin-key=*** -Dtuneforge.admin-key-file=/data/admin-key "
                + "-Dquarkus.oidc.credentials.secret=*** -Dquarkus.http.port=8080 -jar app.jar",
                ChildProcess.redacted(command));
    }
}
