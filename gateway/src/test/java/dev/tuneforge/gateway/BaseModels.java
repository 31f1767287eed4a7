package dev.tuneforge.gateway;

import dev.tuneforge.worker.fixture.TinyLlamaWriter;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import static dev.tuneforge.gateway.Gateway.ADMIN;
import static dev.tuneforge.gateway.Gateway.as;

/** Test helpers: tiny Llama models (the worker's TinyLlamaWriter) as the archives an admin uploads. */
final class BaseModels {

    /** Registered once per test JVM by {@link #ensureTiny()}: hidden size 32, 128 positions. */
    static final String TINY = "tiny-llama-test";

    private BaseModels() {
    }

    static synchronized void ensureTiny() {
        int status = as(ADMIN).when().get("/api/v1/base-models/" + TINY).statusCode();
        if (status == 200) {
            return;
        }
        Path dir = write(TinyLlamaWriter.Spec.small());
        as(ADMIN).contentType("application/gzip").body(tarGz(dir, "tiny/"))
                .when().post("/api/v1/base-models?name=" + TINY).then().statusCode(201);
    }

    static Path write(TinyLlamaWriter.Spec spec) {
        try {
            Path dir = Files.createTempDirectory("tiny-llama-");
            return TinyLlamaWriter.write(dir, spec);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The directory's files by their relative path, sorted. */
    static Map<String, Path> files(Path dir) {
        Map<String, Path> files = new LinkedHashMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.filter(Files::isRegularFile).sorted()
                    .forEach(file -> files.put(dir.relativize(file).toString().replace('\\', '/'), file));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    /** A tar.gz of the directory, every entry under {@code prefix} ("" or "name/"). */
    static byte[] tarGz(Path dir, String prefix) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        files(dir).forEach((path, file) -> {
            try {
                entries.put(prefix + path, Files.readAllBytes(file));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        return tarGz(entries);
    }

    /** A tar.gz of exactly these entries (names as given, unchecked: tests send unsafe ones on purpose). */
    static byte[] tarGz(Map<String, byte[]> entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Map.Entry<String, byte[]> entry : entries.entrySet()) {
                TarArchiveEntry header = new TarArchiveEntry(entry.getKey(), true);
                header.setSize(entry.getValue().length);
                tar.putArchiveEntry(header);
                tar.write(entry.getValue());
                tar.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static Map<String, byte[]> contents(Path dir, List<String> without) {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        files(dir).forEach((path, file) -> {
            if (!without.contains(path)) {
                try {
                    entries.put(path, Files.readAllBytes(file));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        });
        return entries;
    }
}
