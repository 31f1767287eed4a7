package dev.tuneforge.dataset.domain;

import dev.tuneforge.dataset.validation.ExampleHash;
import dev.tuneforge.dataset.validation.LongHashSet;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Writes a version's train and validation files to local spool files. The split is decided by each
 * example's content hash, so an example lands on the same side in every version: appending data never
 * moves old examples between train and validation. Examples already in the parent are not written again.
 */
public final class SplitWriter implements AutoCloseable {

    private static final int BUCKETS = 10_000;

    private final int validationBuckets;
    private final LongHashSet known = new LongHashSet();
    private final Side train;
    private final Side validation;
    private long newExamples;

    public SplitWriter(Path directory, double validationFraction) throws IOException {
        this.validationBuckets = (int) Math.round(validationFraction * BUCKETS);
        this.train = new Side(directory.resolve("train.jsonl"));
        this.validation = new Side(directory.resolve("validation.jsonl"));
    }

    /** Copies a parent version's file through, remembering its examples. */
    void copyParent(InputStream parentFile, boolean validationSide) throws IOException {
        Side side = validationSide ? validation : train;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(parentFile, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (!line.isEmpty()) {
                    known.add(ExampleHash.of(line));
                    side.write(line);
                }
            }
        }
    }

    /** Adds an example from the upload unless the parent already has it. */
    public void add(String canonicalJson, long hash) {
        if (!known.add(hash)) {
            return;
        }
        newExamples++;
        try {
            (isValidation(hash) ? validation : train).write(canonicalJson);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot spool the dataset", e);
        }
    }

    /**
     * Adds an example of the user's own validation file.
     *
     * @return false if it is already in the dataset (it would leak training data into validation)
     */
    boolean addValidation(String canonicalJson, long hash) {
        if (!known.add(hash)) {
            return false;
        }
        newExamples++;
        try {
            validation.write(canonicalJson);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot spool the dataset", e);
        }
        return true;
    }

    boolean isValidation(long hash) {
        return Math.floorMod(hash, BUCKETS) < validationBuckets;
    }

    long newExamples() {
        return newExamples;
    }

    Side train() {
        return train;
    }

    Side validation() {
        return validation;
    }

    /** How many distinct examples the split holds so far (a parent version's included). */
    public long size() {
        return known.size();
    }

    /** Closes both files; their digests and the version's identity are known from here on. */
    public void finish() throws IOException {
        train.finish();
        validation.finish();
    }

    /** Identity of the version: both files' digests, so equal content means an equal id. */
    public String contentSha256() {
        MessageDigest digest = ExampleHash.sha256();
        digest.update((train.sha256() + "\n" + validation.sha256()).getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(digest.digest());
    }

    @Override
    public void close() throws IOException {
        train.close();
        validation.close();
    }

    /** One spool file with its digest and example count. */
    static final class Side implements AutoCloseable {

        private final Path file;
        private final MessageDigest digest = ExampleHash.sha256();
        private final Writer writer;
        private long examples;
        private String sha256;

        Side(Path file) throws IOException {
            this.file = file;
            this.writer = new BufferedWriter(new OutputStreamWriter(
                    new DigestOutputStream(Files.newOutputStream(file), digest), StandardCharsets.UTF_8));
        }

        void write(String line) throws IOException {
            writer.write(line);
            writer.write('\n');
            examples++;
        }

        Path file() {
            return file;
        }

        long examples() {
            return examples;
        }

        void finish() throws IOException {
            if (sha256 == null) {
                writer.close();
                sha256 = HexFormat.of().formatHex(digest.digest());
            }
        }

        String sha256() {
            if (sha256 == null) {
                throw new IllegalStateException(file + " is still being written");
            }
            return sha256;
        }

        @Override
        public void close() throws IOException {
            writer.close();
        }
    }
}
