package dev.tuneforge.platform;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The classpath of a server that runs as a child process, as resolved by Maven when its
 * {@code platform-dev/<name>-runtime} module was built: absolute paths into the local repository,
 * stored in {@code META-INF/tuneforge/<name>.classpath}.
 */
final class RuntimeClasspath {

    private RuntimeClasspath() {
    }

    static String load(String name) {
        String resource = "META-INF/tuneforge/" + name + ".classpath";
        String classpath;
        try (InputStream in = RuntimeClasspath.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the classpath: depend on"
                        + " dev.tuneforge:tuneforge-" + name + "-runtime (built by platform-dev/" + name + "-runtime)");
            }
            classpath = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read " + resource, e);
        }
        List<String> missing = Arrays.stream(classpath.split(File.pathSeparator))
                .filter(entry -> !Files.isRegularFile(Path.of(entry)))
                .toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException("the " + name + " runtime classpath names jars that do not exist "
                    + "(was the local Maven repository moved or cleaned?); rebuild with "
                    + "`./mvnw install -pl platform-dev/" + name + "-runtime`. Missing: " + missing);
        }
        return classpath;
    }
}
