package dev.tuneforge.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * The Java runtime of the service images: jlink of the JDK that runs the build (Temurin on the project's machines;
 * its runtime image is linkable without jmods), the Java SE modules plus what Quarkus and its libraries use from
 * the JDK's own, stripped of debug data, headers and man pages. Made once per build into {@code dir}.
 */
final class JavaRuntime {

    static final String MODULES = "java.se,jdk.unsupported,jdk.management,jdk.zipfs,jdk.naming.dns";

    private JavaRuntime() {
    }

    static Path link(Path dir) throws IOException, InterruptedException {
        if (Files.isRegularFile(dir.resolve("bin/java"))) {
            return dir;
        }
        Path jlink = Path.of(System.getProperty("java.home"), "bin", "jlink");
        ImageLayers.run(jlink.toString(), "--add-modules", MODULES, "--strip-debug", "--no-header-files",
                "--no-man-pages", "--output", dir.toString());
        return dir;
    }

    /** The runtime as an SPDX package (from its {@code release} file). */
    static Map<String, Object> spdx(Path runtime) throws IOException {
        Properties release = new Properties();
        try (var in = Files.newInputStream(runtime.resolve("release"))) {
            release.load(in);
        }
        String implementor = release.getProperty("IMPLEMENTOR", "\"unknown\"").replace("\"", "");
        String version = release.getProperty("JAVA_RUNTIME_VERSION", "\"unknown\"").replace("\"", "");
        return ImageLayers.spdxPackage("java-runtime", implementor + " Java runtime (jlink: " + MODULES + ")",
                version, "pkg:generic/java-runtime@" + version, "GPL-2.0-only WITH Classpath-exception-2.0");
    }
}
