package dev.tuneforge.kit.storage;

import io.minio.BucketExistsArgs;
import io.minio.CopyObjectArgs;
import io.minio.CopySource;
import io.minio.GetObjectArgs;
import io.minio.ListObjectsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.Item;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The platform's one bucket, through the MinIO Java SDK exactly as production talks to MinIO.
 * Keys follow DESIGN §6 ({@code projects/{projectId}/...}).
 */
@ApplicationScoped
@Startup
public class ObjectStore {

    /** Multipart uploads of streams of unknown size use parts of this size. */
    private static final long PART_SIZE = 16L * 1024 * 1024;

    private final MinioClient client;
    private final String bucket;

    public ObjectStore(S3Config config) {
        this.client = MinioClient.builder()
                .endpoint(config.endpoint())
                .credentials(config.accessKey(), config.secretKey())
                .region(config.region())
                .build();
        this.bucket = config.bucket();
        if (config.createBucket()) {
            ensureBucket();
        }
    }

    public String bucket() {
        return bucket;
    }

    public void put(String key, InputStream content, long size, String contentType) {
        try {
            client.putObject(PutObjectArgs.builder().bucket(bucket).object(key)
                    .stream(content, size, size < 0 ? PART_SIZE : -1)
                    .contentType(contentType).build());
        } catch (Exception e) {
            throw new ObjectStoreException("cannot write s3://" + bucket + "/" + key, e);
        }
    }

    public void put(String key, byte[] content, String contentType) {
        put(key, new java.io.ByteArrayInputStream(content), content.length, contentType);
    }

    /** The caller closes the stream. */
    public InputStream get(String key) {
        try {
            return client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build());
        } catch (Exception e) {
            throw new ObjectStoreException("cannot read s3://" + bucket + "/" + key, e);
        }
    }

    public boolean exists(String key) {
        try {
            client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
            return true;
        } catch (ErrorResponseException e) {
            if ("NoSuchKey".equals(e.errorResponse().code())) {
                return false;
            }
            throw new ObjectStoreException("cannot stat s3://" + bucket + "/" + key, e);
        } catch (Exception e) {
            throw new ObjectStoreException("cannot stat s3://" + bucket + "/" + key, e);
        }
    }

    /** A server-side copy of one object (no bytes pass through this process). */
    public void copy(String sourceKey, String targetKey) {
        try {
            client.copyObject(CopyObjectArgs.builder().bucket(bucket).object(targetKey)
                    .source(CopySource.builder().bucket(bucket).object(sourceKey).build()).build());
        } catch (Exception e) {
            throw new ObjectStoreException("cannot copy s3://" + bucket + "/" + sourceKey + " to " + targetKey, e);
        }
    }

    public void delete(String key) {
        try {
            client.removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build());
        } catch (Exception e) {
            throw new ObjectStoreException("cannot delete s3://" + bucket + "/" + key, e);
        }
    }

    public List<String> list(String prefix) {
        List<String> keys = new ArrayList<>();
        try {
            for (Result<Item> item : client.listObjects(
                    ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build())) {
                keys.add(item.get().objectName());
            }
        } catch (Exception e) {
            throw new ObjectStoreException("cannot list s3://" + bucket + "/" + prefix, e);
        }
        return keys;
    }

    /** For the readiness check: the server answers and the bucket is there. */
    public boolean bucketExists() {
        try {
            return client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build());
        } catch (Exception e) {
            throw new ObjectStoreException("S3 endpoint not reachable for bucket " + bucket, e);
        }
    }

    private void ensureBucket() {
        try {
            if (!bucketExists()) {
                client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
            }
        } catch (Exception e) {
            throw new ObjectStoreException("cannot create bucket " + bucket, e);
        }
    }
}
