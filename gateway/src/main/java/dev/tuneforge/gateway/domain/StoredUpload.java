package dev.tuneforge.gateway.domain;

import dev.tuneforge.kit.storage.ObjectStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * An uploaded body stored in S3 as one object, with its size and sha256. A streamed body is spooled to a temporary file
 * first: S3 needs the size before the first byte, and a body without a length (chunked) has none until it ends.
 */
public record StoredUpload(String key, String sha256, long size) {

    public static StoredUpload store(ObjectStore objects, String key, InputStream body, String contentType) {
        Path spool = null;
        try {
            spool = Files.createTempFile("tuneforge-upload-", ".part");
            try (OutputStream out = Files.newOutputStream(spool)) {
                body.transferTo(out);
            }
            return storeFile(objects, key, spool, contentType);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store the upload", e);
        } finally {
            deleteQuietly(spool);
        }
    }

    /** A body already on disk (a multipart part Quarkus has written): hashed and stored as it is, not copied first. */
    public static StoredUpload storeFile(ObjectStore objects, String key, Path file, String contentType) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            long size;
            try (InputStream in = new DigestInputStream(Files.newInputStream(file), sha256)) {
                size = in.transferTo(OutputStream.nullOutputStream());
            }
            try (InputStream in = Files.newInputStream(file)) {
                objects.put(key, in, size, contentType);
            }
            return new StoredUpload(key, HexFormat.of().formatHex(sha256.digest()), size);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot store the upload", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a temp file; the OS cleans it eventually
            }
        }
    }
}
