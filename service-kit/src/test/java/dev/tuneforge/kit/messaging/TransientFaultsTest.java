package dev.tuneforge.kit.messaging;

import com.fasterxml.jackson.core.JsonParseException;
import dev.tuneforge.events.MalformedEventException;
import dev.tuneforge.kit.storage.ObjectStoreException;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.ServerException;
import io.minio.messages.ErrorResponse;
import jakarta.transaction.RollbackException;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

import javax.transaction.xa.XAException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.nio.file.NoSuchFileException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Not a @QuarkusTest: the classification is a pure function of the exception and its causes. */
class TransientFaultsTest {

    @Test
    void theDatabaseGoingAwayIsTransientHoweverTheServiceWrappedIt() {
        assertTrue(TransientFaults.isTransient(new IllegalStateException("cannot record event in the inbox",
                new PSQLException("This connection has been closed.", PSQLState.CONNECTION_DOES_NOT_EXIST))));
        assertTrue(TransientFaults.isTransient(new PSQLException("Connection to 127.0.0.1:5433 refused.",
                PSQLState.CONNECTION_UNABLE_TO_CONNECT, new ConnectException("Connection refused"))));
        assertTrue(TransientFaults.isTransient(new SQLException("FATAL: the database system is starting up", "57P03")));
        assertTrue(TransientFaults.isTransient(new SQLException("FATAL: sorry, too many clients already", "53300")));
        assertTrue(TransientFaults.isTransient(new SQLTransientConnectionException("pool exhausted")));
    }

    @Test
    void anEmptyConnectionPoolIsTransient() {
        assertTrue(TransientFaults.isTransient(new IllegalStateException(new SQLException("Sorry, acquisition timeout!"))));
    }

    @Test
    void aCommitLostWithItsConnectionIsTransient() {
        XAException commitFailed = new XAException("Error trying to transactionCommit local transaction");
        commitFailed.initCause(new PSQLException("An I/O error occurred while sending to the backend.",
                PSQLState.CONNECTION_FAILURE));
        RollbackException rolledBack = new RollbackException("ARJUNA016053: Could not commit transaction.");
        rolledBack.addSuppressed(commitFailed);
        assertTrue(TransientFaults.isTransient(new IllegalStateException(rolledBack)));
    }

    @Test
    void serializationFailuresAndDeadlocksAreTransientConstraintViolationsAreNot() {
        assertTrue(TransientFaults.isTransient(new SQLException("could not serialize access", "40001")));
        assertTrue(TransientFaults.isTransient(new SQLException("deadlock detected", "40P01")));
        assertFalse(TransientFaults.isTransient(new IllegalStateException(
                new PSQLException("duplicate key value violates unique constraint", PSQLState.UNIQUE_VIOLATION))));
        assertFalse(TransientFaults.isTransient(new SQLException("column \"nope\" does not exist", "42703")));
    }

    @Test
    void anUnreachableOrFailingObjectStoreIsTransient() {
        assertTrue(TransientFaults.isTransient(new ObjectStoreException("cannot write s3://tuneforge/x",
                new ConnectException("Failed to connect to /127.0.0.1:9100"))));
        assertTrue(TransientFaults.isTransient(new ObjectStoreException("cannot read s3://tuneforge/x",
                new SocketTimeoutException("timeout"))));
        assertTrue(TransientFaults.isTransient(new ObjectStoreException("cannot read s3://tuneforge/x",
                new ServerException("server failed with HTTP status code 503", 503, "trace"))));
        assertTrue(TransientFaults.isTransient(new ObjectStoreException("cannot copy",
                s3Error("SlowDown", 503))));
        assertTrue(TransientFaults.isTransient(new ObjectStoreException("cannot copy",
                s3Error("InternalError", 500))));
    }

    @Test
    void whatTheObjectStoreRefusesForGoodIsNotTransient() {
        assertFalse(TransientFaults.isTransient(new ObjectStoreException("cannot read s3://tuneforge/x",
                s3Error("NoSuchKey", 404))));
        assertFalse(TransientFaults.isTransient(new ObjectStoreException("cannot write s3://tuneforge/x",
                s3Error("AccessDenied", 403))));
    }

    @Test
    void aBrokerFaultKafkaCallsRetriableIsTransient() {
        assertTrue(TransientFaults.isTransient(new IllegalStateException(new TimeoutException("expired"))));
        assertTrue(TransientFaults.isTransient(new NotLeaderOrFollowerException("leader moved")));
        assertFalse(TransientFaults.isTransient(new InvalidTopicException("no such topic name")));
    }

    @Test
    void bytesThatCannotBeReadAreNotTransientThoughTheyAreIoExceptions() {
        assertFalse(TransientFaults.isTransient(new UncheckedIOException("cannot read the manifest",
                new JsonParseException(null, "Unexpected character"))));
        assertFalse(TransientFaults.isTransient(new UncheckedIOException("cannot spool",
                new NoSuchFileException("/tmp/x"))));
        assertTrue(TransientFaults.isTransient(new UncheckedIOException("cannot read the upload",
                new java.io.IOException("unexpected end of stream on http://127.0.0.1:9100/..."))));
    }

    @Test
    void domainFailuresAndMalformedEventsAreNotTransient() {
        assertFalse(TransientFaults.isTransient(new IllegalArgumentException("format xml is not supported")));
        assertFalse(TransientFaults.isTransient(new MalformedEventException("not valid JSON of DatasetUploaded")));
        assertFalse(TransientFaults.isTransient(new IllegalStateException("artifact has sha256 a, the event announced b")));
    }

    @Test
    void aCauseChainWithACycleEnds() {
        IllegalStateException first = new IllegalStateException("first");
        IllegalArgumentException second = new IllegalArgumentException("second", first);
        first.initCause(second);
        assertFalse(TransientFaults.isTransient(first));
    }

    private static ErrorResponseException s3Error(String code, int status) {
        Response response = new Response.Builder()
                .request(new Request.Builder().url("http://127.0.0.1:9100/tuneforge/x").build())
                .protocol(Protocol.HTTP_1_1).code(status).message(code).build();
        return new ErrorResponseException(new ErrorResponse(code, code, "tuneforge", "x", "/tuneforge/x", "req", "host"),
                response, "trace");
    }
}
