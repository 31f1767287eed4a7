package dev.tuneforge.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FilePermissions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * What every tuneforge image built from scratch by Jib Core shares ({@link ServiceImage}, {@link WorkerImage}): the
 * {@code os} layer of Debian packages taken from the build machine, layers of file trees, the SPDX document, and the
 * tar. Files carry a fixed time and images a fixed creation time, so the same inputs give the same image digest.
 */
final class ImageLayers {

    static final Instant EPOCH = Instant.ofEpochSecond(1);
    static final AbsoluteUnixPath JAVA_HOME = AbsoluteUnixPath.get("/opt/java");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** A Debian package of the build machine that goes into the {@code os} layer, and its license for the SBOM. */
    record DebianPackage(String name, String license) {
        static final DebianPackage LIBC6 = new DebianPackage("libc6", "LGPL-2.1-or-later");
    }

    /** What was built: the tar, its SBOM, and the image's name. */
    record Built(Path tar, Path sbom, String reference) {
    }

    /** The user an image runs as: its name, uid (also its gid) and home. */
    record User(String name, String id, String home) {
    }

    private ImageLayers() {
    }

    /**
     * The files of {@code debs} as the build machine's dpkg lists them (no shell, no package manager, like a
     * distroless image), {@code /etc/passwd} and {@code /etc/group} with {@code user}, and {@code /tmp}; each
     * package is added to {@code sbom}.
     */
    static FileEntriesLayer os(Path dir, List<DebianPackage> debs, User user, List<Map<String, Object>> sbom)
            throws Exception {
        FileEntriesLayer.Builder layer = FileEntriesLayer.builder().setName("os");
        for (DebianPackage deb : debs) {
            String version = run("dpkg-query", "-W", "-f=${Version}", deb.name()).strip();
            for (String file : run("dpkg", "-L", deb.name()).lines().toList()) {
                Path path = Path.of(file);
                if (Files.isRegularFile(path)) { // a symbolic link is copied as the file it names
                    layer.addEntry(path, AbsoluteUnixPath.get(file), permissions(path), EPOCH);
                }
            }
            sbom.add(spdxPackage("deb-" + deb.name(), deb.name(), version,
                    "pkg:deb/debian/" + deb.name() + "@" + version + "?arch=amd64&distro=debian-12", deb.license()));
        }
        Files.createDirectories(dir.resolve("tmp"));
        Files.writeString(dir.resolve("passwd"), "root:x:0:0:root:/root:/sbin/nologin\n"
                + user.name() + ":x:" + user.id() + ":" + user.id() + ":" + user.name() + ":" + user.home()
                + ":/sbin/nologin\n");
        Files.writeString(dir.resolve("group"), "root:x:0:\n" + user.name() + ":x:" + user.id() + ":\n");
        layer.addEntry(dir.resolve("passwd"), AbsoluteUnixPath.get("/etc/passwd"), FilePermissions.DEFAULT_FILE_PERMISSIONS, EPOCH);
        layer.addEntry(dir.resolve("group"), AbsoluteUnixPath.get("/etc/group"), FilePermissions.DEFAULT_FILE_PERMISSIONS, EPOCH);
        layer.addEntry(dir.resolve("tmp"), AbsoluteUnixPath.get("/tmp"), FilePermissions.fromOctalString("777"), EPOCH);
        return layer.build();
    }

    /** The regular files under {@code source}, at the same relative paths under {@code target}. */
    static FileEntriesLayer tree(String name, Path source, AbsoluteUnixPath target) throws IOException {
        FileEntriesLayer.Builder layer = FileEntriesLayer.builder().setName(name);
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : files.sorted().toList()) {
                if (Files.isRegularFile(file)) {
                    layer.addEntry(file, target.resolve(source.relativize(file).toString()), permissions(file), EPOCH);
                }
            }
        }
        return layer.build();
    }

    /** The given files, each at {@code target}/its file name. */
    static FileEntriesLayer files(String name, List<Path> files, AbsoluteUnixPath target) {
        FileEntriesLayer.Builder layer = FileEntriesLayer.builder().setName(name);
        for (Path file : files) {
            layer.addEntry(file, target.resolve(file.getFileName().toString()), permissions(file), EPOCH);
        }
        return layer.build();
    }

    static FileEntriesLayer merge(String name, FileEntriesLayer... layers) {
        FileEntriesLayer.Builder merged = FileEntriesLayer.builder().setName(name);
        for (FileEntriesLayer l : layers) {
            l.getEntries().forEach(merged::addEntry);
        }
        return merged.build();
    }

    private static FilePermissions permissions(Path file) {
        return Files.isExecutable(file) ? FilePermissions.fromOctalString("755") : FilePermissions.DEFAULT_FILE_PERMISSIONS;
    }

    /** Each jar by the Maven coordinates in its pom.properties (else its file name), as SPDX packages. */
    static List<Map<String, Object>> jars(List<Path> jarFiles) throws IOException {
        List<Map<String, Object>> jars = new ArrayList<>();
        for (Path jar : jarFiles) {
            Properties coordinates = new Properties();
            try (ZipFile zip = new ZipFile(jar.toFile())) {
                ZipEntry pom = zip.stream().filter(e -> e.getName().startsWith("META-INF/maven/")
                        && e.getName().endsWith("/pom.properties")).findFirst().orElse(null);
                if (pom != null) {
                    try (InputStream in = zip.getInputStream(pom)) {
                        coordinates.load(in);
                    }
                }
            }
            String file = jar.getFileName().toString();
            String group = coordinates.getProperty("groupId");
            String artifact = coordinates.getProperty("artifactId", file.replaceAll("\\.jar$", ""));
            String version = coordinates.getProperty("version", "NOASSERTION");
            jars.add(spdxPackage("jar-" + file, artifact, version, group == null ? null
                    : "pkg:maven/" + group + "/" + artifact + "@" + version, "NOASSERTION"));
        }
        return jars;
    }

    static Map<String, Object> spdxPackage(String id, String name, String version, String purl, String license) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("SPDXID", "SPDXRef-" + id.replaceAll("[^A-Za-z0-9.-]", "-"));
        p.put("name", name);
        p.put("versionInfo", version);
        p.put("downloadLocation", "NOASSERTION");
        p.put("licenseDeclared", license);
        if (purl != null) {
            p.put("externalRefs", List.of(Map.of("referenceCategory", "PACKAGE-MANAGER", "referenceType", "purl",
                    "referenceLocator", purl)));
        }
        return p;
    }

    /** The image's SPDX 2.3 document, to {@code file}. */
    static void writeSbom(Path file, String image, String reference, List<Map<String, Object>> packages)
            throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("spdxVersion", "SPDX-2.3");
        doc.put("dataLicense", "CC0-1.0");
        doc.put("SPDXID", "SPDXRef-DOCUMENT");
        doc.put("name", reference);
        doc.put("documentNamespace", "https://tuneforge.dev/spdx/" + image + "/" + packages.hashCode());
        doc.put("creationInfo", Map.of("created", "1970-01-01T00:00:01Z",
                "creators", List.of("Tool: tuneforge-deploy-validation")));
        doc.put("packages", packages);
        Files.writeString(file, JSON.writeValueAsString(doc));
    }

    /** The SBOM's layer: {@code /usr/share/sbom/<image>.spdx.json}. */
    static FileEntriesLayer sbom(Path file, String image) {
        return FileEntriesLayer.builder().setName("sbom").addEntry(file, sbomPath(image),
                FilePermissions.DEFAULT_FILE_PERMISSIONS, EPOCH).build();
    }

    static AbsoluteUnixPath sbomPath(String image) {
        return AbsoluteUnixPath.get("/usr/share/sbom/" + image + ".spdx.json");
    }

    /** The OCI labels every image carries, a fixed creation time, and the image written to {@code work/<image>.tar}. */
    static Path toTar(JibContainerBuilder image, String name, String title, String source, String reference, Path work)
            throws Exception {
        image.addLabel("org.opencontainers.image.title", title)
                .addLabel("org.opencontainers.image.vendor", "tuneforge")
                .addLabel("org.opencontainers.image.version", reference.substring(reference.lastIndexOf(':') + 1))
                .addLabel("org.opencontainers.image.source", source + " (tuneforge repository)")
                .addLabel("dev.tuneforge.sbom", sbomPath(name).toString())
                .setCreationTime(EPOCH);
        Path tar = work.resolve(name + ".tar");
        image.containerize(Containerizer.to(TarImage.at(tar).named(reference))
                .setApplicationLayersCache(work.resolve("jib-cache"))
                .setBaseImageLayersCache(work.resolve("jib-cache"))
                .setToolName("tuneforge-deploy-validation"));
        return tar;
    }

    static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }
}
