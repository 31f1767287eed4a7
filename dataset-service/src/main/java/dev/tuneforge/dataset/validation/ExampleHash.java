package dev.tuneforge.dataset.validation;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** The 64-bit identity of an example: the first 8 bytes of the SHA-256 of its canonical JSON line. */
public final class ExampleHash {

    private ExampleHash() {
    }

    public static long of(String canonicalJson) {
        byte[] digest = sha256().digest(canonicalJson.getBytes(StandardCharsets.UTF_8));
        return ByteBuffer.wrap(digest, 0, Long.BYTES).getLong();
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
