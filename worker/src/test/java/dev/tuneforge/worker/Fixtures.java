package dev.tuneforge.worker;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates shared/fixtures, the reference outputs of transformers that parity tests compare against. */
public final class Fixtures {

    public static final String PROPERTY = "tuneforge.fixtures.dir";

    private Fixtures() {
    }

    /** The fixtures directory; fails (never skips) when it is missing, since parity is the point. */
    public static Path dir() {
        String configured = System.getProperty(PROPERTY);
        // Surefire sets the property; from an IDE the module directory is the working directory.
        Path dir = configured != null ? Path.of(configured) : Path.of("../../shared/fixtures");
        dir = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("shared fixtures not found at " + dir + " (set -D" + PROPERTY
                    + "=... or check out shared/ beside the repository)");
        }
        return dir;
    }

    public static Path resolve(String name) {
        Path p = dir().resolve(name);
        if (!Files.exists(p)) {
            throw new IllegalStateException("fixture " + p + " is missing");
        }
        return p;
    }
}
