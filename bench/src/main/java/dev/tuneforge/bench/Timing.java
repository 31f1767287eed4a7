package dev.tuneforge.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Instants from files, and the order statistics the benchmarks' reports print. */
public final class Timing {

    private Timing() {
    }

    /** A file's last-modified time: the kernel's wall clock, the same one {@link Instant#now()} reads. */
    public static Instant mtime(Path file) {
        try {
            return Files.getLastModifiedTime(file).toInstant();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static double ms(Duration d) {
        return d.toNanos() / 1e6;
    }

    public static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Nearest rank: the smallest value with at least 90 % of the samples at or below it. */
    public static double p90(List<Double> values) {
        return percentile(values, 0.90);
    }

    /**
     * Nearest rank: the smallest value with at least {@code fraction} of the samples at or below it (with fewer
     * than 100 samples, the 99th percentile is the largest).
     */
    public static double percentile(List<Double> values, double fraction) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(Math.max(0, (int) Math.ceil(fraction * sorted.size()) - 1));
    }
}
