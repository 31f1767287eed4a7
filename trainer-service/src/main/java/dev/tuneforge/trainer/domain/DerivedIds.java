package dev.tuneforge.trainer.domain;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Ids the trainer makes itself (a pipeline's run, a sweep's trial, a pipeline's review dataset): derived from what
 * makes them unique, so a redelivered cause makes the same id.
 */
public final class DerivedIds {

    private DerivedIds() {
    }

    /** {@code job_} and 24 hex digits of the SHA-256 of {@code key}. */
    public static String job(String key) {
        return "job_" + HexFormat.of().formatHex(sha256(key), 0, 12);
    }

    /** {@code ds_} and 32 hex digits of the SHA-256 of {@code key}: the shape of the gateway's dataset ids. */
    public static String dataset(String key) {
        return "ds_" + HexFormat.of().formatHex(sha256(key), 0, 16);
    }

    private static byte[] sha256(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
