package dev.tuneforge.deploy;

import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import com.google.cloud.tools.jib.api.buildplan.Port;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A service's container image, built by Jib Core to a tar (Docker archive: {@code docker load}, {@code skopeo copy
 * docker-archive:…}) without a Docker engine or a registry: no base image is pulled. The image is assembled from
 * scratch ({@link ImageLayers}) in layers that change at different rates:
 * <ol>
 *   <li>{@code os}: the files of Debian's {@code libc6} as the build machine's dpkg lists them (the only shared
 *   library the Java runtime needs; no shell, no package manager), {@code /etc/passwd} and {@code /etc/group} with
 *   the user 185 the pods run as, and {@code /tmp};</li>
 *   <li>{@code jre}: a Java runtime made by jlink from the build's JDK ({@link JavaRuntime});</li>
 *   <li>the Quarkus fast-jar of the service ({@code target/quarkus-app}): its dependencies, then its own code;</li>
 *   <li>{@code sbom}: the image's SPDX document, also written next to the tar.</li>
 * </ol>
 */
final class ServiceImage {

    static final String USER = "185";
    static final AbsoluteUnixPath APP = AbsoluteUnixPath.get("/deployments");
    static final AbsoluteUnixPath JAVA_HOME = ImageLayers.JAVA_HOME;

    private ServiceImage() {
    }

    static ImageLayers.Built build(String service, int port, String reference, Path runtime, Path work) throws Exception {
        Path app = Overlays.REPO.resolve(service).resolve("target/quarkus-app");
        if (!Files.isRegularFile(app.resolve("quarkus-run.jar"))) {
            throw new IllegalStateException(app + " has no quarkus-run.jar: package " + service + " first");
        }
        Files.createDirectories(work);
        Path sbom = work.resolve(service + ".spdx.json");
        List<Map<String, Object>> packages = new ArrayList<>();
        FileEntriesLayer os = ImageLayers.os(work.resolve("os"), List.of(ImageLayers.DebianPackage.LIBC6),
                new ImageLayers.User("tuneforge", USER, APP.toString()), packages);
        packages.add(JavaRuntime.spdx(runtime));
        try (Stream<Path> jars = Files.walk(app.resolve("lib"))) {
            packages.addAll(ImageLayers.jars(jars.filter(f -> f.toString().endsWith(".jar")).sorted().toList()));
        }
        ImageLayers.writeSbom(sbom, service, reference, packages);

        JibContainerBuilder image = Jib.fromScratch()
                .addFileEntriesLayer(os)
                .addFileEntriesLayer(ImageLayers.tree("jre", runtime, JAVA_HOME))
                .addFileEntriesLayer(ImageLayers.tree("dependencies", app.resolve("lib"), APP.resolve("lib")))
                .addFileEntriesLayer(ImageLayers.files("application", List.of(app.resolve("quarkus-run.jar")), APP))
                .addFileEntriesLayer(ImageLayers.merge("application-code",
                        ImageLayers.tree("app", app.resolve("app"), APP.resolve("app")),
                        ImageLayers.tree("quarkus", app.resolve("quarkus"), APP.resolve("quarkus"))))
                .addFileEntriesLayer(ImageLayers.sbom(sbom, service))
                .setEntrypoint(List.of(JAVA_HOME.resolve("bin/java").toString(),
                        "-Djava.util.logging.manager=org.jboss.logmanager.LogManager", "-XX:MaxRAMPercentage=75",
                        "-jar", APP.resolve("quarkus-run.jar").toString()))
                .setUser(USER + ":" + USER)
                .setWorkingDirectory(APP)
                .setExposedPorts(java.util.Set.of(Port.tcp(port)))
                .setEnvironment(Map.of("JAVA_HOME", JAVA_HOME.toString(), "LANG", "C.UTF-8"));
        Path tar = ImageLayers.toTar(image, service, "tuneforge " + service, "deploy/validation ServiceImage",
                reference, work);
        return new ImageLayers.Built(tar, sbom, reference);
    }
}
