package dev.tuneforge.conformance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Where the suite finds what it runs (the build sets these as system properties) and where it works: one directory
 * per case under {@code target/conformance}, kept after the run so that a failure can be looked at (each worker's
 * stderr is its work directory's {@code worker.log}).
 */
final class Conformance {

    /** The base model of the LoRA cases: written by transformers itself, with reference logits beside it. */
    static final String TINY_LLAMA_GQA = "tiny-llama-gqa";

    private static final Set<Path> CLEANED = new HashSet<>();

    private Conformance() {
    }

    static Path repo() {
        return property("tuneforge.repo");
    }

    static Path fixture(String name) {
        return property("tuneforge.fixtures.dir").resolve(name);
    }

    /** The djl worker's build directory: its jar and {@code worker.classpath}. */
    static Path workerHome() {
        return property("tuneforge.worker.home");
    }

    /** The torch runtime's environment's python ({@code bin/tuneforge python-env}). */
    static Path python() {
        Path python = property("tuneforge.python");
        if (!Files.isExecutable(python)) {
            throw new IllegalStateException("no torch runtime environment at " + python + ": build it with "
                    + "bin/tuneforge python-env (the reactor does, in worker/python, before this module)");
        }
        return python;
    }

    /** An empty directory {@code target/conformance/<names...>}, emptied if an earlier run left one. */
    static synchronized Path workspace(String... names) {
        Path dir = property("tuneforge.conformance.dir");
        for (String name : names) {
            dir = dir.resolve(name);
        }
        if (CLEANED.add(dir)) {
            delete(dir);
        }
        try {
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The last 40 lines of a log, for a failure's message. */
    static String tail(Path log) {
        try {
            List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of("(no " + log + ")");
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    private static void delete(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path property(String name) {
        String value = System.getProperty(name);
        if (value == null) {
            throw new IllegalStateException("system property " + name + " is not set (the module's pom sets it)");
        }
        return Path.of(value).toAbsolutePath().normalize();
    }
}
