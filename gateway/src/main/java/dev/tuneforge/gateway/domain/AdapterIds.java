package dev.tuneforge.gateway.domain;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The id under which a base model's server serves an adapter version: {@code <project>:<name:version>:<hash>}, where
 * the hash is of the artifact's key and digest. One server of a base model serves every project's versions on it, so
 * the project is part of the id (two projects' {@code bot:1} are different adapters), and so is the artifact (a
 * version whose artifact differs, e.g. after a database reset, is never answered with weights loaded for another).
 * It is an id as the worker protocol allows one, {@code [A-Za-z0-9][A-Za-z0-9._:-]{0,199}}: projects and names are
 * of those characters already; anything else is replaced, and a long one is cut before its hash.
 */
public final class AdapterIds {

    private static final int MAX_READABLE = 180;

    private AdapterIds() {
    }

    public static String of(String projectId, String resolved, String artifactKey, String sha256) {
        String readable = (projectId + ":" + resolved).replaceAll("[^A-Za-z0-9._:-]", "-");
        if (readable.length() > MAX_READABLE) {
            readable = readable.substring(0, MAX_READABLE);
        }
        return readable + ":" + hash(artifactKey + "@" + sha256);
    }

    private static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
