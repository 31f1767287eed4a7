package dev.tuneforge.gateway.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.tuneforge.kit.storage.ObjectStoreException;
import jakarta.ws.rs.core.Response;
import java.net.ConnectException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class ProblemMappersTest {

    private final ProblemMappers mappers = new ProblemMappers();

    @Test
    void aTransientFaultOfTheObjectStoreOrTheDatabaseIs503WithRetryAfter() {
        for (Exception fault : new Exception[] {
                new ObjectStoreException("cannot stat s3://tuneforge/base-models/tiny-llama/manifest.json",
                        new ConnectException("Connection refused")),
                new IllegalStateException("SQL failed: SELECT 1",
                        new SQLException("An I/O error occurred while sending to the backend.", "08006"))}) {
            Response response = mappers.unexpected(fault);
            assertEquals(503, response.getStatus(), fault.toString());
            assertEquals(String.valueOf(ProblemMappers.RETRY_AFTER_SECONDS), response.getHeaderString("Retry-After"));
            assertEquals("Service unavailable", ((Problem) response.getEntity()).title());
        }
    }

    @Test
    void anyOtherFailureIs500() {
        Response response = mappers.unexpected(new IllegalStateException("a bug"));
        assertEquals(500, response.getStatus());
        assertNull(response.getHeaderString("Retry-After"));
    }
}
