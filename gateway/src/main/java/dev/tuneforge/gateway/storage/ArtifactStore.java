package dev.tuneforge.gateway.storage;

import dev.tuneforge.kit.storage.ObjectStoreException;
import dev.tuneforge.kit.storage.S3Config;
import io.minio.GetObjectArgs;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.ListObjectsArgs;
import io.minio.MinioClient;
import io.minio.Result;
import io.minio.http.Method;
import io.minio.messages.Item;
import jakarta.enterprise.context.ApplicationScoped;

import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What the gateway needs of S3 beyond the kit's {@code ObjectStore}: listings with sizes (a tar header
 * needs the size before the bytes) and presigned GET URLs. Its own MinIO client on the same configuration.
 */
@ApplicationScoped
public class ArtifactStore {

    /** One object under a prefix; {@code path} is relative to the prefix. */
    public record ArtifactFile(String key, String path, long size) {
    }

    private final MinioClient client;
    private final String bucket;

    public ArtifactStore(S3Config config) {
        this.client = MinioClient.builder().endpoint(config.endpoint())
                .credentials(config.accessKey(), config.secretKey()).region(config.region()).build();
        this.bucket = config.bucket();
    }

    /** Every object under {@code prefix} (which ends with '/'), by key. */
    public List<ArtifactFile> list(String prefix) {
        List<ArtifactFile> files = new ArrayList<>();
        try {
            for (Result<Item> result : client.listObjects(
                    ListObjectsArgs.builder().bucket(bucket).prefix(prefix).recursive(true).build())) {
                Item item = result.get();
                if (!item.isDir()) {
                    files.add(new ArtifactFile(item.objectName(), item.objectName().substring(prefix.length()),
                            item.size()));
                }
            }
        } catch (Exception e) {
            throw new ObjectStoreException("cannot list s3://" + bucket + "/" + prefix, e);
        }
        return files;
    }

    /** The caller closes the stream. */
    public InputStream get(String key) {
        try {
            return client.getObject(GetObjectArgs.builder().bucket(bucket).object(key).build());
        } catch (Exception e) {
            throw new ObjectStoreException("cannot read s3://" + bucket + "/" + key, e);
        }
    }

    /** A URL anyone holding it can GET the object with, until it expires. */
    public String presignedGet(String key, Duration expiry) {
        try {
            return client.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder().method(Method.GET).bucket(bucket)
                    .object(key).expiry((int) expiry.toSeconds()).build());
        } catch (Exception e) {
            throw new ObjectStoreException("cannot presign s3://" + bucket + "/" + key, e);
        }
    }
}
