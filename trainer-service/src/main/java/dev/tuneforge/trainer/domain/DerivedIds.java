package dev.tuneforge.trainer.domain;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Job ids the trainer makes itself (a pipeline's run, a sweep's trial): derived from what makes them unique. */
public final class DerivedIds {

    private DerivedIds() {
    }

    /** {@code job_} and 24 hex digits of the SHA-256 of {@code key}. */
    public static String job(String key) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return "job_" + HexFormat.of().formatHex(h, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
