package dev.tuneforge.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * An image tar (Docker archive) as the tests read it, unpacked to disk (a worker image holds ~450 MB of native
 * library, too much to hold in memory): its manifest, its configuration, the paths its layers hold, and its root
 * filesystem, whose own loader, libc and Java runtime run the entrypoint without a container runtime.
 */
final class ImageTar {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final JsonNode manifest;
    private final JsonNode config;

    private ImageTar(Path dir, JsonNode manifest, JsonNode config) {
        this.dir = dir;
        this.manifest = manifest;
        this.config = config;
    }

    /** Unpacks {@code tar} into {@code dir} (replacing what is there). */
    static ImageTar unpack(Path tar, Path dir) throws IOException {
        deleteTree(dir);
        try (InputStream in = Files.newInputStream(tar)) {
            extract(in, dir);
        }
        JsonNode manifest = JSON.readTree(dir.resolve("manifest.json").toFile()).get(0);
        JsonNode config = JSON.readTree(dir.resolve(manifest.get("Config").asText()).toFile()).get("config");
        return new ImageTar(dir, manifest, config);
    }

    String repoTag() {
        return manifest.get("RepoTags").get(0).asText();
    }

    /** The image's configuration ({@code User}, {@code Entrypoint}, {@code Env}, {@code Labels}, …). */
    JsonNode config() {
        return config;
    }

    List<String> entrypoint() {
        return JSON.convertValue(config.get("Entrypoint"), List.class);
    }

    /** {@code Env} as a map. */
    Map<String, String> env() {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        config.path("Env").forEach(e -> {
            String[] kv = e.asText().split("=", 2);
            env.put(kv[0], kv[1]);
        });
        return env;
    }

    /** Every path in the image's layers, without the leading slash. */
    Set<String> paths() throws IOException {
        Set<String> paths = new HashSet<>();
        for (JsonNode layer : manifest.get("Layers")) {
            try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(
                    Files.newInputStream(dir.resolve(layer.asText()))))) {
                TarArchiveEntry e;
                while ((e = tar.getNextEntry()) != null) {
                    paths.add(e.getName().replaceFirst("^\\./", "").replaceFirst("^/", ""));
                }
            }
        }
        return paths;
    }

    /** The image's root filesystem: its layers' directories and regular files under {@code root}. */
    Path rootfs(Path root) throws IOException {
        deleteTree(root);
        for (JsonNode layer : manifest.get("Layers")) {
            try (InputStream in = new GZIPInputStream(Files.newInputStream(dir.resolve(layer.asText())))) {
                extract(in, root);
            }
        }
        return root;
    }

    /**
     * The entrypoint as the image's own loader runs it from {@code root} (the build machine's libraries play no
     * part): each argument under one of {@code rooted} (path prefixes, e.g. {@code /deployments/}) is taken from
     * {@code root}.
     */
    List<String> entrypointIn(Path root, List<String> rooted) {
        List<String> entrypoint = entrypoint();
        List<String> command = new ArrayList<>(List.of(root.resolve("lib64/ld-linux-x86-64.so.2").toString(),
                "--library-path", String.join(":", Stream.of("lib/x86_64-linux-gnu", "usr/lib/x86_64-linux-gnu",
                        "opt/java/lib", "opt/java/lib/server").map(d -> root.resolve(d).toString()).toList()),
                root.resolve(entrypoint.getFirst().substring(1)).toString()));
        entrypoint.subList(1, entrypoint.size()).forEach(a -> command.add(inRoot(root, a, rooted)));
        return command;
    }

    /** {@code value} with {@code root} in front when it starts with one of {@code rooted}. */
    static String inRoot(Path root, String value, List<String> rooted) {
        return rooted.stream().anyMatch(value::startsWith) ? root + value : value;
    }

    /** Writes a tar's directories and regular files under {@code root}, executable where the tar says so. */
    private static void extract(InputStream in, Path root) throws IOException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                Path file = root.resolve(e.getName().replaceFirst("^/", "")).normalize();
                if (e.isDirectory()) {
                    Files.createDirectories(file);
                }
                if (!e.isFile()) {
                    continue;
                }
                Files.createDirectories(file.getParent());
                Files.copy(tar, file, StandardCopyOption.REPLACE_EXISTING);
                if ((e.getMode() & 0100) != 0) {
                    file.toFile().setExecutable(true);
                }
            }
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var files = Files.walk(root)) {
            for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

    void delete() throws IOException {
        deleteTree(dir);
    }
}
