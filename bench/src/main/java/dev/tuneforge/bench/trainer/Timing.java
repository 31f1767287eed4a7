package dev.tuneforge.bench.trainer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Instants from files, and the order statistics the report prints. */
final class Timing {

    private Timing() {
    }

    /** A file's last-modified time: the kernel's wall clock, the same one {@link Instant#now()} reads. */
    static Instant mtime(Path file) {
        try {
            return Files.getLastModifiedTime(file).toInstant();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static double ms(Duration d) {
        return d.toNanos() / 1e6;
    }

    static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Nearest rank: the smallest value with at least 90 % of the samples at or below it. */
    static double p90(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get((int) Math.ceil(0.9 * sorted.size()) - 1);
    }
}
