package dev.tuneforge.gateway.domain;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * One version of a model, from ModelRegistered: the job that trained it and its artifact in S3.
 *
 * @param status  as registry-service registered it: {@code candidate} (passed its gate) or {@code rejected}
 * @param aliases the aliases pointing at this version now
 */
public record ModelVersionView(String name, int version, String jobId, String artifactKey, String artifactSha256,
                               String status, List<String> aliases, OffsetDateTime createdAt) {
}
