package dev.tuneforge.kit.storage;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** Where artifacts live: an S3-compatible server (MinIO in production, S3Proxy locally). */
@ConfigMapping(prefix = "tuneforge.s3")
public interface S3Config {

    String endpoint();

    String accessKey();

    String secretKey();

    @WithDefault("tuneforge")
    String bucket();

    @WithDefault("us-east-1")
    String region();

    /** Create the bucket at start if missing (local stacks); production buckets are provisioned. */
    @WithDefault("false")
    boolean createBucket();
}
