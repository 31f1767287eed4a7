package dev.tuneforge.gateway.domain;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * A version's artifact as presigned URLs (GET .../artifact?presigned=true): one GET URL per file, each valid until
 * {@code expiresAt}.
 */
public record PresignedArtifact(String name, int version, String artifactKey, String artifactSha256,
                                OffsetDateTime expiresAt, List<File> files) {

    public record File(String path, long size, String url) {
    }
}
