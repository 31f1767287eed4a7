package dev.tuneforge.gateway.domain;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * One version of a model, from ModelRegistered (its status also from ModelPromoted): the job that trained it and its artifact in S3.
 *
 * @param status  as registry-service has it: {@code candidate} (passed its gate), {@code promoted} (has been
 *                champion; a rollback does not undo it) or {@code rejected} (failed its gate; never promoted)
 * @param aliases the aliases pointing at this version now
 */
public record ModelVersionView(String name, int version, String jobId, String artifactKey, String artifactSha256,
                               String status, List<String> aliases, OffsetDateTime createdAt) {
}
