package dev.tuneforge.deploy;

import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainerBuilder;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.api.buildplan.FileEntriesLayer;
import dev.tuneforge.launcher.KubernetesSettings;
import dev.tuneforge.launcher.WorkerCommand;
import io.smallrye.config.WithDefault;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The djl worker's image, {@code tuneforge/worker-djl}, built by Jib Core to a tar from scratch like the services'
 * ({@link ImageLayers}), in layers that change at different rates:
 * <ol>
 *   <li>{@code os}: Debian's {@code libc6}, and {@code libstdc++6} and {@code libgcc-s1}, which PyTorch's native
 *   libraries link (libtorch_cpu.so, libdjl_torch.so; libgomp ships with them); the user 1000 the worker pods run as
 *   ({@link KubernetesSettings#runAsUser()}), {@code /tmp};</li>
 *   <li>{@code jre}: the jlinked Java runtime ({@link JavaRuntime});</li>
 *   <li>{@code pytorch-native}: the jars of libtorch and DJL's JNI bridge (~450 MB), which DJL extracts at run time
 *   into its cache, {@code /tmp/djl} (the pods' root filesystem is read-only, {@code /tmp} an emptyDir);</li>
 *   <li>{@code dependencies}: the worker's other runtime jars; {@code application}: the worker's jar; all in
 *   {@code /opt/tuneforge/worker/lib}, the classpath the launcher gives ({@link KubernetesSettings#djlClasspath()});</li>
 *   <li>{@code sbom}.</li>
 * </ol>
 * The entrypoint is the launcher's djl command ({@link WorkerCommand#djl(String, String, int, String)}) with the
 * image's {@code java}; a Job gives its own command, whose {@code java} ({@link KubernetesSettings#djlJava()}) is
 * found on the image's {@code PATH}. DJL never downloads ({@code ai.djl.offline}).
 */
final class WorkerImage {

    static final String NAME = "worker-djl";
    static final String REFERENCE = "registry.example/tuneforge/" + NAME + ":0.1.0";
    static final String USER = launcherDefault("runAsUser");
    static final String CLASSPATH = launcherDefault("djlClasspath");
    static final AbsoluteUnixPath LIB = AbsoluteUnixPath.get(CLASSPATH.replaceFirst("/\\*$", ""));
    static final String DJL_CACHE = "/tmp/djl";
    /** The heap of the entrypoint: the services' default for a djl worker ({@code djl-max-heap}). */
    static final String MAX_HEAP = "2g";
    private static final List<ImageLayers.DebianPackage> OS = List.of(ImageLayers.DebianPackage.LIBC6,
            new ImageLayers.DebianPackage("libstdc++6", "GPL-3.0-or-later WITH GCC-exception-3.1"),
            new ImageLayers.DebianPackage("libgcc-s1", "GPL-3.0-or-later WITH GCC-exception-3.1"));

    private WorkerImage() {
    }

    /**
     * Builds the image from the worker module's build ({@code worker/target}: its jar and {@code worker.classpath},
     * as {@link WorkerCommand#djl(Path, Path, int, String)} reads them) to {@code work/worker-djl.tar}.
     */
    static ImageLayers.Built build(Path runtime, Path work) throws Exception {
        List<Path> jars = classpath(Overlays.REPO.resolve("worker/target"));
        List<Path> natives = jars.stream().filter(j -> j.getFileName().toString().startsWith("pytorch-native-")
                || j.getFileName().toString().startsWith("pytorch-jni-")).toList();
        Path worker = jars.getFirst();
        List<Path> dependencies = jars.stream().filter(j -> !natives.contains(j) && !j.equals(worker)).toList();

        Files.createDirectories(work);
        Path sbom = work.resolve(NAME + ".spdx.json");
        List<Map<String, Object>> packages = new ArrayList<>();
        FileEntriesLayer os = ImageLayers.os(work.resolve("os-" + NAME), OS,
                new ImageLayers.User("tuneforge", USER, "/tmp"), packages);
        packages.add(JavaRuntime.spdx(runtime));
        packages.addAll(ImageLayers.jars(jars));
        ImageLayers.writeSbom(sbom, NAME, REFERENCE, packages);

        AbsoluteUnixPath java = ImageLayers.JAVA_HOME.resolve("bin/java");
        WorkerCommand command = WorkerCommand.djl(java.toString(), CLASSPATH, 1, MAX_HEAP);
        Map<String, String> env = new LinkedHashMap<>(command.env());
        env.putAll(Map.of("JAVA_HOME", ImageLayers.JAVA_HOME.toString(), "PATH",
                ImageLayers.JAVA_HOME.resolve("bin") + ":/usr/bin:/bin", "LANG", "C.UTF-8",
                "DJL_CACHE_DIR", DJL_CACHE, "ENGINE_CACHE_DIR", DJL_CACHE, "ai.djl.offline", "true"));
        JibContainerBuilder image = Jib.fromScratch()
                .addFileEntriesLayer(os)
                .addFileEntriesLayer(ImageLayers.tree("jre", runtime, ImageLayers.JAVA_HOME))
                .addFileEntriesLayer(ImageLayers.files("pytorch-native", natives, LIB))
                .addFileEntriesLayer(ImageLayers.files("dependencies", dependencies, LIB))
                .addFileEntriesLayer(ImageLayers.files("application", List.of(worker), LIB))
                .addFileEntriesLayer(ImageLayers.sbom(sbom, NAME))
                .setEntrypoint(command.prefix())
                .setUser(USER + ":" + USER)
                .setWorkingDirectory(AbsoluteUnixPath.get("/tmp"))
                .setEnvironment(env);
        Path tar = ImageLayers.toTar(image, NAME, "tuneforge djl worker", "deploy/validation WorkerImage",
                REFERENCE, work);
        return new ImageLayers.Built(tar, sbom, REFERENCE);
    }

    /** The worker's jar, then its runtime dependencies, from the classpath the launcher builds for a local worker. */
    static List<Path> classpath(Path workerTarget) {
        List<String> prefix = WorkerCommand.djl(Path.of("/unused"), workerTarget, 1, MAX_HEAP).prefix();
        String classpath = prefix.get(prefix.indexOf("-cp") + 1);
        return Arrays.stream(classpath.split(java.io.File.pathSeparator)).filter(s -> !s.isBlank()).map(Path::of)
                .toList();
    }

    /** A setting's default as the services' Kubernetes launcher has it, so the image cannot drift from it. */
    static String launcherDefault(String setting) {
        try {
            return KubernetesSettings.class.getMethod(setting).getAnnotation(WithDefault.class).value();
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("KubernetesSettings has no " + setting, e);
        }
    }
}
