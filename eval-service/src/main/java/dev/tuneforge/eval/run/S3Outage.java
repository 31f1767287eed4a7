package dev.tuneforge.eval.run;

import dev.tuneforge.kit.storage.ObjectStoreException;
import io.minio.errors.ErrorResponseException;
import java.util.Optional;

/**
 * S3 failing for now, as opposed to S3 saying what retrying cannot change. An evaluation that meets an error the S3
 * server answered with (a 500, a 503, access denied) or no answer at all is not at fault: it waits and is tried again,
 * as often as it takes, never failed for it. An object that is not there ({@code NoSuchKey}) is no outage: that try
 * fails, as any other failure, and the evaluation is failed after its last.
 */
final class S3Outage {

    private S3Outage() {
    }

    /** The S3 failure in {@code e} or its causes, if it is an outage. */
    static Optional<ObjectStoreException> in(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ObjectStoreException s3) {
                return missing(s3) ? Optional.empty() : Optional.of(s3);
            }
        }
        return Optional.empty();
    }

    private static boolean missing(ObjectStoreException e) {
        return e.getCause() instanceof ErrorResponseException response
                && "NoSuchKey".equals(response.errorResponse().code());
    }
}
