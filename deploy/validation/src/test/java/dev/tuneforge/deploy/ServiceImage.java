package dev.tuneforge.deploy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.FilePermissions;
import com.google.cloud.tools.jib.api.buildplan.Port;
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
 * A service's container image, built by Jib Core to a tar (Docker archive: {@code docker load}, {@code skopeo copy
 * docker-archive:…}) without a Docker engine or a registry: no base image is pulled. The image is assembled from
 * scratch in layers that change at different rates:
 * <ol>
 *   <li>{@code os}: the files of Debian's {@code libc6} as the build machine's dpkg lists them (the only shared
 *   library the Java runtime needs; no shell, no package manager), {@code /etc/passwd} and {@code /etc/group} with
 *   the user 185 the pods run as, and {@code /tmp};</li>
 *   <li>{@code jre}: a Java runtime made by jlink from the build's JDK ({@link JavaRuntime});</li>
 *   <li>the Quarkus fast-jar of the service ({@code target/quarkus-app}): its dependencies, then its own code;</li>
 *   <li>{@code sbom}: the image's SPDX document, also written next to the tar.</li>
 * </ol>
 * Files carry a fixed time and the image a fixed creation time, so the same inputs give the same image digest.
 */
final class ServiceImage {

    static final String USER = "185";
    static final AbsoluteUnixPath APP = AbsoluteUnixPath.get("/deployments");
    static final AbsoluteUnixPath JAVA_HOME = AbsoluteUnixPath.get("/opt/java");
    private static final Instant EPOCH = Instant.ofEpochSecond(1);
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What was built: the tar, its SBOM, and the image's name. */
    record Built(Path tar, Path sbom, String reference) {
    }

    private ServiceImage() {
    }

    static Built build(String service, int port, String reference, Path runtime, Path work) throws Exception {
        Path app = Overlays.REPO.resolve(service).resolve("target/quarkus-app");
        if (!Files.isRegularFile(app.resolve("quarkus-run.jar"))) {
            throw new IllegalStateException(app + " has no quarkus-run.jar: package " + service + " first");
        }
        Files.createDirectories(work);
        Path sbom = work.resolve(service + ".spdx.json");
        List<Map<String, Object>> packages = new ArrayList<>();
        FileEntriesLayer os = osLayer(work.resolve("os"), packages);
        packages.add(JavaRuntime.spdx(runtime));
        packages.addAll(jars(app));
        writeSbom(sbom, service, reference, packages);

        JibContainerBuilder image = Jib.fromScratch()
                .addFileEntriesLayer(os)
                .addFileEntriesLayer(tree("jre", runtime, JAVA_HOME))
                .addFileEntriesLayer(tree("dependencies", app.resolve("lib"), APP.resolve("lib")))
                .addFileEntriesLayer(FileEntriesLayer.builder().setName("application")
                        .addEntry(app.resolve("quarkus-run.jar"), APP.resolve("quarkus-run.jar"), FilePermissions.DEFAULT_FILE_PERMISSIONS, EPOCH)
                        .build())
                .addFileEntriesLayer(merge("application-code", tree("app", app.resolve("app"), APP.resolve("app")),
                        tree("quarkus", app.resolve("quarkus"), APP.resolve("quarkus"))))
                .addFileEntriesLayer(FileEntriesLayer.builder().setName("sbom")
                        .addEntry(sbom, AbsoluteUnixPath.get("/usr/share/sbom/" + service + ".spdx.json"),
                                FilePermissions.DEFAULT_FILE_PERMISSIONS, EPOCH).build())
                .setEntrypoint(List.of(JAVA_HOME.resolve("bin/java").toString(),
                        "-Djava.util.logging.manager=org.jboss.logmanager.LogManager", "-XX:MaxRAMPercentage=75",
                        "-jar", APP.resolve("quarkus-run.jar").toString()))
                .setUser(USER + ":" + USER)
                .setWorkingDirectory(APP)
                .setExposedPorts(java.util.Set.of(Port.tcp(port)))
                .setEnvironment(Map.of("JAVA_HOME", JAVA_HOME.toString(), "LANG", "C.UTF-8"))
                .addLabel("org.opencontainers.image.title", "tuneforge " + service)
                .addLabel("org.opencontainers.image.vendor", "tuneforge")
                .addLabel("org.opencontainers.image.version", reference.substring(reference.lastIndexOf(':') + 1))
                .addLabel("org.opencontainers.image.source", "deploy/validation ServiceImage (tuneforge repository)")
                .addLabel("dev.tuneforge.sbom", "/usr/share/sbom/" + service + ".spdx.json")
                .setCreationTime(EPOCH);
        Path tar = work.resolve(service + ".tar");
        image.containerize(Containerizer.to(TarImage.at(tar).named(reference))
                .setApplicationLayersCache(work.resolve("jib-cache"))
                .setBaseImageLayersCache(work.resolve("jib-cache"))
                .setToolName("tuneforge-deploy-validation"));
        return new Built(tar, sbom, reference);
    }

    /** libc6's files, the users, /tmp; each Debian package listed in the SBOM. */
    private static FileEntriesLayer osLayer(Path dir, List<Map<String, Object>> packages) throws Exception {
        FileEntriesLayer.Builder layer = FileEntriesLayer.builder().setName("os");
        String version = run("dpkg-query", "-W", "-f=${Version}", "libc6").strip();
        for (String file : run("dpkg", "-L", "libc6").lines().toList()) {
            Path path = Path.of(file);
            if (Files.isRegularFile(path)) { // a symbolic link is copied as the file it names
                layer.addEntry(path, AbsoluteUnixPath.get(file), Files.isExecutable(path)
                        ? FilePermissions.fromOctalString("755") : FilePermissions.DEFAULT_FILE_PERMISSIONS, EPOCH);
            }
        }
        Files.createDirectories(dir.resolve("tmp"));
        Files.writeString(dir.resolve("passwd"), "root:x:0:0:root:/root:/sbin/nologin\n"
                + "tuneforge:x:" + USER + ":" + USER + ":tuneforge:/deployments:/sbin/nologin\n");
        Files.writeString(dir.resolve("group"), "root:x:0:\ntuneforge:x:" + USER + ":\n");
        layer.addEntry(dir.resolve("passwd"), AbsoluteUnixPath.get("/etc/passwd"), FilePermissions.DEFAULT_FILE_PERMISSIONS, EPOCH);
        layer.addEntry(dir.resolve("group"), AbsoluteUnixPath.get("/etc/group"), FilePermissions.DEFAULT_FILE_PERMISSIONS, EPOCH);
        layer.addEntry(dir.resolve("tmp"), AbsoluteUnixPath.get("/tmp"), FilePermissions.fromOctalString("777"), EPOCH);
        packages.add(spdxPackage("deb-libc6", "libc6", version,
                "pkg:deb/debian/libc6@" + version + "?arch=amd64&distro=debian-12", "LGPL-2.1-or-later"));
        return layer.build();
    }

    private static FileEntriesLayer tree(String name, Path source, AbsoluteUnixPath target) throws IOException {
        FileEntriesLayer.Builder layer = FileEntriesLayer.builder().setName(name);
        try (Stream<Path> files = Files.walk(source)) {
            for (Path file : files.sorted().toList()) {
                if (Files.isRegularFile(file)) {
                    String relative = source.relativize(file).toString();
                    layer.addEntry(file, target.resolve(relative), Files.isExecutable(file)
                            ? FilePermissions.fromOctalString("755") : FilePermissions.DEFAULT_FILE_PERMISSIONS, EPOCH);
                }
            }
        }
        return layer.build();
    }

    private static FileEntriesLayer merge(String name, FileEntriesLayer... layers) {
        FileEntriesLayer.Builder merged = FileEntriesLayer.builder().setName(name);
        for (FileEntriesLayer l : layers) {
            l.getEntries().forEach(merged::addEntry);
        }
        return merged.build();
    }

    /** Every jar of the fast-jar, by the Maven coordinates in its pom.properties (else its file name). */
    private static List<Map<String, Object>> jars(Path app) throws IOException {
        List<Map<String, Object>> jars = new ArrayList<>();
        try (Stream<Path> files = Files.walk(app.resolve("lib"))) {
            for (Path jar : files.filter(f -> f.toString().endsWith(".jar")).sorted().toList()) {
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

    private static void writeSbom(Path file, String service, String reference, List<Map<String, Object>> packages)
            throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("spdxVersion", "SPDX-2.3");
        doc.put("dataLicense", "CC0-1.0");
        doc.put("SPDXID", "SPDXRef-DOCUMENT");
        doc.put("name", reference);
        doc.put("documentNamespace", "https://tuneforge.dev/spdx/" + service + "/" + packages.hashCode());
        doc.put("creationInfo", Map.of("created", "1970-01-01T00:00:01Z",
                "creators", List.of("Tool: tuneforge-deploy-validation-ServiceImage")));
        doc.put("packages", packages);
        Files.writeString(file, JSON.writeValueAsString(doc));
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
