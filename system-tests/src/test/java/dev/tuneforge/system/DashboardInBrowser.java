package dev.tuneforge.system;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The dashboard's end-to-end tests ({@code src/test/browser/dashboard.test.mjs}): Debian's Chromium, driven by
 * playwright-core (no browser download), against a running platform's gateway, signed in with its admin key. The
 * script prints one line per test and exits 0 only if all passed; it writes a screenshot of each test's page to
 * {@code <platform>/browser/screenshots} and the measured performance numbers to {@code performance.json} there.
 * The key travels in the script's environment and is never printed.
 */
final class DashboardInBrowser {

    /** Where Debian's chromium package puts it; {@code .ci/run} installs it on a fresh machine. */
    static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));

    record Run(int exitCode, String output, Path out) { }

    private DashboardInBrowser() {
    }

    /** Runs every browser test against {@code platform}, whose model {@code model} has versions 1 and 2 (v1 champion). */
    static Run run(Platform platform, String model) throws IOException, InterruptedException {
        Path repo = Path.of(System.getProperty("tuneforge.repo", "..")).toAbsolutePath().normalize();
        Path script = repo.resolve("system-tests/src/test/browser/dashboard.test.mjs");
        Path out = platform.data().resolve("browser");
        Files.createDirectories(out);
        ProcessBuilder pb = new ProcessBuilder(List.of("node", script.toString()))
                .directory(script.getParent().toFile()).redirectErrorStream(true)
                .redirectOutput(out.resolve("output.txt").toFile());
        pb.environment().put("TUNEFORGE_URL", platform.gateway().url());
        pb.environment().put("TUNEFORGE_API_KEY", platform.adminKey());
        pb.environment().put("MODEL", model);
        pb.environment().put("OUT", out.toString());
        pb.environment().put("CHROMIUM", CHROMIUM.toString());
        Process p = pb.start();
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
        }
        String output = Files.readString(out.resolve("output.txt"), StandardCharsets.UTF_8);
        System.out.println(output);
        return new Run(p.isAlive() ? -1 : p.exitValue(), output, out);
    }
}
