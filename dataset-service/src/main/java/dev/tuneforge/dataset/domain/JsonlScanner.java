package dev.tuneforge.dataset.domain;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Streams a JSONL file once: counts examples, finds lines that are not JSON objects, hashes the bytes. */
public final class JsonlScanner {

    private static final int REPORTED_LINES = 5;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JsonlScanner() {
    }

    public static LineCheck scan(InputStream content) {
        MessageDigest sha256 = sha256();
        long examples = 0;
        long bad = 0;
        List<Long> badLines = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(
                new DigestInputStream(content, sha256), StandardCharsets.UTF_8))) {
            String line;
            long number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                if (isJsonObject(line)) {
                    examples++;
                } else {
                    bad++;
                    if (badLines.size() < REPORTED_LINES) {
                        badLines.add(number);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the upload", e);
        }
        return new LineCheck(examples, bad, List.copyOf(badLines), HexFormat.of().formatHex(sha256.digest()));
    }

    private static boolean isJsonObject(String line) {
        try (JsonParser parser = MAPPER.createParser(line)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return false;
            }
            parser.skipChildren();
            return parser.nextToken() == null;
        } catch (IOException e) {
            return false;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
