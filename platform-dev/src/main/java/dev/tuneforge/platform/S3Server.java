package dev.tuneforge.platform;

import io.minio.BucketExistsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * An S3-compatible server: S3Proxy with jclouds' filesystem backend (one directory per bucket, one
 * file per object), run as a child JVM. It checks AWS signatures (v2 or v4) against one key pair,
 * so clients are configured exactly as against MinIO or AWS. Its objects are files in {@code dir}, so a server
 * started again after {@link #kill()} serves every object that was completely written, on the same port.
 */
final class S3Server {

    private static final String MAIN = "org.gaul.s3proxy.Main";
    private static final List<String> JVM_ARGS = List.of(
            "-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true");

    private final Path dir;
    private final Path logFile;
    private final int port;
    private final String accessKey;
    private final String secretKey;
    private final String bucket;
    private final String region;
    private final String classpath;
    private ChildProcess process;

    S3Server(Path dir, Path logFile, int port, String accessKey, String secretKey, String bucket, String region) {
        this.dir = dir;
        this.logFile = logFile;
        this.port = port;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
        this.bucket = bucket;
        this.region = region;
        this.classpath = RuntimeClasspath.load("s3proxy");
    }

    String endpoint() {
        return "http://" + Ports.HOST + ":" + port;
    }

    MinioClient client() {
        return MinioClient.builder().endpoint(endpoint()).credentials(accessKey, secretKey).region(region).build();
    }

    synchronized void start() {
        if (process != null && process.isAlive()) {
            return;
        }
        Ports.requireFree(port, "S3 server");
        Path config = writeConfig();
        process = ChildProcess.startJava("S3 server (S3Proxy)", classpath, JVM_ARGS, MAIN,
                List.of("--properties", config.toString()), dir, logFile);
        Ports.awaitListening(process, port, Duration.ofSeconds(60));
        createBucket();
    }

    synchronized void stop() {
        if (process != null) {
            process.stop(Duration.ofSeconds(15));
            process = null;
        }
    }

    /** A crash (SIGKILL): a request in flight fails, an upload in flight is lost. */
    synchronized void kill() {
        if (process != null) {
            process.kill();
            process = null;
        }
    }

    synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    private Path writeConfig() {
        Path blobs = dir.resolve("blobs");
        String properties = String.join("\n",
                "# Written by tuneforge platform-dev on every start; edits are overwritten.",
                "s3proxy.endpoint=" + endpoint(),
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + accessKey,
                "s3proxy.credential=" + secretKey,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + blobs,
                "");
        try {
            Files.createDirectories(blobs);
            Path config = dir.resolve("s3proxy.properties");
            Files.writeString(config, properties);
            return config;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the S3Proxy configuration in " + dir, e);
        }
    }

    /** The listener may open a moment before requests are served, hence the retries. */
    private void createBucket() {
        MinioClient client = client();
        Instant deadline = Instant.now().plusSeconds(30);
        while (true) {
            try {
                if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
                    client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
                }
                return;
            } catch (Exception e) {
                if (!process.isAlive()) {
                    throw process.failure("exited while bucket '" + bucket + "' was being created");
                }
                if (Instant.now().isAfter(deadline)) {
                    IllegalStateException failure = process.failure("did not create bucket '" + bucket + "' within 30s");
                    failure.addSuppressed(e);
                    throw failure;
                }
                Ports.sleep(Duration.ofMillis(300));
            }
        }
    }
}
