package dev.tuneforge.kit.messaging;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.InvalidResponseException;
import io.minio.errors.ServerException;
import org.apache.kafka.common.errors.RetriableException;

import java.io.CharConversionException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.ObjectStreamException;
import java.io.UTFDataFormatException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.FileSystemException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.zip.ZipException;

/**
 * Tells a fault of the platform around a consumer (the database, S3 or the broker briefly away, overloaded or
 * restarting) from a failure of the event itself. A transient fault is retried for minutes with the partition
 * waiting ({@link InboxProcessor}); anything else is the event's own problem and, after a few tries, goes to the
 * dead-letter topic. When in doubt the answer is "not transient": an event wrongly called transient would stall
 * its partition for the whole retry window, one wrongly called poison is kept in the DLQ and can be replayed.
 *
 * <p>Services wrap what they catch ({@code ObjectStoreException}, {@code UncheckedIOException},
 * {@code IllegalStateException}, JTA's rollback with the driver's exception attached), so the whole cause chain is
 * searched, suppressed exceptions included. A fault is transient when any link is:
 * <ul>
 *   <li>JDBC: {@link SQLTransientException} or {@link SQLRecoverableException}; SQLState class {@code 08}
 *       (connection), {@code 53} (insufficient resources, e.g. too many connections), {@code 57P01..03} (server
 *       shutting down or starting), {@code 40001} / {@code 40P01} (serialization failure, deadlock), {@code 55P03}
 *       (lock not available); Agroal's "Sorry, acquisition timeout!" (no SQLState: the pool had no connection to
 *       give in time, which is what a database outage looks like from inside the pool);</li>
 *   <li>S3 (MinIO SDK): {@link ServerException} (5xx), an {@link ErrorResponseException} with status 5xx or code
 *       {@code InternalError}, {@code ServiceUnavailable}, {@code SlowDown}, {@code RequestTimeout}, and an
 *       {@link InvalidResponseException} (a non-S3 answer, e.g. a proxy's 502 page);</li>
 *   <li>Kafka: {@link RetriableException} (its own timeouts, leader changes, a broker away);</li>
 *   <li>I/O: any {@link IOException} (connection refused or reset, timeouts, unknown host, a stream cut short) except
 *       those that describe bytes that can never be read: JSON that does not parse ({@link JsonProcessingException},
 *       an IOException in Jackson), bad character encodings, zip data, serialized objects, and local files that are
 *       missing or unreadable ({@link FileNotFoundException}, {@link FileSystemException}).</li>
 * </ul>
 */
public final class TransientFaults {

    private static final Set<String> TRANSIENT_S3_CODES =
            Set.of("InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout");
    private static final String AGROAL_ACQUISITION_TIMEOUT = "Sorry, acquisition timeout";

    private TransientFaults() {
    }

    public static boolean isTransient(Throwable failure) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        Deque<Throwable> todo = new ArrayDeque<>();
        todo.add(failure);
        while (!todo.isEmpty()) {
            Throwable link = todo.poll();
            if (!seen.add(link)) {
                continue;
            }
            if (isTransientLink(link)) {
                return true;
            }
            addIfPresent(todo, link.getCause());
            if (link instanceof SQLException sql) {
                addIfPresent(todo, sql.getNextException());
            }
            for (Throwable suppressed : link.getSuppressed()) {
                addIfPresent(todo, suppressed);
            }
        }
        return false;
    }

    private static void addIfPresent(Deque<Throwable> todo, Throwable link) {
        if (link != null) {
            todo.add(link);
        }
    }

    private static boolean isTransientLink(Throwable link) {
        return switch (link) {
            case SQLTransientException ignored -> true;
            case SQLRecoverableException ignored -> true;
            case SQLException sql -> transientSqlState(sql.getSQLState())
                    || (sql.getMessage() != null && sql.getMessage().startsWith(AGROAL_ACQUISITION_TIMEOUT));
            case ServerException ignored -> true;
            case InvalidResponseException ignored -> true;
            case ErrorResponseException s3 -> transientS3Error(s3);
            case RetriableException ignored -> true;
            case IOException io -> !describesUnreadableBytes(io);
            default -> false;
        };
    }

    private static boolean transientSqlState(String state) {
        if (state == null) {
            return false;
        }
        return state.startsWith("08") || state.startsWith("53")
                || state.equals("57P01") || state.equals("57P02") || state.equals("57P03")
                || state.equals("40001") || state.equals("40P01") || state.equals("55P03");
    }

    private static boolean transientS3Error(ErrorResponseException e) {
        if (e.response() != null && e.response().code() >= 500) {
            return true;
        }
        return e.errorResponse() != null && TRANSIENT_S3_CODES.contains(e.errorResponse().code());
    }

    private static boolean describesUnreadableBytes(IOException e) {
        return e instanceof JsonProcessingException
                || e instanceof CharacterCodingException
                || e instanceof CharConversionException
                || e instanceof UTFDataFormatException
                || e instanceof ZipException
                || e instanceof ObjectStreamException
                || e instanceof FileNotFoundException
                || e instanceof FileSystemException;
    }
}
